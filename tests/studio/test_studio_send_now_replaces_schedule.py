"""A send started by hand for an (issue, list) that has a scheduled send replaces it (a14: "Send now" on a scheduled issue).

The studio's "Send now" and the command line's ``send`` remove the scheduled
send as the campaign opens, in one transaction with the audit entry that says
so; the review says it before the officer confirms. A worker then never takes
the hand-started campaign over (``worker --help``: "left to `send --resume`"),
so it never sends to someone who joined the list after the review.
Real SQLite, real aiosmtpd on loopback, ``run_worker(once=True)``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from leadex_mail.campaign.scheduler import run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store import schedule
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, english_client, reviewed, serve_with_replies

LATER = datetime(2026, 10, 31, 2, 30, tzinfo=UTC)
BUSY = {"reader01@example.org": "451 4.2.1 Mailbox busy, try later"}  # keeps the campaign unfinished: a worker could resume it


def _worker_round(store, settings, now: datetime) -> int:  # noqa: ANN001
    return run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now)


def _replaced(store) -> list[dict]:  # noqa: ANN001
    return [dict(e.detail) for e in audit_log(store) if e.action == "send_unschedule"]


def test_send_now_in_the_studio_replaces_the_scheduled_send_and_no_worker_takes_it_over(tmp_path: Path) -> None:
    controller, handler, settings, served = serve_with_replies(tmp_path, BUSY, 3, LEADEX_SEND_BACKOFF_SECONDS="3600")
    try:
        with served as studio:
            schedule_campaign(studio.store, load_issue(ISSUE, settings), "newsletter", LATER, now=studio.clock(), actor="maja")
            client, token = english_client(studio)
            review = client.get(f"/issues/{ISSUE}/send/review?list=newsletter").text
            assert 'id="send-now-replaces"' in review
            assert "Sending now replaces that: the scheduled send is removed" in review
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)})
            assert started.status_code == 303
            [job] = studio.server.config.app.state.studio.jobs.jobs.values()
            job.stop.set()  # reader01 waits an hour for its retry: stop the studio's send there, unfinished
            assert job.ended.wait(60)
            assert schedule.waiting(studio.store) == [] and schedule.waiting(studio.store, started=True) == []
            assert 'id="scheduled-list"' not in client.get(f"/issues/{ISSUE}/send").text
            [replaced] = _replaced(studio.store)
            assert replaced == {"send_at": LATER.isoformat(), "replaced_by": "send"}
            sent_before = sorted(handler.accepted)
            add_subscriber(studio.store, "late@example.org", language="sl", lists=("newsletter",), source="cli")
            assert _worker_round(studio.store, settings, datetime(2026, 11, 1, tzinfo=UTC)) == 0  # neither due nor the worker's
            assert sorted(handler.accepted) == sent_before
            assert "late@example.org" not in handler.accepted
    finally:
        controller.stop()


def test_send_on_the_command_line_replaces_the_scheduled_send_and_no_worker_takes_it_over(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from leadex_mail.cli import main

    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 3)
    try:
        with served as studio:
            store = studio.store
            schedule_campaign(store, load_issue(ISSUE, settings), "newsletter", LATER, now=studio.clock(), actor="maja")
            for key, value in {
                "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}", "LEADEX_NEWSLETTERS_DIR": str(settings.newsletters_dir),
                "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"), "LEADEX_DEFAULT_LANGUAGE": "sl", "LEADEX_SEND_DEEP_CHECK": "false",
                "LEADEX_TRANSPORT": "smtp", "LEADEX_SMTP_HOST": "127.0.0.1", "LEADEX_SMTP_PORT": str(settings.smtp_port),
                "LEADEX_SMTP_SECURITY": "none", "LEADEX_SECRET_KEY": "studio-test-secret-key-0123456789", "LEADEX_PUBLIC_URL": "https://news.example.org",
            }.items():
                monkeypatch.setenv(key, value)
            result = CliRunner().invoke(main, ["send", ISSUE, "--list", "newsletter", "--limit", "1", "--yes"])
            assert result.exit_code == 0, result.output
            assert len(handler.accepted) == 1
            assert schedule.waiting(store) == [] and schedule.waiting(store, started=True) == []
            assert [d["replaced_by"] for d in _replaced(store)] == ["send"]
            add_subscriber(store, "late@example.org", language="sl", lists=("newsletter",), source="cli")
            assert _worker_round(store, settings, datetime(2026, 11, 1, tzinfo=UTC)) == 0  # `send --limit 1` stays at 1
            assert len(handler.accepted) == 1
    finally:
        controller.stop()
