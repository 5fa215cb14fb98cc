"""VERP tokens: round trip, case-insensitive, forged and foreign addresses match nothing, key rotation."""

from __future__ import annotations

from leadex_mail.verp import verp_address, verp_delivery

KEY, OLD = b"k" * 32, b"o" * 32
BOUNCES = "bounces@news.example.org"


def test_round_trip_and_case() -> None:
    address = verp_address(BOUNCES, 4711, KEY)
    local = address.split("@")[0]
    assert local.startswith("bounces+") and len(local) <= 64 and local == local.lower()
    assert verp_delivery(address, BOUNCES, [KEY]) == 4711
    assert verp_delivery(address.upper(), BOUNCES, [KEY]) == 4711  # MTAs lower- or upper-case local parts


def test_forged_altered_and_foreign_addresses_match_nothing() -> None:
    address = verp_address(BOUNCES, 4711, KEY)
    token = address.split("+", 1)[1].split("@")[0]
    other = hex(4712)[2:] + token[token.index("-") :]
    assert verp_delivery(f"bounces+{other}@news.example.org", BOUNCES, [KEY]) is None  # another delivery, same MAC
    assert verp_delivery(address, BOUNCES, [b"x" * 32]) is None  # signed with another key
    assert verp_delivery(address.replace("news.example.org", "example.com"), BOUNCES, [KEY]) is None
    assert verp_delivery(address.replace("bounces+", "other+"), BOUNCES, [KEY]) is None
    assert verp_delivery(BOUNCES, BOUNCES, [KEY]) is None
    assert verp_delivery("bounces+zz-@news.example.org", BOUNCES, [KEY]) is None


def test_a_token_signed_before_a_key_rotation_still_matches() -> None:
    address = verp_address(BOUNCES, 9, OLD)
    assert verp_delivery(address, BOUNCES, [KEY, OLD]) == 9


def test_return_path_settings_are_checked() -> None:
    import pytest

    from leadex_mail.config import load_settings
    from leadex_mail.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a bounce_address"):
        load_settings(environ={"LEADEX_VERP": "true"})
    with pytest.raises(ConfigError, match="without '\\+'"):
        load_settings(environ={"LEADEX_BOUNCE_ADDRESS": "bounces+x@news.example.org"})
    with pytest.raises(ConfigError, match="smtp_helo_name"):
        load_settings(environ={"LEADEX_SMTP_HELO_NAME": "mail.example.org\r\nMAIL FROM:<x@y>"})
    ok = load_settings(environ={"LEADEX_BOUNCE_ADDRESS": BOUNCES, "LEADEX_VERP": "1", "LEADEX_SMTP_HELO_NAME": "mail.news.example.org"})
    assert (ok.bounce_address, ok.verp, ok.smtp_helo_name, ok.smtp_dsn) == (BOUNCES, True, "mail.news.example.org", True)
