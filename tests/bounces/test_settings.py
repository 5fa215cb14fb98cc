"""Bounce-related settings are checked at load, with the setting, the value and a hint (tester's findings 7, 14, 15)."""

from __future__ import annotations

import pytest

from leadex_mail.config import VERP_SUFFIX, load_settings
from leadex_mail.errors import ConfigError
from leadex_mail.verp import verp_address


def _load(**env: str):  # type: ignore[no-untyped-def]
    return load_settings(environ={f"LEADEX_{k.upper()}": v for k, v in env.items()})


def test_soft_days_are_bounded() -> None:
    # LEADEX_BOUNCE_SOFT_DAYS=99999999 was an OverflowError traceback at import.
    with pytest.raises(ConfigError, match="bounce_soft_days may be at most 3650"):
        _load(bounce_soft_days="99999999")
    assert _load(bounce_soft_days="3650").bounce_soft_days == 3650


@pytest.mark.parametrize("local", ["a" * 60, "b" * (64 - VERP_SUFFIX + 1)])
def test_a_verp_local_part_stays_within_64_octets(local) -> None:
    with pytest.raises(ConfigError, match="at most 30 with verp = true"):
        _load(bounce_address=f"{local}@news.example.org", verp="true", secret_key="k" * 32)


def test_the_longest_accepted_local_part_makes_a_valid_verp_address() -> None:
    local = "b" * (64 - VERP_SUFFIX)
    settings = _load(bounce_address=f"{local}@news.example.org", verp="true", secret_key="k" * 32)
    longest = verp_address(settings.bounce_address, 2**64 - 1, b"k" * 32)  # the largest delivery id: 16 hex digits
    assert len(longest.split("@")[0]) == 64
    assert _load(bounce_address=f"{'c' * 64}@news.example.org").bounce_address  # without VERP, 64 is fine


@pytest.mark.parametrize("address", ['"a b"@news.example.org', "a b@news.example.org", "a..b@news.example.org", "bounces@news..example.org"])
def test_quoted_and_malformed_bounce_addresses_are_refused(address) -> None:
    with pytest.raises(ConfigError, match="bounce_address"):
        _load(bounce_address=address)


def test_a_non_ascii_bounce_address_needs_smtputf8() -> None:
    with pytest.raises(ConfigError, match="smtputf8 is off"):
        _load(bounce_address="bö@news.example.org")
    assert _load(bounce_address="bö@news.example.org", smtputf8="true").bounce_address == "bö@news.example.org"


@pytest.mark.parametrize("name", ["x..y", "vm", "-a.example.org", "a-.example.org", "a_b.example.org"])
def test_helo_name_must_be_a_fully_qualified_host_name(name) -> None:
    with pytest.raises(ConfigError, match="fully qualified host name"):
        _load(smtp_helo_name=name)
    assert _load(smtp_helo_name="mail.news.example.org").smtp_helo_name == "mail.news.example.org"
    assert _load(smtp_helo_name="[192.0.2.1]").smtp_helo_name == "[192.0.2.1]"


@pytest.mark.parametrize("folder,words", [("", "is empty"), ("INBOX", "is the mailbox fetched"), ("inbox", "is the mailbox fetched"),
                                          ("proc*", "wildcards"), ('a"b', "wildcards")])
def test_imap_folder_names_are_checked(folder, words) -> None:
    with pytest.raises(ConfigError, match=words):
        _load(imap_processed_folder=folder)
    assert _load(imap_processed_folder="Obdelano-čšž").imap_processed_folder == "Obdelano-čšž"


def test_config_show_warns_about_a_helo_name_that_is_not_fully_qualified(monkeypatch, tmp_path) -> None:
    import socket

    from click.testing import CliRunner

    from leadex_mail.cli import main

    monkeypatch.chdir(tmp_path)
    env = {"LEADEX_CONFIG": None, "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    monkeypatch.setattr(socket, "gethostname", lambda: "vm")  # the machine's name is the input here, not the internet
    shown = CliRunner().invoke(main, ["config", "show"], env=env)
    assert "warning: smtp_helo_name is not set, so EHLO names this machine 'vm'" in shown.output
    quiet = CliRunner().invoke(main, ["config", "show"], env={**env, "LEADEX_SMTP_HELO_NAME": "mail.news.example.org"})
    assert "warning: smtp_helo_name" not in quiet.output
