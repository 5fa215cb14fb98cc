"""The reported link (a13c #13) in Chromium: made with the Link dialog, saved, and opened again as a link, not as Markdown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from studio.studio_helpers import ISSUE, LIVE, RunningStudio, make_link, rich_editor, wait_preview

pytestmark = pytest.mark.browser

FIELD = "sections.5.body"
ADDRESS = "https://example.org/docs/Poročilo Murcia (final).pdf"
WRITTEN = "Glej [Poročilo o srečanju](https://example.org/docs/Poročilo%20Murcia%20(final).pdf)"


def test_a_link_with_a_slovenian_letter_made_in_the_dialog_opens_again_as_a_link(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    preview = page.frame_locator("#panel-desktop iframe")
    href = "https://example.org/docs/Poro%C4%8Dilo%20Murcia%20(final).pdf"  # what the browser makes of the typed address
    make_link(page, box, "Poročilo o srečanju", ADDRESS, shown=href)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert f"body: {WRITTEN}\n" in studio.file(ISSUE, "sl").read_text(encoding="utf-8")

    page.reload()
    wait_preview(page)
    expect(box.locator(".rt-note")).to_be_hidden()  # not "This text uses formatting the editor cannot show"
    expect(box.get_by_role("button", name="Markdown")).to_have_attribute("aria-pressed", "false")
    expect(rich_editor(page, FIELD).locator("a")).to_have_text("Poročilo o srečanju")
    rich_editor(page, FIELD).locator("a").click()
    box.get_by_role("button", name="Link", exact=True).click()
    expect(box.get_by_label("Link address")).to_have_value("https://example.org/docs/Poročilo%20Murcia%20(final).pdf")
    expect(preview.locator(f'a[href="{href}"]')).to_have_text("Poročilo o srečanju", timeout=LIVE)
