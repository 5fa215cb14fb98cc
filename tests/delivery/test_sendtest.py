"""``send-test`` through the CLI against a real SMTP server, checked through the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from delivery_helpers import SECRET, parse
from sqlmodel import select

from leadex_mail import tokens
from leadex_mail.cli import main
from leadex_mail.config import load_settings
from leadex_mail.store.db import open_store
from leadex_mail.store.models import Delivery, TestSend

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2026-04-leadex-01"


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    """Environment for a CLI run: real issue, a fresh SQLite store, no config file."""
    monkeypatch.chdir(tmp_path)
    return {
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
        "LEADEX_SECRET_KEY": SECRET,
        "LEADEX_PUBLIC_URL": "https://news.example.org",
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


def smtp_env(env: dict[str, str], port: int) -> dict[str, str]:
    """``env`` pointed at a plain-text SMTP server on loopback."""
    return {**env, "LEADEX_TRANSPORT": "smtp", "LEADEX_SMTP_HOST": "127.0.0.1", "LEADEX_SMTP_PORT": str(port), "LEADEX_SMTP_SECURITY": "none"}


def logged(env: dict[str, str]) -> tuple[list[TestSend], int]:
    """The TestSend rows and the number of Delivery rows in the store of ``env``."""
    store = open_store(load_settings(environ=env))
    with store.session() as session:
        return list(session.exec(select(TestSend).order_by(TestSend.id))), len(list(session.exec(select(Delivery))))


def test_send_test_sends_real_test_messages_and_logs_them(env, smtp_server):
    result = CliRunner().invoke(main, ["send-test", ISSUE, "--to", "Ziga@Example.org", "--to", "ana@example.org", "--lang", "en"], env=smtp_env(env, smtp_server.port))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("sent    ziga@example.org  [en]  250 2.0.0 OK: queued")
    assert lines[-1] == "2 sent, 0 failed via smtp"
    (got,) = smtp_server.to("ziga@example.org")
    msg = parse(got.data)
    assert msg["Subject"].startswith("[TEST] ")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = msg["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    assert tokens.verify("unsubscribe", token, SECRET.encode()) == {"s": 0, "c": 0, "n": ""}  # no subscriber row behind a test
    assert "[[LX:" not in msg.get_body(("html",)).get_content()
    rows, deliveries = logged(env)
    assert [(r.issue_slug, r.language, r.recipient) for r in rows] == [(ISSUE, "en", "ziga@example.org"), (ISSUE, "en", "ana@example.org")]
    assert rows[0].message_id == msg["Message-ID"] and rows[0].reply.startswith("250")
    assert deliveries == 0


def test_configured_test_recipients_are_used_without_to(env):
    result = CliRunner().invoke(main, ["send-test", ISSUE], env={**env, "LEADEX_TEST_RECIPIENTS": "urednik@example.org"})
    assert result.exit_code == 0, result.output
    (eml,) = Path(env["LEADEX_OUTBOX_DIR"]).glob(f"test-{ISSUE}/*.eml")
    assert eml.name.endswith("urednik@example.org.eml")
    assert parse(eml.read_bytes())["To"].addresses[0].addr_spec == "urednik@example.org"


def test_without_any_recipient_it_says_how(env):
    result = CliRunner().invoke(main, ["send-test", ISSUE], env=env)
    assert result.exit_code == 1
    assert "no test recipients" in result.output and "--to" in result.output and "test_recipients" in result.output


def test_a_refused_address_is_reported_and_the_others_still_go(env, faulty):
    sink, port = faulty(on_rcpt=lambda s, n, a: "550 5.1.1 No such user" if a == "nobody@example.org" else None)
    result = CliRunner().invoke(main, ["send-test", ISSUE, "--to", "nobody@example.org", "--to", "ana@example.org"], env=smtp_env(env, port))
    assert result.exit_code == 1
    assert "FAILED  nobody@example.org  [sl]  550 5.1.1 No such user" in result.output
    assert "1 sent, 1 failed" in result.output
    assert [rcpt for _, rcpt, _ in sink.received] == ["ana@example.org"]
    rows, _ = logged(env)
    assert rows[0].reply == "550 5.1.1 No such user"


def test_a_refusal_says_what_it_means(env, faulty):
    refusals = {"relay@example.org": "550 5.7.1 Relaying denied", "nobody@example.org": "550 5.1.1 No such user"}
    _sink, port = faulty(on_rcpt=lambda s, n, a: refusals.get(a))
    result = CliRunner().invoke(main, ["send-test", ISSUE, "--to", "relay@example.org", "--to", "nobody@example.org"], env=smtp_env(env, port))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    relay = lines.index("FAILED  relay@example.org  [sl]  550 5.7.1 Relaying denied")
    assert lines[relay + 1].startswith("        hint: the relay refuses to pass mail on for this sender or login")
    nobody = lines.index("FAILED  nobody@example.org  [sl]  550 5.1.1 No such user")
    assert lines[nobody + 1] == "        hint: the address does not exist at the receiving server (a hard bounce: campaigns stop mailing it)"


def test_unknown_language_names_the_editions(env):
    result = CliRunner().invoke(main, ["send-test", ISSUE, "--to", "a@example.org", "--lang", "de"], env=env)
    assert result.exit_code != 0
    assert "no 'de' edition" in result.output and "en, sl" in result.output
