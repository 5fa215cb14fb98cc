"""In Chromium: a line break pasted into a one-line box is saved as the box shows it, and a brand the file
names is shown read only (no control), passes axe, and stays in the file (a13d #14 and its brand note)."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import Page, expect

from studio.studio_helpers import ISSUE, LIVE, RunningStudio, assert_accessible, editor_field, wait_preview

pytestmark = pytest.mark.browser


def test_a_line_break_pasted_into_a_one_line_box_is_saved_as_the_box_shows_it(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = editor_field(page, "preheader")
    box.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("Uvod\r\ny: injected")  # the way Chromium inserts a paste into the box
    shown = box.input_value()
    assert "\n" not in shown and "\r" not in shown
    expect(page.locator("#save-status")).to_have_text("Unsaved changes", timeout=LIVE)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert yaml.safe_load(studio.file(ISSUE, "sl").read_text(encoding="utf-8"))["preheader"] == shown == "Uvod y: injected"


def test_a_named_brand_is_read_only_in_the_form_and_kept(studio: RunningStudio, studio_page: Page) -> None:
    (studio.newsletters / "brand-partner.yaml").write_text((studio.newsletters / "brand.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for lang in ("sl", "en"):
        path = studio.file(ISSUE, lang)
        path.write_text(path.read_text(encoding="utf-8").replace("\nsections:", "\nbrand: brand-partner.yaml\nsections:", 1), encoding="utf-8")
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    first = page.locator("fieldset.edition-fields")
    expect(first.locator(".field.kept")).to_contain_text("brand-partner.yaml")
    expect(first.locator(".field.kept")).to_contain_text("Kept by the person who runs the studio")
    assert first.locator('[data-path="brand"]').count() == 0 and first.get_by_label("Brand file").count() == 0
    assert_accessible(page)
    editor_field(page, "title").fill("Nov naslov")
    expect(page.locator("#save-status")).to_have_text("Unsaved changes", timeout=LIVE)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    saved = yaml.safe_load(studio.file(ISSUE, "sl").read_text(encoding="utf-8"))
    assert saved["brand"] == "brand-partner.yaml" and saved["title"] == "Nov naslov"
