"""The studio's schedule, cancel and retry write their audit entry in the change's own transaction; a confirmation
that lost the race to another tab is in the log too (session 7, brief s7-send items 2 and 3).

A change that fails leaves no entry, one that is made has exactly one. The change is made to fail in the database
itself, mid-transaction: a trigger the test adds to the table the change writes needs a table that is not there
(SQLite's own error, which the store says as a failure, as a full disk). HTTP against the studio served for real
over real SQLite files, mailing through aiosmtpd on loopback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.campaign.scheduler import schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store import schedule
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.campaigns import find_campaign, state_counts
from leadex_mail.studio.auth import local_actor
from studio.studio_helpers import ISSUE, Replies, english_client, reviewed, serve_with_readers
from studio.test_studio_send import sse_until_done

BUSY = "451 4.2.1 Mailbox busy, try later"
TARGET = f"{ISSUE} -> newsletter"


def _entries(store, action: str) -> list:  # noqa: ANN001
    return [e for e in audit_log(store) if e.action == action]


@contextmanager
def _failing(database: Path, table: str, when: str) -> Iterator[None]:
    """While the block runs, every ``when`` (``INSERT``, ``DELETE``, ``UPDATE OF state``) on ``table`` fails in SQLite."""
    raw = sqlite3.connect(database, isolation_level=None)
    try:
        raw.execute("CREATE TABLE test_ballast (b)")
        raw.execute(f"CREATE TRIGGER test_fails BEFORE {when} ON {table} BEGIN INSERT INTO test_ballast VALUES (1); END")
        raw.execute("DROP TABLE test_ballast")  # the trigger's write now fails: "no such table"
        yield
    finally:
        raw.execute("DROP TRIGGER IF EXISTS test_fails")
        raw.close()


def test_a_schedule_that_fails_leaves_no_entry_and_one_made_has_one(tmp_path: Path) -> None:
    controller, settings, served = serve_with_readers(tmp_path, Replies({}), 2)
    try:
        with served as studio:
            client, token = english_client(studio)
            form = {"csrf": token, "list": "newsletter", "at": "2026-09-12T09:00", **reviewed(client)}
            with _failing(tmp_path / "subscribers.db", "scheduled_send", "INSERT"):
                failed = client.post(f"/issues/{ISSUE}/send/schedule", data=form)
            assert failed.status_code >= 500 and "Traceback" not in failed.text, failed.text[:300]
            assert schedule.waiting(studio.store) == []
            assert _entries(studio.store, "send_schedule") == []  # nothing scheduled: nothing in the log
            assert client.post(f"/issues/{ISSUE}/send/schedule", data=form).status_code == 303
            [entry] = _entries(studio.store, "send_schedule")
            assert (entry.actor, entry.target, entry.detail["moved"]) == (local_actor(), TARGET, False)
            assert entry.detail["send_at"] == schedule.waiting(studio.store)[0].send_at.astimezone(UTC).isoformat()
    finally:
        controller.stop()


def test_a_cancellation_that_fails_leaves_no_entry_and_one_made_has_one(tmp_path: Path) -> None:
    controller, settings, served = serve_with_readers(tmp_path, Replies({}), 2)
    try:
        with served as studio:
            schedule_campaign(studio.store, load_issue(ISSUE, settings), "newsletter", datetime(2026, 9, 12, 7, tzinfo=UTC), now=studio.clock())
            client, token = english_client(studio)
            with _failing(tmp_path / "subscribers.db", "scheduled_send", "DELETE"):
                failed = client.post(f"/issues/{ISSUE}/send/unschedule", data={"csrf": token, "list": "newsletter"})
            assert failed.status_code >= 500 and "The scheduled send was not cancelled: it is still due on 2026-09-12" in failed.text, failed.text[:300]
            assert [s.list_name for s in schedule.waiting(studio.store)] == ["newsletter"]
            assert _entries(studio.store, "send_unschedule") == []
            assert client.post(f"/issues/{ISSUE}/send/unschedule", data={"csrf": token, "list": "newsletter"}).status_code == 303
            assert schedule.waiting(studio.store) == []
            [entry] = _entries(studio.store, "send_unschedule")
            assert entry.target == TARGET and entry.detail == {"send_at": "2026-09-12T07:00:00+00:00"}
    finally:
        controller.stop()


def test_a_retry_that_fails_leaves_no_entry_and_one_made_has_one(tmp_path: Path) -> None:
    handler = Replies({"reader01@example.org": BUSY})
    controller, settings, served = serve_with_readers(tmp_path, handler, 3, LEADEX_SEND_MAX_ATTEMPTS="1")
    try:
        with served as studio:
            send_campaign(studio.store, load_issue(ISSUE, settings), settings, list_name="newsletter")  # one temporary failure
            campaign = find_campaign(studio.store, ISSUE, "newsletter")
            assert state_counts(studio.store, campaign.id)["failed"] == 1
            del handler.replies["reader01@example.org"]
            client, token = english_client(studio)
            with _failing(tmp_path / "subscribers.db", "delivery", "UPDATE OF state"):
                failed = client.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"})
            assert failed.status_code >= 500 and "Nothing was sent" in failed.text, failed.text[:300]
            assert state_counts(studio.store, campaign.id)["failed"] == 1 and "reader01@example.org" not in handler.accepted
            assert _entries(studio.store, "send_retry") == []
            again = client.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"})
            assert again.status_code == 303, again.text[:300]
            assert sse_until_done(client, again.headers["location"] + "/events")["counts"]["sent"] == 3
            [entry] = _entries(studio.store, "send_retry")
            assert entry.target == TARGET and entry.detail == {"to_retry": 1}
    finally:
        controller.stop()


def test_the_confirmation_that_lost_the_race_is_in_the_audit_log(tmp_path: Path) -> None:
    """Two tabs confirm one send: one job, one ``send`` entry, and the second tab's confirmation as refused."""
    controller, settings, served = serve_with_readers(tmp_path, Replies({"reader01@example.org": BUSY}), 2, LEADEX_SEND_BACKOFF_SECONDS="3600")
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = {"csrf": token, "list": "newsletter", **reviewed(client)}
            job = client.post(f"/issues/{ISSUE}/send/start", data=confirmed).headers["location"]
            second = client.post(f"/issues/{ISSUE}/send/start", data=confirmed)
            assert second.headers["location"] == job + "?joined=1"
            assert [e.detail["recipients"] for e in _entries(studio.store, "send")] == [2]
            [refused] = _entries(studio.store, "send_refused")
            assert (refused.actor, refused.target, refused.detail) == (local_actor(), TARGET, {"other_send": job.rsplit("/", 1)[1]})
            shown = client.get("/audit?action=send_refused").text
            assert "confirmed a send another tab or window had started: nothing more was sent" in shown
            assert "The send already started: " + job.rsplit("/", 1)[1] in shown
    finally:
        controller.stop()
