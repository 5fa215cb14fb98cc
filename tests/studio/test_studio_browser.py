"""The editor in Chromium: typing reaches the preview and the check, saving keeps the file's
comments, changes made on disk are never overwritten, sections move with the keyboard alone,
and every page passes axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.studio_helpers import ISSUE, LIVE, RunningStudio, assert_accessible, editor_field, paste_over, rich_editor, wait_preview
from studio.test_document import HAND_WRITTEN, changed_lines

pytestmark = pytest.mark.browser


@pytest.fixture
def hand_issue(studio: RunningStudio) -> Path:
    folder = studio.newsletters / "2026-09-leadex-02"
    folder.mkdir()
    (folder / "sl.yaml").write_text(HAND_WRITTEN, encoding="utf-8")
    return folder / "sl.yaml"


def open_editor(page: Page, studio: RunningStudio, slug: str = ISSUE, lang: str = "sl") -> None:
    page.goto(f"{studio.url}/issues/{slug}/{lang}")
    wait_preview(page)


def test_typing_reaches_the_preview_and_saving_keeps_the_hand_written_comments(studio: RunningStudio, hand_issue: Path, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio, "2026-09-leadex-02")
    heading = editor_field(page, "sections.1.heading")
    heading.fill("Prvi dan v Murcii")
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("Prvi dan v Murcii", timeout=LIVE)
    expect(page.locator("#save-status")).to_have_text("Unsaved changes")
    assert hand_issue.read_text(encoding="utf-8") == HAND_WRITTEN  # nothing written before saving
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert changed_lines(HAND_WRITTEN, hand_issue.read_text(encoding="utf-8")) == ["-    heading: Prvi dan", "+    heading: Prvi dan v Murcii"]


EMAIL_STYLES = """() => Array.from(document.querySelectorAll("[style]")).slice(0, 60).map((el) => {
  const s = getComputedStyle(el);
  return [el.tagName, s.color, s.backgroundColor, s.fontSize, s.fontWeight, s.paddingTop].join(" ");
})"""


FRESH_PARSE = """(html) => new DOMParser().parseFromString(html, "text/html").documentElement.outerHTML"""


def test_the_preview_keeps_the_emails_styles_after_each_change(studio: RunningStudio, studio_page: Page) -> None:
    # A new render replaces the frame's document in place; parsed under the studio page's
    # policy instead of the frame's, every inline style of the email was dropped.
    page = studio_page
    open_editor(page, studio)
    frame = page.locator("#panel-desktop iframe").element_handle().content_frame()
    before = frame.evaluate(EMAIL_STYLES)
    assert len(before) >= 20 and any("rgba(0, 0, 0, 0)" not in line.split(" ", 1)[1] for line in before)
    editor_field(page, "sections.1.heading").fill("Uvodni sestanek v Murciji (popravek)")
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("(popravek)", timeout=LIVE)
    assert frame.evaluate(EMAIL_STYLES) == before
    # Only what differs is changed in the shown document (texts, then a link's address here); it must
    # then be the email as served, parsed anew.
    editor_field(page, "sections.1.more.url").fill("https://example.org/murcia-2")
    expect(page.frame_locator("#panel-desktop iframe").locator('a[href="https://example.org/murcia-2"]')).not_to_have_count(0, timeout=LIVE)
    served = page.evaluate("(url) => fetch(url, { credentials: 'same-origin' }).then((r) => r.text())", f"/issues/{ISSUE}/sl/preview")
    fresh = frame.evaluate(FRESH_PARSE, served)  # parsed under the frame's own policy, as the page does
    assert frame.evaluate("() => document.documentElement.outerHTML") == fresh


def test_a_change_on_disk_while_open_is_shown_and_never_overwritten(studio: RunningStudio, hand_issue: Path, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio, "2026-09-leadex-02")
    editor_field(page, "title").fill("Moja sprememba")
    expect(page.locator("#save-status")).to_have_text("Unsaved changes")
    theirs = HAND_WRITTEN.replace("heading: Dogodki", "heading: Dogodki jeseni (kolega)")
    hand_issue.write_text(theirs, encoding="utf-8")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("changed on disk by another program or person", timeout=LIVE)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(banner).to_contain_text("your changes were not saved", timeout=LIVE)
    assert hand_issue.read_text(encoding="utf-8") == theirs
    page.get_by_role("button", name="Reload from disk").click()
    expect(editor_field(page, "sections.2.heading")).to_have_value("Dogodki jeseni (kolega)")
    expect(editor_field(page, "title")).to_have_value("LeadEx novice št. 2")


def test_an_unedited_file_changed_on_disk_is_simply_shown_anew(studio: RunningStudio, hand_issue: Path, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio, "2026-09-leadex-02")
    hand_issue.write_text(HAND_WRITTEN.replace("heading: Prvi dan", "heading: Prvi dan (kolega)"), encoding="utf-8")
    expect(editor_field(page, "sections.1.heading")).to_have_value("Prvi dan (kolega)", timeout=LIVE)


def test_check_results_appear_at_the_field_they_concern(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio)
    expect(page.locator("#check-counts")).to_have_text("No problems found.", timeout=LIVE)
    url = editor_field(page, "sections.1.more.url")
    url.fill("#")
    box = page.locator('[data-problems-for="sections.1.more.url"]')
    expect(box).to_contain_text("This link has no real address yet.", timeout=LIVE)
    expect(url).to_have_attribute("aria-invalid", "true")
    # The English edition's address was the same, so it follows (s7-align): its placeholder is an error there too.
    expect(page.locator("#check-counts")).to_contain_text("2 errors,")
    expect(page.locator("#check-list li").filter(has_text="English edition")).to_contain_text("This link has no real address yet.")
    assert_accessible(page)
    page.locator("#check-list a").filter(has_not_text="English edition").first.click()
    expect(url).to_be_focused()
    url.fill("https://www.interregeurope.eu/leadex/murcia")
    expect(box).to_be_empty(timeout=LIVE)
    expect(page.locator("#check-counts")).to_have_text("No problems found.")
    editor_field(page, "sections.1.image.alt").fill("")
    expect(page.locator('[data-problems-for="sections.1.image.alt"]')).to_contain_text("The picture has no description for people who cannot see it.", timeout=LIVE)
    editor_field(page, "sections.1.heading").fill("  ")  # a required text emptied: an error at its field (tester's report)
    expect(page.locator('[data-problems-for="sections.1.heading"]')).to_contain_text("This field is required.", timeout=LIVE)


def test_sections_are_reordered_with_the_keyboard_alone(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio)
    first = page.locator("#down-sections\\.0")
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#down-sections\\.1")).to_be_focused(timeout=LIVE)  # focus follows the section
    expect(page.locator("#announce")).to_have_text("Moved to position 2 of 9.")
    page.keyboard.press("Enter")
    expect(page.locator("#down-sections\\.2")).to_be_focused(timeout=LIVE)
    expect(page.locator("#item-sections\\.2-title")).to_contain_text("3. Header")
    page.keyboard.press("Shift+Tab")  # to "Move up"
    expect(page.locator("#up-sections\\.2")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#up-sections\\.1")).to_be_focused(timeout=LIVE)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    text = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    assert text.index("  - type: story") < text.index("  - type: masthead") < text.index("  - type: project")
    assert "\n\n  - type: masthead\n    title: LeadEx novice št. 1\n\n  - type: project" in text


PRESS_ON_FOCUS = """(id) => document.addEventListener("focusin", (e) => {
  if (e.target.id === id && !window.pressedOnFocus) { window.pressedOnFocus = true; e.target.click(); }
})"""


def test_a_control_works_the_moment_the_focus_reaches_it(studio: RunningStudio, studio_page: Page) -> None:
    # htmx binds a new form's buttons when the swap settles; focus moved on the swap, so a key pressed
    # before the settle (CI, 2 busy cores) went to a dead button. Here the press comes at the very moment.
    page = studio_page
    open_editor(page, studio)
    page.evaluate(PRESS_ON_FOCUS, "down-sections.1")
    page.locator("#down-sections\\.0").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#down-sections\\.2")).to_be_focused(timeout=LIVE)
    expect(page.locator("#item-sections\\.2-title")).to_contain_text("3. Header")
    expect(page.locator("#announce")).to_have_text("Moved to position 3 of 9.")


def test_pressing_twice_before_the_first_move_is_shown_moves_twice(studio: RunningStudio, studio_page: Page) -> None:
    # The officer's second Enter reaches the old form while the first move is under way: it is
    # repeated on the button the focus moved to, never lost nor applied to the section now first.
    page = studio_page
    open_editor(page, studio)
    page.locator("#down-sections\\.0").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#down-sections\\.3")).to_be_focused(timeout=LIVE)
    expect(page.locator("#announce")).to_have_text("Moved to position 4 of 9.")
    expect(page.locator("#fields")).not_to_have_attribute("aria-busy", "true")
    titles = page.locator(".section-list > li h3")
    expect(titles.nth(3)).to_contain_text("4. Header")
    expect(titles.nth(0)).not_to_contain_text("Header")


def test_typing_while_a_move_is_under_way_never_lands_on_the_section_now_at_that_place(studio: RunningStudio, studio_page: Page) -> None:
    # The server has moved section 3 below section 4; its answer (the new form) has not arrived.
    # Typed into the old form, the text went to "sections.3.heading": the section now there.
    page = studio_page
    open_editor(page, studio)
    first, second = (editor_field(page, f"sections.{i}.heading").input_value() for i in (3, 4))
    held = []

    def hold(route) -> None:
        held.append((route, route.fetch()))
        page.evaluate("() => { window.movedOnServer = true; }")

    page.route("**/items", hold)
    page.locator("#down-sections\\.3").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.movedOnServer === true", timeout=LIVE)
    stale = editor_field(page, "sections.3.heading")
    stale.focus()
    page.keyboard.type(" (popravek)")
    expect(stale).to_have_value(first)
    route, answer = held[0]
    route.fulfill(response=answer)
    expect(page.locator("#down-sections\\.4")).to_be_focused(timeout=LIVE)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    text = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    assert "(popravek)" not in text
    assert text.index(f"heading: {second}") < text.index(f"heading: {first}")


def test_every_structure_change_puts_the_focus_on_what_it_made_and_says_so(studio: RunningStudio, studio_page: Page) -> None:
    # Adding went on with the focus on the "Add" button, adding or removing a picture or a link
    # dropped it on the page (an id of another spelling, a fieldset) and announced nothing.
    page = studio_page
    open_editor(page, studio)
    announce = page.locator("#announce")

    def press(control) -> None:
        control.focus()
        page.keyboard.press("Enter")

    press(page.locator("#f-sections-0-image-first"))  # the masthead has no picture: add one
    expect(page.locator("#f-sections-0-image-file")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Added: Picture.")
    press(page.locator("#group-sections\\.0\\.image").get_by_role("button", name="Remove the picture"))
    expect(page.locator("#f-sections-0-image-first")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Removed: Picture.")
    press(page.locator("#group-sections\\.1\\.more").get_by_role("button", name="Remove: “More here” link"))
    expect(page.locator("#f-sections-1-more-first")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Removed: “More here” link.")
    page.keyboard.press("Enter")
    expect(page.locator("#f-sections-1-more-label")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Added: “More here” link.")
    press(page.locator("#add-sections\\.2\\.buttons"))
    expect(page.locator("#item-sections\\.2\\.buttons\\.2-title")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Added as item 3 of 3.")
    press(page.locator("#add-sections"))
    expect(page.locator("#item-sections\\.9-title")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Added as section 10 of 10.")  # a section is said a section (a14)
    page.once("dialog", lambda dialog: dialog.accept())
    press(page.locator("#remove-sections\\.9"))
    expect(page.locator("#add-sections")).to_be_focused(timeout=LIVE)
    expect(announce).to_have_text("Removed; 9 left.")


def test_rich_text_keeps_only_what_the_format_allows_when_pasting(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio)
    word_html = (
        '<html><body><h1 style="color:red">Naslov iz Worda</h1><p class=MsoNormal><b>Krepko</b> in <i>ležeče</i> in '
        '<span style="font-weight:bold">tudi krepko</span>, <a href="https://example.org/x">povezava</a>, '
        '<a href="javascript:alert(1)">zlobno</a><img src="https://example.org/p.png"><o:p></o:p></p>'
        "<table><tr><td>celica</td></tr></table><ul><li>ena</li><li>dve</li></ul></body></html>"
    )
    paste_over(page, "sections.5.body", word_html, plain="plain")
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("tudi krepko", timeout=LIVE)
    source = page.request.get(f"{studio.url}/issues/{ISSUE}/sl/markdown?path=sections.5.body").json()["value"]
    assert source == "Naslov iz Worda\n\n**Krepko** in *ležeče* in **tudi krepko**, [povezava](https://example.org/x), zlobno\n\ncelica\n\n- ena\n- dve"
    box = page.locator('.richtext[data-path="sections.5.body"]')
    box.get_by_role("button", name="Markdown").click()
    expect(box.locator("textarea")).to_have_value(source)
    expect(box.locator("textarea")).to_be_focused()


def test_the_toolbar_makes_bold_and_links_and_the_source_toggle_round_trips(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    open_editor(page, studio)
    box = page.locator('.richtext[data-path="sections.5.body"]')
    editor = rich_editor(page, "sections.5.body")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("Dobre prakse ")
    page.keyboard.press("Control+b")
    page.keyboard.type("regij")
    page.keyboard.press("Control+b")
    page.keyboard.type(" in ")
    box.get_by_role("button", name="Link", exact=True).click()
    box.get_by_label("Link address").fill("https://example.org/prakse")
    page.keyboard.press("Enter")
    expect(box.get_by_role("button", name="Bold")).to_have_attribute("aria-pressed", "false")
    expect(page.frame_locator("#panel-desktop iframe").locator("a[href='https://example.org/prakse']")).to_have_count(1, timeout=LIVE)
    box.get_by_role("button", name="Markdown").click()
    source = box.locator("textarea")
    expect(source).to_have_value("Dobre prakse **regij** in [https://example.org/prakse](https://example.org/prakse)")
    source.fill("Zapisano v **Markdownu**.")
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("Zapisano v Markdownu.", timeout=LIVE)
    box.get_by_role("button", name="Markdown").click()
    expect(editor.locator("strong")).to_have_text("Markdownu")


def test_the_pages_pass_axe_in_every_view(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(studio.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issues")
    assert_accessible(page)
    open_editor(page, studio)
    for tab in ("Desktop (600 px)", "Phone (375 px)", "Dark mode", "Text part"):
        page.get_by_role("tab", name=tab).click()
        assert_accessible(page)
    page.goto(studio.url + "/?ui=sl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Številke")
    assert_accessible(page)
    page.goto(studio.url + "/audit")  # the scheduling pages are checked in test_studio_schedule, with a send to schedule
    expect(page.get_by_role("heading", level=1)).to_have_text("Dnevnik dejanj")
    assert_accessible(page)


def test_translations_side_by_side_mark_the_sections_changed_in_the_original(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/side-by-side?lang=en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(sl → en)")
    expect(page.locator("main")).to_contain_text("tracked from the next time this translation is saved")
    expect(page.locator("#pair-1 .original")).to_contain_text("LeadEx uvodni sestanek - Murcia")
    heading = editor_field(page, "sections.1.heading")
    expect(heading).to_have_value("LeadEx kick-off meeting - Murcia")
    heading.fill("LeadEx kick-off meeting in Murcia")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert "heading: LeadEx kick-off meeting in Murcia" in studio.file(ISSUE, "en").read_text(encoding="utf-8")
    original = studio.file(ISSUE, "sl")
    original.write_text(original.read_text(encoding="utf-8").replace("heading: Dobre prakse", "heading: Dobre prakse regij"), encoding="utf-8")
    page.reload()
    expect(page.locator(".needs-update")).to_have_count(1)
    expect(page.locator("#pair-5 .needs-update")).to_have_text("needs update")
    expect(page.locator("#stale-summary")).to_contain_text("1 section was changed in the original")
    assert_accessible(page)


def test_a_new_language_starts_from_the_default_editions_structure(studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(studio.url + "/")
    page.get_by_label("Add a language").fill("hr")
    page.get_by_role("button", name="Add (LeadEx novice št. 1)").click()
    expect(page).to_have_url(f"{studio.url}/issues/{ISSUE}/hr")
    wait_preview(page)
    expect(editor_field(page, "sections.1.heading")).to_have_value("✎ LeadEx uvodni sestanek - Murcia")
    expect(page.locator('[data-problems-for="sections.1.heading"]')).to_contain_text("still marked ✎", timeout=LIVE)
    text = studio.file(ISSUE, "hr").read_text(encoding="utf-8")
    assert text.count("  - type: ") == studio.file(ISSUE, "sl").read_text(encoding="utf-8").count("  - type: ")
    page.goto(studio.url + "/")
    expect(page.locator("table.issues")).to_contain_text("hr")
    expect(page.locator("table.issues")).to_contain_text("0% written")


QUOTED = "\n".join(
    [
        "    body: |-",
        "      > Citat iz uvoda.",
        "",
        "      Prvi odstavek z _poudarkom_ in __krepkim__,",
        "      v dveh vrsticah.",
    ]
)


def test_markdown_the_editor_would_change_opens_as_markdown_and_keeps_every_line(studio: RunningStudio, hand_issue: Path, studio_page: Page) -> None:
    """The tester's body (a quote, _x_, __x__, a soft line break): typing one word changes only that line, and the rich view is refused."""
    before = HAND_WRITTEN.replace("    body: |-\n      Prvi odstavek.\n\n      Drugi odstavek z **krepkim**.", QUOTED)
    hand_issue.write_text(before, encoding="utf-8")
    page = studio_page
    open_editor(page, studio, "2026-09-leadex-02")
    box = page.locator('.richtext[data-path="sections.1.body"]')
    note = "This text uses formatting the editor cannot show (a quote), so it is shown as Markdown: edited here, it is saved exactly as written."
    expect(box.locator(".rt-note")).to_have_text(note)
    source = box.locator("textarea")
    expect(source).to_be_visible()
    source.press("Control+End")
    page.keyboard.type(" Beseda.")
    expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("Beseda.", timeout=LIVE)
    box.get_by_role("button", name="Markdown").click()  # to the rich view: refused, the text would change
    expect(box.locator(".rt-note")).to_have_text(note)
    expect(source).to_be_focused()
    expect(box.get_by_role("button", name="Bold")).to_be_disabled()
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    assert changed_lines(before, hand_issue.read_text(encoding="utf-8")) == ["-      v dveh vrsticah.", "+      v dveh vrsticah. Beseda."]


