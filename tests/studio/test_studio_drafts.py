"""The editor's drafts when things go wrong (a13b #3, #6, #7).

- The studio killed under an open editor: every request the page makes says
  so at the top in the officer's words, nothing typed is dropped, Save is
  not stuck at "Saving…", and once the studio runs again the page sends
  what it had and does the save that was asked for.
- Two tabs on one edition: a tab that missed the other's change is told so
  and can neither change nor save the draft (it would save what it never showed).
- "Discard my changes" (asked in a dialog, keyboard alone) drops a draft,
  also one that cannot be saved; Test and Send say to save or discard.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.studio_helpers import ISSUE, LIVE, RunningStudio, assert_accessible, copy_newsletters, editor_field, free_port, wait_preview
from studio.test_studio_stop_keeps_unsaved import studio_process

NOT_ANSWERING = "The studio is not answering: your changes are not saved yet"
TAB = "changed in another tab or window"


def _token(client) -> str:  # noqa: ANN001
    page = client.get(f"/issues/{ISSUE}/sl")
    assert page.status_code == 200
    return page.text.split('data-csrf="', 1)[1].split('"', 1)[0]


def _revision(client) -> int:  # noqa: ANN001
    page = client.get(f"/issues/{ISSUE}/sl")
    return int(page.text.split('data-revision="', 1)[1].split('"', 1)[0])


# -- #3 the studio killed under the page ----------------------------------------------------------


@pytest.mark.browser
def test_killed_studio_save_says_so_keeps_the_typing_and_saves_once_it_runs_again(tmp_path: Path, studio_page: Page) -> None:
    # a13b repro/save-after-studio-killed.py: SIGKILL, type, Ctrl+S -> "Saving…" forever, no word of it.
    copy_newsletters(tmp_path, ISSUE)
    edition = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    before = edition.read_text(encoding="utf-8")
    page, port = studio_page, free_port()
    with studio_process(tmp_path, port) as (first, url):
        page.goto(f"{url}/issues/{ISSUE}/sl")
        wait_preview(page)
        editor_field(page, "sections.1.heading").fill("Typed before crash")
        page.evaluate("() => window.StudioSettled()")
        first.kill()  # SIGKILL: nothing kept, no goodbye to the page
        first.wait(timeout=60)
        offline = page.locator("#offline")
        expect(offline).to_contain_text("The connection to the studio was lost; reconnecting", timeout=LIVE)
        editor_field(page, "sections.3.heading").fill("Typed after crash")
        expect(offline).to_contain_text(NOT_ANSWERING, timeout=LIVE)
        expect(offline).to_contain_text("Start it again (or ask the person who runs the studio to)")
        page.keyboard.press("Control+s")
        page.evaluate("() => window.StudioSettled()")
        expect(page.locator("#save-status")).to_have_text("Unsaved changes")
        expect(page.get_by_role("button", name="Try again")).to_be_visible()
        assert_accessible(page)
        # Try again while it is still down: said again, nothing lost.
        page.get_by_role("button", name="Try again").click()
        expect(offline).to_contain_text(NOT_ANSWERING, timeout=LIVE)
        assert edition.read_text(encoding="utf-8") == before
    with studio_process(tmp_path, port):
        # Started again: the page gets a session, sends what it had onto the file and saves as asked.
        expect(offline).to_contain_text("The studio is running again and has everything you typed", timeout=LIVE)
        expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
        saved = edition.read_text(encoding="utf-8")
        assert "Typed before crash" in saved and "Typed after crash" in saved
        expect(editor_field(page, "sections.3.heading")).to_have_value("Typed after crash")
        # And the page works on: a change now is a normal change.
        editor_field(page, "sections.1.heading").fill("After the restart")
        page.keyboard.press("Control+s")
        expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
        assert "After the restart" in edition.read_text(encoding="utf-8")


@pytest.mark.browser
def test_the_live_send_page_says_when_the_studio_is_gone(tmp_path: Path, studio_page: Page, start_smtp) -> None:  # noqa: ANN001
    from leadex_mail.store.db import open_store
    from leadex_mail.studio.server import make_server
    from studio.studio_helpers import add_readers, serve_studio, studio_settings
    from studio.test_studio_send import BusyFor

    smtp_port = start_smtp(BusyFor({"reader01@example.org"}))  # one retry an hour away: the send stays live
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_port, LEADEX_SEND_BACKOFF_SECONDS="3600")
    store = open_store(settings)
    try:
        add_readers(store, 2)
        page = studio_page
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter")
            page.get_by_role("button", name="Send 2 messages now").click()
            expect(page.locator("#job-waiting")).to_be_visible(timeout=LIVE)
            expect(page.locator("#job-connection")).to_be_hidden()
            port = int(studio.url.rsplit(":", 1)[1])
        # The studio stopped: the progress page says its figures may be old while it reconnects.
        connection = page.locator("#job-connection")
        expect(connection).to_contain_text("The connection to the studio was lost; reconnecting", timeout=LIVE)
        assert_accessible(page)
        # Another studio on that address does not know this send: the page says where to look.
        server = make_server(settings, port=port, store=store)
        thread = server.start_in_thread()
        try:
            expect(connection).to_contain_text("The studio no longer knows this send", timeout=LIVE)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    finally:
        store.close()


# -- #6 two tabs on one edition ------------------------------------------------------------------


@pytest.mark.browser
def test_a_tab_that_missed_another_tabs_change_is_told_and_never_saves_it(studio: RunningStudio, studio_page: Page) -> None:
    # a13b repro/two-tabs.py: tab B saved tab A's heading, which B never showed.
    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    a = studio_page
    b = a.context.new_page()
    url = f"{studio.url}/issues/{ISSUE}/sl"
    a.goto(url)
    wait_preview(a)
    b.goto(url)
    wait_preview(b)
    editor_field(a, "sections.1.heading").fill("HEADING FROM TAB A")
    a.evaluate("() => window.StudioSettled()")
    conflict = b.locator("#conflict")
    expect(conflict).to_contain_text(f"This edition was {TAB}", timeout=LIVE)
    expect(b.locator("#conflict-page")).to_be_visible()
    expect(b.locator("#conflict-disk")).to_be_hidden()  # reading the file again would drop tab A's work
    expect(editor_field(b, "sections.1.heading")).not_to_have_value("HEADING FROM TAB A")
    editor_field(b, "preheader").fill("preheader from B")
    b.keyboard.press("Control+s")
    b.evaluate("() => window.StudioSettled()")
    assert edition.read_text(encoding="utf-8") == before
    assert_accessible(b)
    # Reloaded, tab B shows what tab A typed and saves it knowingly.
    b.get_by_role("button", name="Reload this page").click()
    expect(editor_field(b, "sections.1.heading")).to_have_value("HEADING FROM TAB A")
    wait_preview(b)
    editor_field(b, "preheader").fill("preheader from B")
    b.keyboard.press("Control+s")
    expect(b.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    saved = edition.read_text(encoding="utf-8")
    assert "HEADING FROM TAB A" in saved and "preheader from B" in saved
    expect(a.locator("#conflict")).to_contain_text(TAB, timeout=LIVE)  # now tab A is the one behind
    b.close()


def test_a_change_or_save_from_a_page_behind_another_is_refused_over_http(studio: RunningStudio) -> None:
    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    with studio.client() as client:
        token = _token(client)
        seen = _revision(client)

        def change(page: str, seen: int, value: str):  # noqa: ANN202
            headers = {"X-CSRF-Token": token, "X-Studio-Page": page, "X-Studio-Seen": str(seen), "accept": "application/json"}
            return client.post(f"/issues/{ISSUE}/sl/field", json={"path": "sections.1.heading", "value": value}, headers=headers)

        first = change("tab-a", seen, "A")
        assert first.status_code == 200, first.text
        assert int(first.headers["x-studio-revision"]) == first.json()["revision"] > seen
        assert change("tab-a", seen, "A again").status_code == 200  # a page's own overlapping requests are never refused
        behind = change("tab-b", seen, "B")
        assert behind.status_code == 409 and behind.json()["conflict"] == "tab"
        assert "v drugem zavihku ali oknu" in behind.json()["error"]  # the officer's language (the settings': sl)
        save_b = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "X-Studio-Page": "tab-b", "X-Studio-Seen": str(seen), "accept": "application/json"})
        assert save_b.status_code == 409 and save_b.json()["conflict"] == "tab"
        assert edition.read_text(encoding="utf-8") == before
        items = client.post(
            f"/issues/{ISSUE}/sl/items", data={"op": "down", "list": "sections", "index": "1"},
            headers={"X-CSRF-Token": token, "X-Studio-Page": "tab-b", "X-Studio-Seen": str(seen), "hx-request": "true"},
        )
        assert items.status_code == 409
        # Tab B reloaded: it has seen everything, its save goes through (with A's heading, which it now shows).
        now = _revision(client)
        save_b = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "X-Studio-Page": "tab-b", "X-Studio-Seen": str(now), "accept": "application/json"})
        assert save_b.status_code == 200, save_b.text
        assert "heading: A again" in edition.read_text(encoding="utf-8")


# -- #7 discarding a draft ------------------------------------------------------------------------


@pytest.mark.browser
def test_discard_my_changes_asks_first_works_with_the_keyboard_and_unblocks_test_and_send(studio: RunningStudio, studio_page: Page) -> None:
    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    discard = page.get_by_role("button", name="Discard my changes")
    expect(discard).to_be_hidden()  # nothing to discard
    heading = editor_field(page, "sections.1.heading")
    original = heading.input_value()
    heading.fill("A heading I do not want")
    page.evaluate("() => window.StudioSettled()")
    # A draft that cannot be saved: the file changed on disk meanwhile.
    edition.write_text(before.replace(original, "Changed on disk", 1), encoding="utf-8")
    expect(page.locator("#conflict")).to_contain_text("changed on disk", timeout=LIVE)
    page.keyboard.press("Control+s")
    expect(page.locator("#conflict")).to_contain_text("your changes were not saved", timeout=LIVE)
    # Test and send say what to do instead of being blocked unexplained.
    send = page.context.new_page()
    send.goto(f"{studio.url}/issues/{ISSUE}/send")
    expect(send.locator(".banner.error").first).to_contain_text("Save them or discard them (Discard my changes)")
    send.close()

    discard.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Discard your unsaved changes?")
    expect(dialog).to_be_visible()
    expect(page.locator("#discard-no")).to_be_focused()  # the safe choice first
    assert_accessible(page)
    page.keyboard.press("Escape")  # changed my mind: nothing happens
    expect(dialog).to_be_hidden()
    expect(heading).to_have_value("A heading I do not want")
    discard.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#discard-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text("All changes saved", timeout=LIVE)
    expect(heading).to_have_value("Changed on disk")
    expect(page.locator("#conflict")).to_be_hidden()
    expect(discard).to_be_hidden()
    assert "Changed on disk" in edition.read_text(encoding="utf-8")
    page.goto(f"{studio.url}/issues/{ISSUE}/send")
    expect(page.locator(".banner.error")).to_have_count(0)


@pytest.mark.parametrize("ui", ["sl", "en"])
def test_a_draft_that_cannot_be_saved_blocks_only_its_save_and_can_be_discarded(studio: RunningStudio, ui: str) -> None:
    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    workspace = studio.server.config.app.state.studio.workspace
    with studio.client() as client:
        token = _token(client)
        changed = client.post(f"/issues/{ISSUE}/sl/field", json={"path": "title", "value": "Neshranjeno"}, headers={"X-CSRF-Token": token})
        assert changed.status_code == 200
        theirs = before.replace("title:", "title: Spremenjeno na disku #", 1)
        edition.write_text(theirs, encoding="utf-8")  # someone else's change: this draft can no longer be saved
        refused = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "accept": "application/json"})
        assert refused.status_code == 409
        blocked = client.post(f"/issues/{ISSUE}/send/test?ui={ui}", data={"csrf": token, "to": "officer@example.org", "language": "sl"})
        assert blocked.status_code == 409
        assert {"en": "save them or discard them", "sl": "shranite ali zavrzite"}[ui] in blocked.text
        assert {"en": "Discard my changes", "sl": "Zavrzi moje spremembe"}[ui] in client.get(f"/issues/{ISSUE}/sl?ui={ui}").text
        dropped = client.post(f"/issues/{ISSUE}/sl/reload", data={"csrf": token})
        assert dropped.status_code == 303
        assert all(not s.dirty() for s in workspace.sessions_of(ISSUE))
        assert "Unsaved changes in" not in client.get(f"/issues/{ISSUE}/send?ui=en").text
        assert edition.read_text(encoding="utf-8") == theirs


def test_a_draft_is_discarded_even_when_its_file_no_longer_reads(studio: RunningStudio) -> None:
    edition = studio.file(ISSUE, "sl")
    workspace = studio.server.config.app.state.studio.workspace
    with studio.client() as client:
        token = _token(client)
        assert client.post(f"/issues/{ISSUE}/sl/field", json={"path": "title", "value": "Neshranjeno"}, headers={"X-CSRF-Token": token}).status_code == 200
        edition.write_text("title: [unclosed\n", encoding="utf-8")
        assert client.post(f"/issues/{ISSUE}/sl/reload", data={"csrf": token}).status_code == 303
        assert all(not s.dirty() for s in workspace.sessions_of(ISSUE))  # the issue is what its files say
        page = client.get(f"/issues/{ISSUE}/sl")
        assert page.status_code == 409 and "Traceback" not in page.text  # the file's own problem, said as before


def test_events_say_which_studio_answers_and_goodbye_when_it_stops(studio: RunningStudio) -> None:
    import asyncio

    from leadex_mail.studio.workspace import IssueSession

    session = IssueSession("local", ISSUE, studio.settings)

    async def run() -> list[str]:
        closed = asyncio.Event()
        stream = session.events(closed, "sl", instance="abc123")
        first = [await anext(stream), await anext(stream)]
        session.close()
        rest = [chunk async for chunk in stream]
        return first + rest

    # On a thread of its own: in the whole suite the browser tests' event loop runs on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        chunks = pool.submit(asyncio.run, run()).result(timeout=60)
    hello = next(c for c in chunks if c.startswith("event: hello"))
    assert json.loads(hello.split("data: ", 1)[1])["instance"] == "abc123"
    assert any(c.startswith("event: bye") for c in chunks)
