"""The rich-text editor in Chromium: what a paste from Word or a web page becomes, and editing a link.

Pastes are real paste events carrying the clipboard's HTML (files in ``paste/``:
Word 2016's clipboard HTML with a bulleted list, a nested item, a numbered
list and a table; the tester's a13 #13 paste; a web page with nested lists,
a heading and pictures). What they become is read as the Markdown the
server writes, through the editor's own "Markdown" toggle.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.studio_helpers import ISSUE, LIVE, RunningStudio, make_link, paste_over, rich_editor, wait_preview

pytestmark = pytest.mark.browser

PASTE = Path(__file__).parent / "paste"
FIELD = "sections.5.body"

WORD = """\
Uvod s **krepkim** in rdečim besedilom.

- prva točka
  - podtočka z [povezavo](https://example.org/pod)
- druga točka

1. korak ena
2. korak **dva**

**Kraj** – **Dogodek** – **Kdaj**

Bruselj – Evropski teden regij in mest – oktober

Talin – Študijski obisk

Zaključek."""

A13_WORD = """\
Naslov iz Worda

**Krepko** in *ležeče* in podčrtano rdeče

- prva točka
- druga točka

* html točka
* druga [povezava](https://example.org/a?b=1&c=2)

zlobna [http povezava](http://insecure.example/) [pošta](mailto:x@example.org)

celica1 – celica2

Markdown \\*zvezdica\\* \\_podčrtaj\\_ \\[oklepaj\\](x) # lojtra 1. ni seznam \\<b>"""

WEB = """\
Novice

Besedilo z [povezavo](https://example.org/n) in sliko.

- ena
  - ena-a
  - ena-b
    1. globoko
    2. globlje
- dve

3. tri

4. štiri

1. pet
2. šest

Podnapis slike"""


def markdown_of_field(page: Page, expected: str) -> None:
    """The field's Markdown as the server wrote it equals ``expected`` (shown by the source toggle, then back)."""
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    box.get_by_role("button", name="Markdown").click()
    expect(box.locator("textarea")).to_have_value(expected, timeout=LIVE)
    box.get_by_role("button", name="Markdown").click()
    expect(box.get_by_role("button", name="Markdown")).to_have_attribute("aria-pressed", "false", timeout=LIVE)
    expect(box.locator(".rt-note")).to_be_hidden()


def test_word_lists_and_tables_and_web_pages_paste_as_the_format_allows(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    editor = rich_editor(page, FIELD)

    paste_over(page, FIELD, (PASTE / "word-lists-table.html").read_text(encoding="utf-8"))
    expect(editor.locator(":scope > ul > li > ul > li")).to_have_text("podtočka z povezavo")  # level 2 nests in level 1
    expect(editor.locator(":scope > ol > li")).to_have_count(2)
    markdown_of_field(page, WORD)

    paste_over(page, FIELD, (PASTE / "a13-word-paste.html").read_text(encoding="utf-8"))
    markdown_of_field(page, A13_WORD)

    paste_over(page, FIELD, (PASTE / "web-page.html").read_text(encoding="utf-8"))
    expect(editor.locator("img")).to_have_count(0)
    markdown_of_field(page, WEB)
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("globoko", timeout=LIVE)


def test_link_on_a_link_edits_its_address_and_offers_to_remove_it_with_the_keyboard(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    editor = rich_editor(page, FIELD)
    preview = page.frame_locator("#panel-desktop iframe")
    make_link(page, box, "spletno stran", "https://example.org/stara")
    address = box.get_by_label("Link address")

    # The cursor inside the link (nothing selected): "Link" opens its address, filled in, to change.
    editor.locator("a").click()
    expect(box.get_by_role("button", name="Link", exact=True)).to_have_attribute("aria-pressed", "true")
    box.get_by_role("button", name="Link", exact=True).click()
    expect(address).to_be_focused()
    expect(address).to_have_value("https://example.org/stara")
    address.fill("https://example.org/nova")
    expect(box.get_by_role("button", name="Change the link")).to_be_visible()
    page.keyboard.press("Enter")
    expect(preview.locator("a[href='https://example.org/nova']")).to_have_text("spletno stran", timeout=LIVE)
    expect(editor).to_be_focused()
    markdown_of_field(page, "Glej [spletno stran](https://example.org/nova)")

    # With the keyboard alone: Ctrl+K inside the link, Tab to "Remove the link", Enter.
    editor.click()
    page.keyboard.press("Home")
    expect(box.get_by_role("button", name="Link", exact=True)).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    expect(box.get_by_role("button", name="Link", exact=True)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Control+k")
    expect(address).to_have_value("https://example.org/nova")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(box.get_by_role("button", name="Remove the link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(editor).to_be_focused()
    expect(editor.locator("a")).to_have_count(0)
    expect(preview.locator("a[href='https://example.org/nova']")).to_have_count(0, timeout=LIVE)
    markdown_of_field(page, "Glej spletno stran")


def test_the_toolbar_follows_the_cursor_after_the_markdown_view(studio: RunningStudio, studio_page: Page) -> None:
    """Back from "Markdown", the editor starts at the text's beginning: Link is no longer shown pressed there.

    The rich view is a fresh editor state then; the toolbar once kept what it showed before
    (the cursor in a link), and a Home key that did not move the cursor never corrected it.
    """
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    editor = rich_editor(page, FIELD)
    link_button = box.get_by_role("button", name="Link", exact=True)
    make_link(page, box, "stran", "https://example.org/stran")
    editor.locator("a").click()
    expect(link_button).to_have_attribute("aria-pressed", "true")

    markdown_of_field(page, "Glej [stran](https://example.org/stran)")
    expect(link_button).to_be_enabled()
    expect(link_button).to_have_attribute("aria-pressed", "false")
    page.wait_for_function(
        """(path) => document.querySelector(`.richtext[data-path="${path}"]`).richView.state.selection.from === 1""",
        arg=FIELD,
        timeout=LIVE,
    )
