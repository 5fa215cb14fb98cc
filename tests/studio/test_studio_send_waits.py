"""A send waiting to retry temporary failures says so on its progress page (a13 #14), and stops with the studio."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from leadex_mail.store.db import open_store
from leadex_mail.store.models import Delivery
from studio.studio_helpers import ISSUE, LIVE, add_readers, assert_accessible, copy_newsletters, serve_studio, studio_settings
from studio.test_studio_send import BusyFor

pytestmark = pytest.mark.browser


def test_the_progress_page_says_how_many_wait_until_when_and_why_then_the_send_stops_with_the_studio(tmp_path: Path, studio_page: Page, start_smtp) -> None:  # noqa: ANN001
    handler = BusyFor({"reader03@example.org"})
    port = start_smtp(handler)
    copy_newsletters(tmp_path, ISSUE)
    # An hour before the retry: the page must say so for as long as it lasts, not look stuck.
    settings = studio_settings(tmp_path, port, LEADEX_SEND_BACKOFF_SECONDS="3600", LEADEX_TIMEZONE="Europe/Ljubljana")
    store = open_store(settings)
    try:
        add_readers(store, 5)
        page = studio_page
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter")
            page.get_by_role("button", name="Send 5 messages now").click()
            waiting = page.locator("#job-waiting")
            expect(waiting).to_be_visible(timeout=LIVE)
            expect(waiting).to_contain_text("messages the mail server turned away for now: 1.")
            expect(waiting).to_contain_text("The server said: 451 4.2.1 Mailbox busy, try later")
            with store.session() as session:
                [due] = session.exec(select(Delivery.next_attempt_at).where(Delivery.state == "retry_wait")).scalars().all()
            at = due.astimezone(ZoneInfo("Europe/Ljubljana"))
            expect(waiting).to_contain_text(f"tried again at {at:%H:%M} {at:%Z}")
            expect(page.locator("#job-line")).to_contain_text("4 of 5 handled")
            assert_accessible(page)
        # Stopping the studio stopped the send's wait (the thread is over): the failure still waits, resumable,
        # and the send says so as every page does (runner.shown_status): interrupted, not "running".
        [job] = studio.server.config.app.state.studio.jobs.jobs.values()
        assert job.ended.is_set() and job.status == "interrupted" and job.interrupted
        with store.session() as session:
            states = session.exec(select(Delivery.state)).scalars().all()
        assert sorted(states) == ["retry_wait"] + ["sent"] * 4
        assert sorted(handler.accepted) == [f"reader{i:02d}@example.org" for i in (0, 1, 2, 4)]
    finally:
        store.close()

