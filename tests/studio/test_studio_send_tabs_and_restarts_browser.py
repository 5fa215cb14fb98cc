"""In real Chromium: two tabs press "Send now"; a progress page open while the studio restarts (session 6, brief B).

Each page must end saying what happened and where the send stands: never a figure nobody updates, never a code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.db import open_store
from studio.studio_helpers import ISSUE, LIVE, Replies, add_readers, assert_accessible, copy_newsletters, free_port, served_again, serve_studio, studio_settings

pytestmark = pytest.mark.browser
BUSY = "451 4.2.1 Mailbox busy, try later"


def _store(tmp_path: Path, port: int, readers: int, **env: str):  # noqa: ANN202
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, port, **env)
    store = open_store(settings)
    add_readers(store, readers)
    return settings, store


@contextmanager
def _two_tabs_on_the_review(tmp_path: Path, a: Page, port: int, readers: int, **env: str) -> Iterator[tuple[Page, Page]]:
    """(tab a, tab b): two tabs of one session on the review of a send to ``readers`` people."""
    settings, store = _store(tmp_path, port, readers, **env)
    try:
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            b = a.context.new_page()
            review = f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter"
            a.goto(review)
            b.goto(review)
            yield a, b
    finally:
        store.close()


@pytest.fixture
def mail_server():  # noqa: ANN201
    from aiosmtpd.controller import Controller

    handler = Replies({})
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_the_tab_that_lost_the_race_follows_the_running_send(tmp_path: Path, studio_page: Page, mail_server) -> None:  # noqa: ANN001
    handler, port = mail_server
    handler.replies["reader03@example.org"] = BUSY  # its retry an hour away: the send stays running
    with _two_tabs_on_the_review(tmp_path, studio_page, port, 6, LEADEX_SEND_BACKOFF_SECONDS="3600") as (a, b):
        a.get_by_role("button", name="Send 6 messages now").click()
        expect(a.locator("#job-waiting")).to_be_visible(timeout=LIVE)
        b.get_by_role("button", name="Send 6 messages now").click()
        expect(b.locator("#job-joined")).to_contain_text("This send to newsletter was started from another tab or window", timeout=LIVE)
        expect(b.locator("#job-line")).to_contain_text("5 of 6 handled", timeout=LIVE)  # the send's real progress, live
        expect(b.locator("#job-waiting")).to_be_visible()
        assert b.url.split("?")[0] == a.url
        assert_accessible(b)
        assert sorted(handler.accepted) == [f"reader{i:02d}@example.org" for i in (0, 1, 2, 4, 5)]  # nobody twice


def test_the_tab_that_pressed_after_the_other_sent_says_nothing_was_sent(tmp_path: Path, studio_page: Page, mail_server) -> None:  # noqa: ANN001
    handler, port = mail_server
    with _two_tabs_on_the_review(tmp_path, studio_page, port, 46) as (a, b):
        a.get_by_role("button", name="Send 46 messages now").click()
        expect(a.locator("#job-status")).to_have_text("The send ended: sent.", timeout=LIVE)
        b.get_by_role("button", name="Send 46 messages now").click()
        expect(b.locator("#send-done")).to_contain_text("Nothing was sent: everyone on the list newsletter has this issue already", timeout=LIVE)
        expect(b.locator("[data-campaign-counts=newsletter]")).to_contain_text("46 sent")
        assert_accessible(b)
        assert len(handler.accepted) == 46


def test_a_progress_page_open_across_a_restart_says_so_in_words_and_leads_to_where_the_send_stands(tmp_path: Path, studio_page: Page, mail_server) -> None:  # noqa: ANN001
    handler, port = mail_server
    handler.replies["reader01@example.org"] = BUSY
    settings, store = _store(tmp_path, port, 3, LEADEX_SEND_BACKOFF_SECONDS="3600")
    page = studio_page
    try:
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter")
            page.get_by_role("button", name="Send 3 messages now").click()
            expect(page.locator("#job-waiting")).to_be_visible(timeout=LIVE)
            studio_port = int(studio.url.rsplit(":", 1)[1])
        connection = page.locator("#job-connection")
        expect(connection).to_contain_text("The connection to the studio was lost; reconnecting", timeout=LIVE)
        with served_again(settings, studio_port, store):
            expect(connection).to_contain_text("The studio no longer knows this send", timeout=LIVE)
            text = connection.inner_text()
            assert "job_" not in text and "undefined" not in text  # the officer's words, never a code
            way_on = page.get_by_role("link", name="See where the send to newsletter stands now")
            expect(way_on).to_be_visible()
            assert_accessible(page)
            way_on.click()
            expect(page.locator("#job-forgotten")).to_contain_text("The studio was started again since this send began", timeout=LIVE)
            expect(page.locator("[data-campaign-counts=newsletter]")).to_contain_text("2 sent")
            expect(page.get_by_role("button", name="Resume the send")).to_be_visible()
    finally:
        store.close()


def test_a_progress_page_whose_session_ended_with_a_restart_says_why_and_leads_back_after_signing_in(tmp_path: Path, studio_page: Page, mail_server) -> None:  # noqa: ANN001
    """With accounts a restart also ends the session: the page says that (not "no longer knows"), and signing in leads back to the send."""
    from leadex_mail.store.accounts import add_user
    handler, port = mail_server
    handler.replies["reader01@example.org"] = BUSY
    settings, store = _store(tmp_path, port, 3, LEADEX_SEND_BACKOFF_SECONDS="3600")
    add_user(store, "tina", "sender", "sender passphrase two", actor="test")
    page = studio_page

    def signs_in() -> None:
        page.get_by_label("Account name").fill("tina")
        page.get_by_label("Password").fill("sender passphrase two")
        page.get_by_role("button", name="Sign in").click()

    try:
        with serve_studio(settings, accounts=True, store=store, root=tmp_path) as studio:
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter")
            signs_in()
            page.get_by_role("button", name="Send 3 messages now").click()
            expect(page.locator("#job-waiting")).to_be_visible(timeout=LIVE)
            job_url, studio_port = page.url, int(studio.url.rsplit(":", 1)[1])
        connection = page.locator("#job-connection")
        expect(connection).to_contain_text("The connection to the studio was lost; reconnecting", timeout=LIVE)
        with served_again(settings, studio_port, store, accounts=True):
            expect(connection).to_contain_text("You were signed out because the studio was restarted", timeout=LIVE)
            expect(connection).not_to_contain_text("no longer knows")
            sign_in = page.get_by_role("link", name="Sign in")
            expect(sign_in).to_be_visible()
            assert_accessible(page)
            sign_in.click()
            signs_in()
            expect(page).to_have_url(job_url)
            expect(page.locator("#job-forgotten")).to_contain_text("The studio was started again since this send began", timeout=LIVE)
            expect(page.get_by_role("button", name="Resume the send")).to_be_visible()
    finally:
        store.close()
