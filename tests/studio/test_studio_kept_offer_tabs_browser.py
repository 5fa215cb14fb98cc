"""Saved, restored or discarded in one tab, the offer of changes kept at a stop goes from every tab of that edition.

A tab hears it as it happens (``saved``, ``kept``) or, when its event stream connects only after it (slow to start,
reconnecting), in the stream's ``hello``: the offer stands only while the kept draft is newer than the saved file,
whatever the order in which tabs load, listen and save.

The kept copy is dropped when the edition is saved (``IssueSession.save``); a second tab went on offering "Restore my
unsaved changes" until it was reloaded, and pressing it would have brought the older draft back over what was just
saved. Real Chromium, two pages of one session on the studio served for real; waits on the pages' events, never a clock.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from leadex_mail.studio import recovery
from leadex_mail.studio.auth import local_actor
from leadex_mail.studio.document import read_stamp
from studio.studio_helpers import ISSUE, LIVE, editor_field, wait_preview

pytestmark = pytest.mark.browser


def _kept(studio) -> tuple[Path, str]:  # noqa: ANN001
    """The sl edition's file and text, with changes to it kept as at a stop by an earlier studio (offered back)."""
    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    recovery.keep(studio.settings, local_actor(), ISSUE, "sl", before.replace("Uvodni sestanek", "Kept heading", 1), read_stamp(edition), studio.clock())
    return edition, before


def test_saving_in_one_tab_takes_the_offer_of_kept_changes_away_in_the_other(studio, studio_page) -> None:  # noqa: ANN001
    edition, before = _kept(studio)
    a = studio_page
    b = a.context.new_page()
    for page in (a, b):
        page.goto(f"{studio.url}/issues/{ISSUE}/sl")
        expect(page.locator("#kept")).to_have_count(1)
        wait_preview(page)  # its event stream delivers: it hears what the other tab does
    editor_field(a, "sections.1.heading").fill("Saved in the first tab")
    a.keyboard.press("Control+s")
    expect(a.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    expect(b.locator("#kept")).to_have_count(0, timeout=LIVE)  # gone without a reload
    assert recovery.find(studio.settings, local_actor(), ISSUE, "sl") is None
    assert "Saved in the first tab" in edition.read_text(encoding="utf-8")
    expect(b.get_by_role("button", name="Restore my unsaved changes")).to_have_count(0)


def test_a_tab_that_listens_only_after_another_tabs_save_offers_nothing(studio, studio_page) -> None:  # noqa: ANN001
    """Review of session 7: the offer went only with the ``saved`` event, so a tab whose event stream connected after
    the save (slow to start, or reconnecting) went on offering the older draft. Now a tab hears in ``hello`` whether
    the studio still offers it: the order in which tabs load, listen and save does not matter."""
    edition, before = _kept(studio)
    a = studio_page
    b = a.context.new_page()
    held = []  # b's event stream, held until a has saved
    b.route(lambda url: f"/issues/{ISSUE}/events" in url, lambda route: held.append(route))
    a.goto(f"{studio.url}/issues/{ISSUE}/sl")
    expect(a.locator("#kept")).to_have_count(1)
    wait_preview(a)
    with b.expect_request(lambda request: f"/issues/{ISSUE}/events" in request.url):
        b.goto(f"{studio.url}/issues/{ISSUE}/sl")
    expect(b.locator("#kept")).to_have_count(1)  # served while the copy was kept
    editor_field(a, "sections.1.heading").fill("Saved in the first tab")
    a.keyboard.press("Control+s")
    expect(a.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert recovery.find(studio.settings, local_actor(), ISSUE, "sl") is None
    expect(b.locator("#kept")).to_have_count(1)  # b has not listened yet: it heard nothing of the save
    assert len(held) == 1
    held[0].continue_()
    b.unroute_all()
    wait_preview(b)  # b listens now
    expect(b.locator("#kept")).to_have_count(0, timeout=LIVE)
    expect(b.get_by_role("button", name="Restore my unsaved changes")).to_have_count(0)
    assert "Saved in the first tab" in edition.read_text(encoding="utf-8")


def test_a_tab_listening_again_keeps_the_offer_while_the_copy_is_kept_and_loses_it_when_another_tab_discards_it(studio, studio_page) -> None:  # noqa: ANN001
    edition, before = _kept(studio)
    a = studio_page
    b = a.context.new_page()
    for page in (a, b):
        page.goto(f"{studio.url}/issues/{ISSUE}/sl")
        wait_preview(page)
        expect(page.locator("#kept")).to_have_count(1)  # heard ``hello``: still offered
    a.locator("#kept").get_by_role("button", name="Discard them").click()
    expect(a.locator("#kept")).to_have_count(0, timeout=LIVE)
    expect(b.locator("#kept")).to_have_count(0, timeout=LIVE)  # without a reload
    assert recovery.find(studio.settings, local_actor(), ISSUE, "sl") is None
    assert edition.read_text(encoding="utf-8") == before
