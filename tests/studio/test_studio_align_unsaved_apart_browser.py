"""In Chromium, two tabs (a13d MAJOR 1, repro t9): the en tab typed a title, the sl tab moved a section and saved.

en.yaml gets the move on its saved content, never the title nobody saved;
the en tab is not told "changed in another tab": it shows its draft again
(the move made, its title still there, still "Unsaved changes") and keeps
working: its Save writes both.
"""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import Page, expect

from leadex_mail.content.translations import record_translation
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, editor_field, wait_preview

pytestmark = pytest.mark.browser

EVENTS = 6
UNSAVED = "EN DRAFT NOT SAVED"


def test_a_section_moved_and_saved_in_sl_leaves_the_en_tabs_unsaved_title_a_draft_that_keeps_working(studio: RunningStudio, studio_page: Page) -> None:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    en_before = yaml.safe_load(studio.file(ISSUE, "en").read_text(encoding="utf-8"))
    en = studio_page
    en.goto(f"{studio.url}/issues/{ISSUE}/en")
    wait_preview(en)
    editor_field(en, "title").fill(UNSAVED)
    expect(en.locator("#save-status")).to_have_text("Unsaved changes")
    en.evaluate("() => window.StudioSettled()")  # the change reached the studio

    sl = en.context.new_page()
    sl.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(sl)
    sl.locator(f"#down-sections\\.{EVENTS}").click()
    expect(sl.locator(f"#down-sections\\.{EVENTS + 1}")).to_be_focused(timeout=LIVE)
    sl.get_by_role("button", name="Save", exact=True).click()
    expect(sl.locator("#save-status")).to_have_text("Saved", timeout=LIVE)

    on_disk = yaml.safe_load(studio.file(ISSUE, "en").read_text(encoding="utf-8"))
    assert on_disk["title"] == en_before["title"]  # nobody saved the title
    moved = list(en_before["sections"])
    moved.insert(EVENTS + 1, moved.pop(EVENTS))
    assert on_disk["sections"] == moved

    # The en tab: shown again with the move, its title, unsaved, and no conflict.
    expect(editor_field(en, "title")).to_have_value(UNSAVED, timeout=LIVE)
    first_event = en_before["sections"][EVENTS]["items"][0]["title"]
    assert en_before["sections"][EVENTS + 1]["items"][0]["title"] != first_event
    expect(editor_field(en, f"sections.{EVENTS + 1}.items.0.title")).to_have_value(first_event, timeout=LIVE)  # the form shows the move
    expect(en.locator("#save-status")).to_have_text("Unsaved changes")
    expect(en.locator("#conflict")).to_be_hidden()
    en.get_by_role("button", name="Save", exact=True).click()
    expect(en.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    saved = yaml.safe_load(studio.file(ISSUE, "en").read_text(encoding="utf-8"))
    assert saved["title"] == UNSAVED and saved["sections"] == moved