def test_keyboard_focus_on_the_hidden_picture_input_is_seen_on_its_button(studio: RunningStudio, studio_page: Page) -> None:
    """WCAG 2.4.7: "Choose a picture…" is a label for a visually hidden file input; focusing the input outlines the label."""
    page = studio_page
    open_editor(page, studio)
    file_input = page.locator("input[type=file][data-upload-for]").first
    label = page.locator(f'label[for="{file_input.get_attribute("id")}"]')
    assert label.evaluate("e => getComputedStyle(e).outlineStyle") == "none"
    file_input.focus()
    assert label.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"


def test_the_text_part_passes_axe_while_it_is_still_loading(studio: RunningStudio, studio_page: Page) -> None:
    # The text part is fetched when its tab opens; until it arrives its <pre> is empty. A <pre> with an
    # aria-label and no role is a violation axe reports only while the element is empty (aria-prohibited-attr),
    # so the check above failed whenever axe ran before the text arrived. Held here until axe has run.
    page = studio_page
    open_editor(page, studio)
    held: list = []
    released = False

    def hold(route) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/text?*", hold)
    with page.expect_request("**/text?*"):
        page.get_by_role("tab", name="Text part").click()
    expect(page.locator("#text-part")).to_be_visible()
    expect(page.locator("#text-part")).to_have_text("")  # no answer can arrive: every request to it is held
    assert_accessible(page)
    released = True
    for route in held:
        route.continue_()
    expect(page.locator("#text-part")).to_contain_text("LeadEx", timeout=LIVE)
    assert_accessible(page)
