"""``send``, ``status``, ``retry`` and ``demo`` through CliRunner, checked through the store."""

from __future__ import annotations

from pathlib import Path

from campaign_helpers import ISSUE, email_of, smtp_env
from click.testing import CliRunner
from faulty_smtp import FaultPolicy, faulty_server

from leadex_mail.cli import main
from leadex_mail.store import campaigns
from leadex_mail.store.subscribers import get_subscriber


def test_send_shows_the_plan_and_asks_first(cli, store, people) -> None:
    people(6)
    result = cli("send", ISSUE, "--list", "newsletter", input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert "en: 3 recipients" in result.output and "sl: 3 recipients" in result.output and "transport: outbox" in result.output
    assert "Send 6 messages now?" in result.output
    assert campaigns.list_campaigns(store) == []  # declining writes nothing
    result = cli("send", ISSUE, "--list", "newsletter", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Sent 6 in" in result.output and "Campaign done: sent 6" in result.output
    assert len(list(Path(store.engine.url.database).parent.glob("outbox/*/*.eml"))) == 6


def test_one_recipient_is_one_message(cli, store, people) -> None:
    people(1)
    result = cli("send", ISSUE, "--list", "newsletter", input="n\n")
    assert "Send 1 message now?" in result.output, result.output  # was "Send 1 messages now?" (finding i8/a8 #11)


def test_dry_run_builds_all_and_sends_none(cli, store, people) -> None:
    people(5)
    result = cli("send", ISSUE, "--list", "newsletter", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: built 5 messages (en 2, sl 3)" in result.output
    assert campaigns.list_campaigns(store) == []


def test_send_needs_a_list_unless_resuming(cli, store, people) -> None:
    people(1)
    result = cli("send", ISSUE)
    assert result.exit_code == 2 and "--list NAME" in result.output
    result = cli("send", ISSUE, "--resume", "--yes")
    assert result.exit_code == 1 and "has not been sent" in result.output


def test_status_and_retry_after_failures(cli, store, people) -> None:
    people(8)
    fault = FaultPolicy(reject=frozenset({email_of(2)}), always_busy=frozenset({email_of(5)}))
    server = faulty_server(fault)
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_MAX_ATTEMPTS="2", **smtp_env(server))
        assert result.exit_code == 3, result.output  # ended, with failures
        assert "failed 2" in result.output and f"leadex-mail retry {ISSUE} --list newsletter" in result.output

        status = cli("status", ISSUE)
        assert status.exit_code == 0
        assert f"{ISSUE} -> newsletter: done" in status.output
        assert "8 deliveries: sent 6, failed 2" in status.output
        assert f"failed (permanent): {email_of(2)}  [sl]  attempts 1  550 5.1.1" in status.output
        assert f"failed (temporary): {email_of(5)}  [en]  attempts 2  451 4.7.1 Greylisted" in status.output
        assert get_subscriber(store, email_of(2)).status == "bounced"

        retry = cli("retry", ISSUE)
        assert retry.exit_code == 0 and "Re-queued 1 failed delivery" in retry.output  # not the hard bounce
        assert f"leadex-mail send {ISSUE} --list newsletter --resume" in retry.output
        assert campaigns.state_counts(store, campaigns.find_campaign(store, ISSUE).id)["queued"] == 1

        fault.always_busy = frozenset()
        again = cli("send", ISSUE, "--resume", "--yes", **smtp_env(server))
        assert again.exit_code == 0, again.output  # every delivery of this run was sent
        assert "Sent 1 in" in again.output
    finally:
        server.stop()
    counts = campaigns.state_counts(store, campaigns.find_campaign(store, ISSUE).id)
    assert (counts["sent"], counts["failed"]) == (7, 1)
    assert server.counts[email_of(5)] == 1 and server.counts[email_of(2)] == 0


def test_pause_exits_non_zero_with_the_command_to_continue(cli, store, people) -> None:
    people(4)
    server = faulty_server(FaultPolicy(down=True))
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", "--concurrency", "1", LEADEX_SEND_PAUSE_AFTER_FAILURES="3", **smtp_env(server))
    finally:
        server.stop()
    assert result.exit_code == 4
    assert "Paused: 3 connection or server failures in a row" in result.output
    # the options given that change the send come back in the command (finding i8/a8 #6)
    assert f"To continue once the server is fine: leadex-mail send {ISSUE} --list newsletter --concurrency 1 --resume" in result.output
    assert "paused" in cli("status").output


def test_status_without_campaigns(cli, store) -> None:
    assert "No campaigns yet" in cli("status").output
    result = cli("status", "nope")
    assert result.exit_code == 1 and "has not been sent" in result.output


def test_demo_is_idempotent(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"LEADEX_IMAGES_URL": "https://images.example.org", "LEADEX_TRANSPORT": "smtp", "LEADEX_SMTP_HOST": "smtp.example.org"}
    first = CliRunner().invoke(main, ["demo"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Added 6 example subscribers" in first.output and "to 6 subscribers through the outbox" in first.output
    assert "leadex-mail preview 2026-04-leadex-01" in first.output
    files = list((tmp_path / "outbox").glob("*/*.eml"))
    assert len(files) == 6 and (tmp_path / "subscribers.db").is_file()
    second = CliRunner().invoke(main, ["demo"], env=env, catch_exceptions=False)
    assert second.exit_code == 0 and "already sent" in second.output and "Added" not in second.output
    assert len(list((tmp_path / "outbox").glob("*/*.eml"))) == 6
