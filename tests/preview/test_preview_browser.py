"""The preview page in real Chromium: views, text part, language switch, live reload."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from leadex_mail.content.loader import load_issue

pytestmark = pytest.mark.browser
LIVE = 20_000  # ms to wait for a save to show: the watcher batches, then the issue re-renders
FRAMES_FIT = """() => [...document.querySelectorAll("iframe")].every((f) => {
  const doc = f.contentDocument;
  return doc && doc.readyState === "complete" && f.clientHeight >= doc.documentElement.scrollHeight;
})"""


WCAG = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}


def assert_accessible(page: Page) -> None:
    """No axe-core WCAG 2.x A/AA violation on the page, the email views included."""
    violations = Axe().run(page).response["violations"]
    bad = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations if WCAG & set(v["tags"])]
    assert not bad, bad


def _box_width(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box["width"]


def test_desktop_and_mobile_views_text_part_and_language_switch(live_preview, issue_copy, page: Page):
    issue = load_issue(issue_copy.slug, issue_copy.settings)
    sl, en = issue.editions["sl"], issue.editions["en"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_preview.url)

    # Both views show the email, at the widths the mail clients give it (plus the 1 px border).
    assert _box_width(page, "#desktop") == pytest.approx(602, abs=1)
    assert _box_width(page, "#mobile") == pytest.approx(377, abs=1)
    for frame in ("#desktop", "#mobile"):
        expect(page.frame_locator(frame).locator("body")).to_contain_text(sl.title)
    # Each view grows to its email's full height, so only the page scrolls (waits for the images).
    page.wait_for_function(FRAMES_FIT, timeout=LIVE)
    # The email's own layout must fit the phone: no sideways scrolling in the 375 px view.
    mobile_doc_width = page.frame_locator("#mobile").locator("html").evaluate("el => el.scrollWidth")
    assert mobile_doc_width <= 375

    expect(page.locator("pre#text")).to_contain_text(sl.title)
    expect(page.locator("#check")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="en", exact=True).click()
    expect(page).to_have_url(live_preview.url + "/?lang=en")
    expect(page.locator("pre#text")).to_contain_text(en.title)
    expect(page.locator("#subject")).to_have_text(en.subject)
    expect(page.frame_locator("#desktop").locator("body")).to_contain_text(en.title)


def test_a_save_shows_without_reload_a_broken_save_shows_problems_then_recovers(live_preview, issue_copy, page: Page):
    issue = load_issue(issue_copy.slug, issue_copy.settings)
    heading = next(s.heading for s in issue.editions["sl"].sections if getattr(s, "heading", None))
    page.goto(live_preview.url)
    expect(page.locator("pre#text")).to_contain_text(heading)

    issue_copy.edit("sl", heading, "Urejeno v živo – " + heading)
    expect(page.locator("pre#text")).to_contain_text("Urejeno v živo – ", timeout=LIVE)
    expect(page.frame_locator("#desktop").locator("body")).to_contain_text("Urejeno v živo – ")

    line = issue_copy.line_of("sl", "number:")
    issue_copy.edit("sl", "number:", "number: first #")
    problems = page.locator("#problems")
    expect(problems).to_contain_text(f"sl.yaml:{line}:", timeout=LIVE)
    expect(problems).to_contain_text("number")
    # The last version that rendered stays on show under the problems (issue 9: preview keeps serving).
    expect(page.locator("#status")).to_contain_text("showing the last version that worked")
    expect(page.frame_locator("#desktop").locator("body")).to_contain_text("Urejeno v živo – ")
    assert_accessible(page)

    issue_copy.edit("sl", "number: first #", "number:", atomic=True)
    expect(page.locator("pre#text")).to_contain_text("Urejeno v živo – ", timeout=LIVE)
    expect(page.locator("#problems")).to_have_count(0)
