"""Settings with a standard shape are checked when loaded, naming where they were written (tester's finding i8/a8 #11).

Before: ``list_id = 'a>b <c'`` gave ``List-Id: a>b <c``; an unsubscribe
address with an encoded CR LF went into List-Unsubscribe; ``send_rate =
abc`` passed ``config show`` and failed later without saying where it came
from; ``sqlite:///`` kept the store in memory (lost on exit) and
``?mode=ro`` printed a raw SQLAlchemy warning.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import load_settings
from leadex_mail.errors import ConfigError


@pytest.mark.parametrize(("key", "value", "words"), [
    ("LEADEX_LIST_ID", "a>b <c", "is not a List-Id (RFC 2919)"),
    ("LEADEX_LIST_ID", "LeadEx <a> <b.c>", "is not a List-Id"),
    ("LEADEX_LIST_ID", "nodot", "is not a List-Id"),
    ("LEADEX_LIST_ID", "LeadEx <novice.example.org", "is not a List-Id"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "u@example.org?subject=a%0d%0aBcc:e@example.com", "is not an address or a mailto: URI"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "mailto:u@example.org?subject=a%0D%0ABcc:e@example.com", "without encoded line breaks"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "mailto:u@example.org?subject=<x>", "is not an address"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "Odjava <u@example.org>", "is not an address"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "u@", "is not an address"),
    ("LEADEX_SEND_RATE", "abc", "cannot read the sending rate 'abc'"),
    ("LEADEX_SEND_RATE", "0/min", "cannot read the sending rate '0/min'"),
    ("LEADEX_SEND_RATE", "-5/min", "cannot read the sending rate '-5/min'"),
    ("LEADEX_SEND_RATE", "600/min,5/fortnight", "cannot read the sending rate '5/fortnight'"),
    ("LEADEX_DATABASE_URL", "sqlite:///", "names no file"),
    ("LEADEX_DATABASE_URL", "sqlite://", "names no file"),
    ("LEADEX_DATABASE_URL", "sqlite:///:memory:", "names no file"),
    ("LEADEX_DATABASE_URL", "sqlite:///subscribers.db?mode=ro", "has options"),
    # a11 #10, the class of URL-shaped mistakes: a host setting written as the provider prints a URL
    ("LEADEX_SMTP_HOST", "smtp://mail.example.org", "must be a host name alone"),
    ("LEADEX_SMTP_HOST", "mail.example.org:465", "must be a host name alone"),
    ("LEADEX_IMAP_HOST", "imaps://mail.example.org:993", "must be a host name alone"),
])  # fmt: skip
def test_a_setting_of_the_wrong_shape_is_refused_where_it_was_written(tmp_path, monkeypatch, key, value, words):
    with pytest.raises(ConfigError) as err:
        load_settings(environ={key: value})
    assert f"from env {key}" in err.value.message and words in err.value.message and err.value.hint
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(main, ["config", "show"], env={key: value})
    assert shown.exit_code == 2 and words in shown.output and "Traceback" not in shown.output and "Warning" not in shown.output
    assert not (tmp_path / "subscribers.db").exists()


@pytest.mark.parametrize(("key", "value"), [
    ("LEADEX_LIST_ID", "list.leadex.example.org"),
    ("LEADEX_LIST_ID", "LeadEx novice <novice.leadex.example.org>"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "odjava@example.org"),
    ("LEADEX_UNSUBSCRIBE_MAILTO", "mailto:odjava@lists.leadex.example.org?subject=unsubscribe%20me"),
    ("LEADEX_SEND_RATE", "100/sec"),
    ("LEADEX_SEND_RATE", "600/min, 20000/h"),
    ("LEADEX_DATABASE_URL", "sqlite:///subscribers.db"),
    ("LEADEX_DATABASE_URL", "sqlite:////srv/leadex/subscribers.db"),
    ("LEADEX_SMTP_HOST", "mail.example.org"),
    ("LEADEX_SMTP_HOST", "127.0.0.1"),
    ("LEADEX_SMTP_HOST", "::1"),
])  # fmt: skip
def test_settings_of_the_right_shape_load(key, value):
    load_settings(environ={key: value})


def test_the_file_names_its_line(tmp_path):
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text('[send]\nrate = "fast"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert str(cfg) in err.value.message and "'fast'" in err.value.message


def test_a_host_written_as_a_url_gets_the_split_settings():
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"LEADEX_SMTP_HOST": "smtps://mail.example.org:465/"})
    assert err.value.hint.startswith('write smtp_host = "mail.example.org" and smtp_port = 465')
