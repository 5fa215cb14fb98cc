"""The subscriber store failing under a studio action (a full disk) is one clear page: what, what was done, what to do.

The full disk is SQLite's own SQLITE_FULL ("database or disk is full"), as
tests/campaign/test_store_failures.py makes it: every connection may not
grow the database by one page (``max_page_count``), after the tables the
studio writes were filled up to their last byte. Reading still works, as on
a real full disk. Over real HTTP, with a real SMTP server on loopback
(a13b finding 2: "Resume the send" was a bare 500, "Send the test" said
"store error" although the message went out).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.campaign.scheduler import schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.campaigns import find_campaign, state_counts
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from studio.studio_helpers import ISSUE, RunningStudio, add_readers, copy_newsletters, serve_studio, studio_settings

READERS = 5
# Rows the studio writes on the way: its audit log and the test sends' log.
PADDED = {
    "audit_event": "INSERT INTO audit_event (at, actor, action, target, detail) VALUES ('2026-01-01 00:00:00', 'p', 'p', '', '{}')",
    "test_send": "INSERT INTO test_send (issue_slug, language, recipient, at) VALUES ('p', 'p', 'p', '2026-01-01 00:00:00')",
}


def _fill_the_disk(database: str) -> int:
    """No free page, and the studio's tables full to their last page: any new row needs a page there is no room for."""
    raw = sqlite3.connect(database, isolation_level=None)
    raw.execute("VACUUM")
    [(pages,)] = raw.execute("PRAGMA page_count").fetchall()
    raw.execute(f"PRAGMA max_page_count = {pages}")
    for statement in PADDED.values():
        while True:  # a small row at a time, until the last page of the table (and its indexes) has no room for one more
            try:
                raw.execute(statement)
            except sqlite3.OperationalError as exc:
                assert "full" in str(exc)
                break
    raw.close()
    return pages


@pytest.fixture
def full_disk_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:
    """The studio over a store whose campaign to "newsletter" stopped after 2 of 5, on a disk that then filled up."""
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)
    with open_store(settings) as store:
        add_readers(store, READERS)
        assert send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter", limit=2).status == "running"
        create_list(store, "partners")
        schedule_campaign(store, load_issue(ISSUE, settings), "partners", datetime(2027, 1, 5, 9, 0, tzinfo=UTC), now=datetime(2026, 9, 10, 9, 0, tzinfo=UTC))
    pages = _fill_the_disk(str(tmp_path / "subscribers.db"))

    def no_room(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", no_room)
    try:
        store = open_store(settings)
        try:
            with serve_studio(settings, store=store, root=tmp_path) as running:
                running.smtp = smtp_server
                yield running
        finally:
            store.close()
    finally:
        event.remove(Engine, "connect", no_room)


def _token(client) -> str:  # noqa: ANN001
    return re.search(r'data-csrf="([^"]+)"', client.get("/").text).group(1)


def test_resume_on_a_full_disk_sends_nothing_and_says_why_and_what_to_do(full_disk_studio: RunningStudio) -> None:
    studio = full_disk_studio
    client = studio.client()
    send_page = client.get(f"/issues/{ISSUE}/send")
    assert send_page.status_code == 200 and "Nadaljuj pošiljanje" in send_page.text  # reading works: the stopped send is offered
    before = len(studio.smtp.messages)
    answer = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": _token(client), "list": "newsletter", "resume": "1"}, headers={"accept-language": "en"})
    assert answer.status_code == 507, answer.text[:300]
    text = answer.text
    assert "The subscriber database failed: the disk that holds it is full." in text
    assert "Nothing was sent: the studio writes every send in the audit log" in text
    assert "Free some space on that disk" in text and "“Resume the send” again" in text
    assert "Traceback" not in text
    # Refused before it started: no message went out, nothing changed in the campaign.
    assert len(studio.smtp.messages) == before
    campaign = find_campaign(studio.store, ISSUE, "newsletter")
    assert state_counts(studio.store, campaign.id)["sent"] == 2 and state_counts(studio.store, campaign.id)["queued"] == READERS - 2


def test_a_test_send_on_a_full_disk_says_it_went_out_and_that_recording_it_failed(full_disk_studio: RunningStudio) -> None:
    studio = full_disk_studio
    client = studio.client()
    answer = client.post(f"/issues/{ISSUE}/send/test", data={"csrf": _token(client), "to": "officer@example.org", "language": "sl"})
    [sent] = studio.smtp.wait_for("officer@example.org")
    assert sent.message()["Subject"].startswith("[TEST] ")
    assert answer.status_code == 507
    # In the officer's language (sl here): sent, recording it failed, the disk is full, what to do.
    assert "Preizkusno sporočilo je bilo poslano; zapis o tem ni uspel: disk, na katerem je, je poln." in answer.text
    assert "Sprostite nekaj prostora" in answer.text
    assert 'id="test-results"' in answer.text and "officer@example.org" in answer.text


def test_adding_a_subscriber_on_a_full_disk_says_what_was_done_and_what_was_not(full_disk_studio: RunningStudio) -> None:
    """The subscriber's own tables had room, the audit log had none: the page says both (its number exists only once added)."""
    from leadex_mail.store.subscribers import get_subscriber

    client = full_disk_studio.client()
    answer = client.post("/subscribers/add", data={"csrf": _token(client), "email": "new@example.org", "language": "sl", "lists": "newsletter"},
                         headers={"accept-language": "en"})
    assert answer.status_code == 507
    assert "The subscriber database failed: the disk that holds it is full." in answer.text
    assert "new@example.org was added." in answer.text
    assert "Writing it in the audit log failed, so the log does not show it." in answer.text
    assert get_subscriber(full_disk_studio.store, "new@example.org").status == "active"


def test_cancelling_a_scheduled_send_on_a_full_disk_says_it_is_still_due(full_disk_studio: RunningStudio) -> None:
    from leadex_mail.store.schedule import waiting

    client = full_disk_studio.client()
    answer = client.post(f"/issues/{ISSUE}/send/unschedule", data={"csrf": _token(client), "list": "partners"}, headers={"accept-language": "en"})
    assert answer.status_code == 507
    assert "The scheduled send was not cancelled: it is still due on 2027-01-05" in answer.text
    assert [s.list_name for s in waiting(full_disk_studio.store)] == ["partners"]


def test_erasing_on_a_full_disk_erases_nothing_and_says_so(full_disk_studio: RunningStudio) -> None:
    from leadex_mail.store.subscribers import get_subscriber

    client = full_disk_studio.client()
    person = get_subscriber(full_disk_studio.store, "reader01@example.org")
    answer = client.post(f"/subscribers/{person.id}/erase", data={"csrf": _token(client), "confirm": "reader01@example.org"}, headers={"accept-language": "en"})
    assert answer.status_code == 507
    assert "Nothing was erased: the studio writes every erasure in the audit log first" in answer.text
    assert get_subscriber(full_disk_studio.store, "reader01@example.org").status == "active"
