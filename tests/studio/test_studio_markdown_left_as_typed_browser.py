"""In Chromium: a link the mail would show as typed is an error at its field; the link box refuses an address that leads nowhere.

Reported (a15): typed into a text field's "Markdown" box, ``[Prijava](https://… obrazec.pdf)``,
``[Prijava] (https://…)``, ``[Wiki](…Murcia_(city)``, ``[js](javascript:…)``, ``[d](data:…)`` and
``[vb](vbscript:…)`` reached the preview as raw brackets and the check list stayed empty (A2);
the link box made a link of ``https://`` with no host, which only the check flagged later (M6);
an address typed as plain words got no link and no word about it (M7).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from content.test_content_link_addresses import ADDRESSES
from content.test_content_markdown_left_as_typed import REPORTED
from leadex_mail.content.unfinished import unfinished_url
from leadex_mail.content.urls import link_trouble
from leadex_mail.studio.i18n import words as words_for
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, rich_editor, selected, wait_preview

pytestmark = pytest.mark.browser

FIELD = "sections.5.body"


def test_each_reported_link_typed_as_markdown_is_an_error_at_its_field(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    box.get_by_role("button", name="Markdown").click()
    box.locator("textarea").fill("\n\n".join(f"Vabljeni: {written} še danes." for written, _, _ in REPORTED))
    preview = page.frame_locator("#panel-desktop iframe")
    expect(preview.locator("body")).to_contain_text("[Prijava] (https://example.org/b)", timeout=LIVE)  # what readers would get
    at_field = page.locator(f'[data-problems-for="{FIELD}"]')
    expect(at_field).to_contain_text("looks like a link but is not one", timeout=LIVE)
    errors = page.locator("#check-list li.error")
    expect(errors).to_have_count(len(REPORTED), timeout=LIVE)
    words = words_for("en")
    for written, code, _ in REPORTED:
        said = words.finding(code, {"value": written[1 : written.index("]")]})
        assert said and "looks like a link but is not one" in said
        expect(errors.filter(has_text=said)).to_have_count(1)
    expect(at_field).to_contain_text(str(words.finding_hint("link.written_space", {})))


def test_an_address_typed_as_words_is_a_warning_with_the_way_to_link_it(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    rich_editor(page, FIELD).click()
    page.keyboard.press("Control+a")
    page.keyboard.type("Več na https://example.org/novice in www.example.org/dogodki")
    warnings = page.locator("#check-list li.warning")
    expect(warnings.filter(has_text="is written as plain words")).to_have_count(2, timeout=LIVE)
    expect(page.locator(f'[data-problems-for="{FIELD}"]')).to_contain_text(str(words_for("en").finding_hint("link.bare_address", {})))


def test_the_link_box_refuses_an_address_that_leads_nowhere_as_the_check_does(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    rich_editor(page, FIELD).click()
    page.keyboard.press("Control+a")
    page.keyboard.type("Glej prijavnico")
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("Glej prijavnico", timeout=LIVE)
    for _ in "prijavnico":
        page.keyboard.press("Shift+ArrowLeft")
    selected(page, FIELD, "prijavnico")
    page.keyboard.press("Control+k")
    address = box.locator(".rt-link input")
    error = box.locator(".rt-link-error")
    for typed in ("https://", "http://#", "https://example.org/", "https://localhost/a", "mailto:"):
        address.fill(typed)
        page.keyboard.press("Enter")
        expect(error).to_have_text(words_for("en").t("rt_link_unfinished"))
        expect(address).to_be_focused()
        expect(address).to_have_attribute("aria-invalid", "true")
    address.fill("https://example.org/prijava")
    page.keyboard.press("Enter")
    expect(box.locator(".rt-link")).to_be_hidden()
    expect(page.frame_locator("#panel-desktop iframe").locator('a[href="https://example.org/prijava"]')).to_have_text("prijavnico", timeout=LIVE)
    # The box's rule and the check's agree on every address the link rule lets through.
    addresses = [a for a, why in ADDRESSES if why is None] + ["http://#", "https://example.com", "https://www.example.net/", "https://example.org/?a=1", "https://a.invalid/x", "https://x.localhost", "mailto:?subject=x"]
    in_browser = page.evaluate("(all) => all.map((a) => window.StudioLinkRules.linkUnfinished(a))", addresses)
    assert in_browser == [unfinished_url(a) is not None for a in addresses], list(zip(addresses, in_browser))
    assert all(link_trouble(a) is None for a in addresses)
