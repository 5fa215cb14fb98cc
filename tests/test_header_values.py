"""Values that reach mail headers are refused at load time when they hold control characters.

Reported: ``reply_to: "r@x\\r\\nBcc: …"`` added a Bcc to every mail of a
campaign. The whole class: every text setting (file and environment) and
every header-bound field of ``brand.yaml`` and the edition files (the
content model refuses those, see content/model.py), with the file and line;
and, behind that, the message builder itself.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import SECRETS, Settings, load_settings
from leadex_mail.content.model import Brand
from leadex_mail.errors import ConfigError, DeliveryError

REPO = Path(__file__).resolve().parents[1]
ISSUE = "2026-04-leadex-01"
INJECTION = "r@example.org\r\nBcc: everyone@example.com"


def text_settings() -> list[str]:
    """Every setting that holds text (str or a list of str), secrets excepted."""
    out = []
    for f in dataclasses.fields(Settings):
        if f.name == "sources" or f.name in SECRETS:
            continue
        hint = str(f.type)
        if "str" in hint and "Literal" not in hint:
            out.append(f.name)
    return out


def test_the_class_is_found():
    names = set(text_settings())
    header_bound = {"from_name", "from_address", "reply_to", "list_id", "unsubscribe_mailto", "public_url", "dkim_selector", "dkim_domain"}
    assert header_bound | {"smtp_user", "test_recipients"} <= names


@pytest.mark.parametrize("name", text_settings())
@pytest.mark.parametrize("bad", ["\r\nBcc: x@example.com", "\n", "\x00", "\x1b[31m", "\x85", "\u2028"])
def test_every_text_setting_refuses_control_characters_from_the_environment(name, bad):
    key = f"LEADEX_{name.upper()}"
    with pytest.raises(ConfigError) as err:
        load_settings(environ={key: "x" + bad + "y"})
    assert key in err.value.message and "control character" in err.value.message and err.value.hint


def test_reported_reply_to_in_the_file_is_refused_with_file_and_line(tmp_path):
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text('# sender\nfrom_name = "LeadEx"\nreply_to = "r@example.org\\r\\nBcc: everyone@example.com"\n\n[smtp]\nhost = "smtp.example.org"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert f"{cfg}:3" in err.value.message and "reply_to" in err.value.message and "U+000D" in err.value.message


def test_a_table_setting_is_located_too(tmp_path):
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text('public_url = "https://news.example.org"\n\n[smtp]\nport = 587\nuser = "a\\nb"\n')
    with pytest.raises(ConfigError, match=rf"{cfg}:5.*smtp_user"):
        load_settings(cfg, environ={})


def test_reported_reply_to_never_reaches_a_mail(tmp_path, monkeypatch):
    """End to end: the send is refused, and no .eml with a Bcc exists."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leadex-mail.toml").write_text(f'reply_to = "{INJECTION.encode("unicode_escape").decode()}"\n')
    env = {"LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"), "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    from leadex_mail.store.db import open_store
    from leadex_mail.store.lists import create_list
    from leadex_mail.store.subscribers import add_subscriber

    with open_store(Settings(database_url=env["LEADEX_DATABASE_URL"])) as store:
        create_list(store, "newsletter", title="LeadEx")
        add_subscriber(store, "ana@example.org", lists=("newsletter",), status="active", source="cli")
    result = CliRunner().invoke(main, ["send", ISSUE, "--list", "newsletter", "--yes"], env=env)
    assert result.exit_code == 2 and "leadex-mail.toml:1" in result.output and "reply_to" in result.output, result.output
    assert not list(tmp_path.rglob("*.eml"))


@pytest.mark.parametrize("field", ["name", "from_name", "from_address", "reply_to"])
def test_brand_header_fields_refuse_control_characters_with_file_and_line(tmp_path, field):
    newsletters = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", newsletters)
    brand = newsletters / "brand.yaml"
    lines = brand.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith(f"{field}:")]
    lines.append(f'{field}: "{INJECTION.encode("unicode_escape").decode()}"')
    brand.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", ISSUE], env={"LEADEX_NEWSLETTERS_DIR": str(newsletters)})
    assert result.exit_code != 0
    assert f"brand.yaml:{len(lines)}:" in result.output and repr(field) in result.output and "CR (U+000D)" in result.output, result.output


def test_the_subject_refuses_control_characters_with_file_and_line(tmp_path):
    newsletters = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", newsletters)
    edition = newsletters / ISSUE / "sl.yaml"
    lines = edition.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("subject:"))
    lines[number - 1] = 'subject: "Novice\\r\\nBcc: everyone@example.com"'
    edition.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", ISSUE], env={"LEADEX_NEWSLETTERS_DIR": str(newsletters)})
    assert result.exit_code != 0 and f"sl.yaml:{number}:" in result.output and "subject" in result.output, result.output


def test_the_message_builder_refuses_values_built_in_code():
    """Settings and Brand objects made without the loaders still cannot inject a header."""
    from delivery.delivery_helpers import make_edition, make_settings

    from leadex_mail.delivery.message import build_template

    with pytest.raises(DeliveryError, match="reply_to"):
        build_template(make_edition(), make_settings(reply_to=INJECTION), Brand(), campaign_id=1)
    with pytest.raises(DeliveryError, match="list_id"):
        build_template(make_edition(), make_settings(list_id="<a.example.org>\r\nBcc: x@example.com"), Brand(), campaign_id=1)
    with pytest.raises(ValueError):
        Brand(reply_to=INJECTION)


@pytest.mark.parametrize("bad", ["https://news.example.org/a b", "news.example.org", "https://"])
def test_public_url_must_be_a_whole_address(bad):
    with pytest.raises(ConfigError, match="public_url"):
        load_settings(environ={"LEADEX_PUBLIC_URL": bad})
