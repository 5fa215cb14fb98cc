"""In Chromium: an event moved in the default edition is moved in its translation, side by side pairs them again (a13c F7).

The officer's own steps: "Move down" on sl's first event, Save; then side
by side (sl -> en). The first event of sl is now the Brussels week, and
beside it en's first event is the Brussels week too, in English; nothing is
marked "needs update" (a move is nothing to translate); en.yaml on disk has
its events in sl's order. Then "Discard my changes" after another move puts
en's draft back with sl's.
"""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import Page, expect

from leadex_mail.content.translations import record_translation, stale_sections
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, assert_accessible, editor_field, wait_preview

pytestmark = pytest.mark.browser

EVENTS = 6


def _titles(studio: RunningStudio, lang: str) -> list[str]:
    data = yaml.safe_load(studio.file(ISSUE, lang).read_text(encoding="utf-8"))
    return [item["title"] for item in data["sections"][EVENTS]["items"]]


def test_an_event_moved_in_the_default_edition_is_beside_its_translation_side_by_side(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    folder = studio.file(ISSUE, "sl").parent
    record_translation(folder, "en", "sl")  # en translates sl as it is: nothing needs its update
    sl_titles, en_titles = _titles(studio, "sl"), _titles(studio, "en")
    en_bytes = studio.file(ISSUE, "en").read_bytes()

    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    page.locator(f"#down-sections\\.{EVENTS}\\.items\\.0").click()
    expect(page.locator(f"#down-sections\\.{EVENTS}\\.items\\.1")).to_be_focused(timeout=LIVE)  # focus follows the event
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)

    assert _titles(studio, "sl") == [sl_titles[1], sl_titles[0], *sl_titles[2:]]
    assert _titles(studio, "en") == [en_titles[1], en_titles[0], *en_titles[2:]]  # the file written: en's words, sl's order
    assert stale_sections(folder, "en", "sl") == set()

    page.goto(f"{studio.url}/issues/{ISSUE}/side-by-side?lang=en")
    pair = page.locator(f"#pair-{EVENTS}")
    expect(pair.locator(".original")).to_contain_text(sl_titles[1])
    expect(editor_field(page, f"sections.{EVENTS}.items.0.title")).to_have_value(en_titles[1])  # beside it, its own translation
    expect(editor_field(page, f"sections.{EVENTS}.items.1.title")).to_have_value(en_titles[0])
    expect(page.locator(".needs-update")).to_have_count(0)  # a move is nothing to translate
    assert_accessible(page)

    # Another move, then "Discard my changes" in sl: en's draft goes back with it.
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    page.locator(f"#up-sections\\.{EVENTS}\\.items\\.1").click()
    expect(page.locator(f"#down-sections\\.{EVENTS}\\.items\\.0")).to_be_focused(timeout=LIVE)  # first now: on its "Move down"
    page.locator("#discard").click()
    page.locator("#discard-yes").click()
    expect(page.locator("#save-status")).to_have_text("All changes saved", timeout=LIVE)
    page.goto(f"{studio.url}/issues/{ISSUE}/side-by-side?lang=en")
    expect(editor_field(page, f"sections.{EVENTS}.items.0.title")).to_have_value(en_titles[1])
    expect(page.locator("#discard")).to_be_hidden()  # en has nothing unsaved
    assert studio.file(ISSUE, "en").read_bytes() != en_bytes and _titles(studio, "en")[0] == en_titles[1]
