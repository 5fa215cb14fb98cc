"""The foundation: configuration layering, tokens, and the CLI's error handling."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import load_settings
from leadex_mail.errors import ConfigError, TokenError
from leadex_mail.tokens import sign, verify


def test_file_then_env_then_flags(tmp_path):
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text('public_url = "https://news.example.org"\n[smtp]\nhost = "mail.example.org"\nport = 2525\n')
    s = load_settings(cfg, environ={"LEADEX_SMTP_PORT": "2626"}, overrides={"send_concurrency": 4})
    assert s.public_url == "https://news.example.org"
    assert s.smtp_host == "mail.example.org" and s.effective_transport == "smtp"
    assert s.smtp_port == 2626 and s.sources["smtp_port"] == "env LEADEX_SMTP_PORT"
    assert s.send_concurrency == 4 and s.sources["send_concurrency"] == "flag"
    assert s.sources["public_url"] == str(cfg)


def test_secret_in_file_is_refused(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[smtp]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError, match="secret") as exc:
        load_settings(cfg, environ={})
    assert "LEADEX_SMTP_PASSWORD" in (exc.value.hint or "")


def test_unknown_setting_suggests(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('public_ur = "https://x.example.org"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg, environ={})
    assert "public_url" in (exc.value.hint or "")


def test_defaults_are_outbox_and_sqlite():
    s = load_settings(environ={})
    assert s.effective_transport == "outbox"
    assert s.database_url == "sqlite:///subscribers.db"


def test_tokens_roundtrip_and_refuse_tampering():
    key = b"k" * 32
    token = sign("unsubscribe", {"s": 1, "c": 2}, key)
    assert verify("unsubscribe", token, key) == {"s": 1, "c": 2}
    with pytest.raises(TokenError):
        verify("preferences", token, key)  # another purpose
    with pytest.raises(TokenError):
        verify("unsubscribe", token, b"other")
    body, sig = token.split(".")
    forged = sign("unsubscribe", {"s": 2, "c": 2}, b"attacker").split(".")[0] + "." + sig
    with pytest.raises(TokenError):
        verify("unsubscribe", forged, key)


def test_tokens_expire():
    key = b"k"
    now = datetime(2026, 4, 1, tzinfo=timezone.utc)
    token = sign("confirm", {"s": 1}, key, expires_at=now + timedelta(days=7))
    assert verify("confirm", token, key, now=now + timedelta(days=6)) == {"s": 1}
    with pytest.raises(TokenError, match="expired"):
        verify("confirm", token, key, now=now + timedelta(days=8))


def test_tokens_verify_with_any_of_several_keys():
    """Key rotation: the current key and the previous ones verify; the first one given is not special."""
    current, previous = b"new-key", b"old-key"
    old_token = sign("unsubscribe", {"s": 1, "c": 2}, previous)
    assert verify("unsubscribe", old_token, (current, previous)) == {"s": 1, "c": 2}
    assert verify("unsubscribe", sign("unsubscribe", {"s": 3}, current), [current, previous]) == {"s": 3}
    with pytest.raises(TokenError):
        verify("unsubscribe", old_token, (current,))
    with pytest.raises(TokenError):
        verify("unsubscribe", old_token, ())


def test_previous_secret_keys_come_from_the_environment_only(tmp_path):
    s = load_settings(environ={"LEADEX_SECRET_KEY": "new", "LEADEX_PREVIOUS_SECRET_KEYS": " old-1 , old-2,,new "})
    assert s.previous_secret_keys == ("old-1", "old-2", "new")
    assert s.verification_keys() == (b"new", b"old-1", b"old-2")  # signing key first, no duplicates
    assert s.masked()["previous_secret_keys"] == ("********", "env LEADEX_PREVIOUS_SECRET_KEYS")
    assert load_settings(environ={}).verification_keys() == (load_settings(environ={}).signing_key(),)
    cfg = tmp_path / "c.toml"
    cfg.write_text('previous_secret_keys = ["old-1"]\n')
    with pytest.raises(ConfigError, match="secret") as exc:
        load_settings(cfg, environ={})
    assert "LEADEX_PREVIOUS_SECRET_KEYS" in (exc.value.hint or "")


def test_smtp_without_secret_key_is_a_config_error():
    s = load_settings(environ={"LEADEX_SMTP_HOST": "127.0.0.1"})
    with pytest.raises(ConfigError, match="secret key"):
        s.signing_key()


def test_config_show_masks_secrets_and_names_sources(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEADEX_SECRET_KEY", "s3cret-value")
    monkeypatch.setenv("LEADEX_PREVIOUS_SECRET_KEYS", "old-s3cret,older-s3cret")
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "********" in result.output and "env LEADEX_SECRET_KEY" in result.output


def test_bad_config_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leadex-mail.toml").write_text("this is = = not toml\n")
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 2
    assert "not valid TOML" in result.output and "Traceback" not in result.output


def test_smtp_fixture_is_a_real_server(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
        client.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\nbody\r\n")
    assert smtp_server.to("b@example.org")[0].message()["Subject"] == "hi"


def test_documented_example_config_loads(tmp_path):
    """The example in docs/configuration.md is valid, and every setting is documented."""
    from pathlib import Path

    from leadex_mail.config import _NAMES

    REPO = Path(__file__).resolve().parents[1]

    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text(example)
    s = load_settings(cfg, environ={})
    assert s.smtp_host == "smtp.example.org" and s.send_rate == "600/min"
    assert s.test_recipients == ("editor@example.org",) and s.dkim_selector == "leadex"
    for name in _NAMES:
        assert f"`{name}`" in doc or name.startswith(("from_", "reply_to", "dkim_", "web_")), f"{name} undocumented"


def test_every_registered_command_is_in_the_lazy_map():
    """The root group imports command modules lazily; its map must name every command."""
    import importlib

    import click

    from leadex_mail.cli import COMMANDS

    for module_name in set(COMMANDS.values()):
        group = click.Group()
        importlib.import_module(f"leadex_mail.cli.{module_name}").register(group)
        assert group.commands, module_name
        for name in group.commands:
            assert COMMANDS.get(name) == module_name, f"{name} (from cli/{module_name}.py) missing in COMMANDS"
    result = CliRunner().invoke(main, ["--help"])
    assert all(name in result.output for name in COMMANDS)
