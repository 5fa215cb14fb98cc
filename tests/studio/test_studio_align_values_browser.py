"""In Chromium: the translator's view of an event the default edition added (a14, seventh session).

The en tab is open (with an unsaved edit of its own) while the sl tab adds
an event and writes its title, date and text: the en form shows the new
event at once with its Date box filled and its texts as ✎ copies, and after
sl's Save, en read again from its file shows the same.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.content.translations import record_translation
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, editor_field, rich_editor, wait_preview

pytestmark = pytest.mark.browser

EVENTS = 6
ITEM = f"sections.{EVENTS}.items.3"


def test_the_translator_sees_the_new_events_date_and_its_texts_marked(studio: RunningStudio, studio_page: Page) -> None:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    en = studio_page
    en.goto(f"{studio.url}/issues/{ISSUE}/en")
    wait_preview(en)
    editor_field(en, "subject").fill("EN SUBJECT NOT SAVED")
    expect(en.locator("#save-status")).to_have_text("Unsaved changes")
    en.evaluate("() => window.StudioSettled()")

    sl = en.context.new_page()
    sl.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(sl)
    sl.locator(f"#add-sections\\.{EVENTS}\\.items").click()
    expect(editor_field(sl, f"{ITEM}.title")).to_be_visible(timeout=LIVE)
    editor_field(sl, f"{ITEM}.title").fill("Obisk v Rigi")
    editor_field(sl, f"{ITEM}.date").fill("2027-05-20")
    rich_editor(sl, f"{ITEM}.body").click()
    sl.keyboard.type("Spletni seminar o prenovi.")
    sl.evaluate("() => window.StudioSettled()")

    # The en tab, as it is: the new event, its date, its texts to translate; its own edit kept.
    expect(editor_field(en, f"{ITEM}.date")).to_have_value("2027-05-20", timeout=LIVE)
    expect(editor_field(en, f"{ITEM}.title")).to_have_value("✎ Obisk v Rigi", timeout=LIVE)
    expect(rich_editor(en, f"{ITEM}.body")).to_have_text("✎ Spletni seminar o prenovi.", timeout=LIVE)
    expect(editor_field(en, "subject")).to_have_value("EN SUBJECT NOT SAVED")

    sl.get_by_role("button", name="Save", exact=True).click()
    expect(sl.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    text = studio.file(ISSUE, "en").read_text(encoding="utf-8")
    assert "      - title: ✎ Obisk v Rigi\n        date: 2027-05-20\n        body: ✎ Spletni seminar o prenovi.\n" in text
    assert "EN SUBJECT NOT SAVED" not in text

    fresh = en.context.new_page()  # a third tab: en as the studio holds it now
    fresh.goto(f"{studio.url}/issues/{ISSUE}/en")
    wait_preview(fresh)
    expect(editor_field(fresh, f"{ITEM}.date")).to_have_value("2027-05-20")
    expect(editor_field(fresh, f"{ITEM}.title")).to_have_value("✎ Obisk v Rigi")
    expect(rich_editor(fresh, f"{ITEM}.body")).to_have_text("✎ Spletni seminar o prenovi.")
