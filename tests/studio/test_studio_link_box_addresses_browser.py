"""The link box in Chromium (a14 findings 1 and 2): an address it cannot make a link of is said at its field.

Before: Ctrl+K, ``www.example.org/prijava``, Enter closed the box, left the
words plain and said nothing (``javascript:…`` alike); ``https://exa mple.org/a b``
was made a link that no mail program can open. Now a host and path without a
scheme gets ``https://`` (the link made shows it), and every other refused
address keeps the box open, the focus in the address and the reason beside it
in the officer's language. The box's rule is ``content/urls.link_trouble``'s
twin in richtext.js: both answer the same on the content test's table.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from content.test_content_link_addresses import ADDRESSES
from leadex_mail.content.urls import link_trouble, with_scheme
from leadex_mail.studio.i18n import words as words_for
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, selected, wait_preview

pytestmark = pytest.mark.browser

FIELD = "sections.5.body"
WORDS = "Klikni tukaj za prijavo"


@pytest.fixture
def sl_page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """A wide page of a browser that asks for Slovenian (its Accept-Language)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="sl-SI")
    try:
        yield context.new_page()
    finally:
        context.close()


def _open_link_box(page: Page, box: Locator) -> Locator:
    """Type "Glej WORDS" in the field, select WORDS, press Ctrl+K; the address field of the box that opens."""
    preview = page.frame_locator("#panel-desktop iframe")
    box.locator(".rt-editor").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(f"Glej {WORDS}")
    expect(preview.locator("body")).to_contain_text(f"Glej {WORDS}", timeout=LIVE)
    for _ in WORDS:
        page.keyboard.press("Shift+ArrowLeft")
    selected(page, FIELD, WORDS)
    page.keyboard.press("Control+k")
    address = box.locator(".rt-link input")
    expect(address).to_be_focused()
    return address


def test_an_address_without_https_gets_it_and_is_made_a_link(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    address = _open_link_box(page, box)
    address.fill("www.example.org/prijava")
    page.keyboard.press("Enter")
    expect(box.locator(".rt-link")).to_be_hidden()
    expect(page.frame_locator("#panel-desktop iframe").locator('a[href="https://www.example.org/prijava"]')).to_have_text(WORDS, timeout=LIVE)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert f"body: Glej [{WORDS}](https://www.example.org/prijava)\n" in studio.file(ISSUE, "sl").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "sl"])
def test_a_refused_address_keeps_the_box_open_with_its_reason_at_the_field(studio: RunningStudio, studio_page: Page, sl_page: Page, lang: str) -> None:
    page = sl_page if lang == "sl" else studio_page
    words = words_for(lang)
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    before = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    address = _open_link_box(page, box)
    error = box.locator(".rt-link-error")
    for typed, why, how in [
        ("javascript:alert(1)", "scheme", "Enter"),
        ("https://exa mple.org/a b", "space", "button"),
        ("prijava", "no_scheme", "Enter"),
        ("https://exa%20mple.org/a", "host", "Enter"),
        ("https://example.org:99999/", "port", "button"),
        ("mailto:ana", "mailto", "Enter"),
        ("", "empty", "button"),
    ]:
        address.fill(typed)
        expect(error).to_be_hidden()  # what is typed anew clears the last reason
        if how == "Enter":
            page.keyboard.press("Enter")
        else:
            box.locator(".rt-link .ok").click()
        expect(error).to_have_text(words.t(f"rt_link_{why}"))
        expect(box.locator(".rt-link")).to_be_visible()
        expect(address).to_be_focused()
        expect(address).to_have_attribute("aria-invalid", "true")
        expect(address).to_have_attribute("aria-describedby", str(error.get_attribute("id")))
        expect(address).to_have_value(typed)
    assert words.t("rt_link_space") != words_for("en" if lang == "sl" else "sl").t("rt_link_space")
    page.keyboard.press("Escape")
    expect(box.locator(".rt-link")).to_be_hidden()
    expect(box.locator(".rt-editor a")).to_have_count(0)
    assert studio.file(ISSUE, "sl").read_text(encoding="utf-8") == before


def test_the_link_box_and_the_check_judge_every_address_alike(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    addresses = [address for address, _ in ADDRESSES] + ["www.example.org/prijava", "example.org", "novica.html", "letak.pdf", "ana@example.org"]
    in_browser = page.evaluate("(all) => all.map((a) => [window.StudioLinkRules.linkTrouble(a), window.StudioLinkRules.withScheme(a)])", addresses)
    assert [tuple(answer) for answer in in_browser] == [(link_trouble(a), with_scheme(a)) for a in addresses]
