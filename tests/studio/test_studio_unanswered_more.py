"""More of the editor when things go wrong (issue 13 leftovers), in real Chromium against real studios.

- The rich-text field's "Markdown" toggle asks the studio for the field's
  Markdown: when the studio does not answer, the page's one banner says so
  (as for every other request), the view stays as it was with what the
  officer typed, and Try again is offered.
- The side-by-side translation page has the editor's "Discard my changes"
  (asked in a dialog), also for changes kept when the studio stopped and
  restored.
- Signed out (accounts) while the studio does not answer: the sign-in notice
  stays first, the page says the studio does not answer either, and the
  sign-in link does not lead the page away to an error page (losing what it
  holds) until the studio answers (docs/decisions.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.studio_helpers import (
    ISSUE, LIVE, Clock, RunningStudio, assert_accessible, copy_newsletters, editor_field, free_port, rich_editor, serve_studio, studio_settings, wait_preview,
)
from studio.test_studio_stop_keeps_unsaved import studio_process

pytestmark = pytest.mark.browser
FIELD = "sections.5.body"  # a rich-text field of issue No. 1's sl edition


def test_the_markdown_toggle_says_when_the_studio_does_not_answer_and_keeps_the_typing(tmp_path: Path, studio_page: Page) -> None:
    copy_newsletters(tmp_path, ISSUE)
    page, port = studio_page, free_port()
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    markdown = box.get_by_role("button", name="Markdown")
    offline = page.locator("#offline")
    with studio_process(tmp_path, port) as (first, url):
        page.goto(f"{url}/issues/{ISSUE}/sl")
        wait_preview(page)
        editor = rich_editor(page, FIELD)
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.type(" Dopisano pred izpadom.")
        page.evaluate("() => window.StudioSettled()")
        first.kill()  # nothing answers on the port from now on
        first.wait(timeout=60)
        expect(offline).to_contain_text("The connection to the studio was lost", timeout=LIVE)
        markdown.click()
        # Before: the Markdown view opened with the text as it was when the page loaded, and nothing was said.
        expect(offline).to_contain_text("this field could not be switched between formatted text and Markdown", timeout=LIVE)
        expect(markdown).to_have_attribute("aria-pressed", "false")
        expect(box.locator("textarea.source")).to_be_hidden()
        expect(editor).to_contain_text("Dopisano pred izpadom.")
        retry = page.get_by_role("button", name="Try again")
        expect(retry).to_be_visible()
        assert_accessible(page)
        retry.click()  # still not answering: still said, nothing lost
        expect(offline).to_contain_text("could not be switched", timeout=LIVE)
        expect(editor).to_contain_text("Dopisano pred izpadom.")
    with studio_process(tmp_path, port):
        expect(offline).to_contain_text("The studio is running again and has everything you typed", timeout=LIVE)
        markdown.click()
        expect(box.locator("textarea.source")).to_have_value(re.compile(r"Dopisano pred izpadom\.\s*$"), timeout=LIVE)
        expect(markdown).to_have_attribute("aria-pressed", "true")


def test_the_side_by_side_page_discards_restored_changes_as_the_editor_does(studio: RunningStudio, studio_page: Page) -> None:
    from leadex_mail.studio import recovery
    from leadex_mail.studio.auth import local_actor
    from leadex_mail.studio.document import read_stamp

    edition = studio.file(ISSUE, "en")
    before = edition.read_text(encoding="utf-8")
    kept = before.replace("heading: LeadEx kick-off meeting - Murcia", "heading: Kept when the studio stopped", 1)
    recovery.keep(studio.settings, local_actor(), ISSUE, "en", kept, read_stamp(edition), studio.clock())
    page, side = studio_page, f"{studio.url}/issues/{ISSUE}/side-by-side?lang=en"
    page.goto(side)
    discard = page.get_by_role("button", name="Discard my changes")
    expect(discard).to_be_hidden()  # nothing unsaved yet: only the offer of the kept changes
    page.get_by_role("button", name="Restore my unsaved changes").click()
    expect(page).to_have_url(side)
    heading = editor_field(page, "sections.1.heading")
    expect(heading).to_have_value("Kept when the studio stopped")
    expect(page.locator("#save-status")).to_have_text("Unsaved changes")
    heading.fill("Typed after restoring")
    page.evaluate("() => window.StudioSettled()")
    # Asked first; Cancel has the focus and Escape keeps the changes (before: no such button on this page).
    discard.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(heading).to_have_value("Typed after restoring")
    discard.click()
    dialog.get_by_role("button", name="Discard my changes").click()
    expect(page).to_have_url(side)  # back at the translation beside its original
    expect(editor_field(page, "sections.1.heading")).to_have_value("LeadEx kick-off meeting - Murcia")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    expect(page.get_by_role("button", name="Discard my changes")).to_be_hidden()
    assert edition.read_text(encoding="utf-8") == before
    assert recovery.find(studio.settings, local_actor(), ISSUE, "en") is None
    assert all(not s.dirty() for s in studio.server.config.app.state.studio.workspace.sessions_of(ISSUE))


def test_signed_out_while_the_studio_does_not_answer_says_both_and_keeps_the_page(tmp_path: Path, studio_page: Page) -> None:
    from leadex_mail.store.accounts import add_user
    from leadex_mail.store.db import open_store
    from leadex_mail.studio.auth import IDLE_MINUTES
    from leadex_mail.studio.server import make_server

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    add_user(store, "maja", "editor", "editor passphrase one", actor="test")
    page, clock = studio_page, Clock()
    offline, sign_in = page.locator("#offline"), page.get_by_role("link", name="Sign in")

    def signs_in() -> None:
        page.get_by_label("Account name").fill("maja")
        page.get_by_label("Password").fill("editor passphrase one")
        page.get_by_role("button", name="Sign in").click()

    try:
        with serve_studio(settings, accounts=True, store=store, clock=clock, root=tmp_path) as studio:
            url, port = studio.url, int(studio.url.rsplit(":", 1)[1])
            editor_url = f"{url}/issues/{ISSUE}/sl"
            page.goto(editor_url)
            signs_in()
            expect(page).to_have_url(editor_url)
            wait_preview(page)
            heading = editor_field(page, "sections.1.heading")
            heading.fill("Poslano pred odjavo")
            page.evaluate("() => window.StudioSettled()")
            clock.advance(minutes=IDLE_MINUTES + 1)  # the session ends (idle)
            heading.fill("Vpisano po odjavi")
            expect(offline).to_contain_text("You were signed out because the studio was not used", timeout=LIVE)
            expect(sign_in).to_be_visible()
        # The studio stopped (its server ended: nothing listens on the port). The officer follows the sign-in link.
        sign_in.click()
        # Before: the page went to the browser's error page, and what it held was gone.
        expect(offline).to_contain_text("The studio is not answering either", timeout=LIVE)
        expect(offline).to_contain_text("You were signed out because the studio was not used")  # what must be done, first
        expect(page).to_have_url(editor_url)
        expect(heading).to_have_value("Vpisano po odjavi")
        expect(sign_in).to_be_hidden()
        retry = page.get_by_role("button", name="Try again")
        expect(retry).to_be_visible()
        assert_accessible(page)
        retry.click()  # still not answering: said again
        expect(offline).to_contain_text("The studio is not answering either", timeout=LIVE)
        expect(page).to_have_url(editor_url)
        server = make_server(settings, port=port, require_login=True, store=store, clock=clock)
        thread = server.start_in_thread()
        try:
            retry.click()  # it answers: the sign-in notice alone, its link back
            expect(sign_in).to_be_visible(timeout=LIVE)
            expect(offline).not_to_contain_text("not answering")
            expect(retry).to_be_hidden()
            sign_in.click()
            signs_in()
            expect(page).to_have_url(editor_url)
            # What reached the studio before the sign-out was kept when it stopped, and is offered back.
            expect(page.locator("#kept")).to_be_visible()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    finally:
        store.close()
