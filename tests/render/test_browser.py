"""The rendered issue in real Chromium: responsive layout, alt text, axe-core WCAG A/AA."""

from __future__ import annotations

import pytest

from leadex_mail.render.output import write_edition

pytestmark = pytest.mark.browser

PARTNERS = "Array.from(document.querySelectorAll('.lx-partner')).map(e => { const r = e.getBoundingClientRect(); return [Math.round(r.x), Math.round(r.y), Math.round(r.width)]; })"


@pytest.fixture(scope="module")
def html_files(issue, settings, tmp_path_factory):
    """sl.html and en.html written as `render --out` writes them (images beside them)."""
    out = tmp_path_factory.mktemp("rendered")
    return {lang: write_edition(issue, lang, settings, out).html for lang in ("sl", "en")}


def _open(page, path, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_phone_width_one_column_no_horizontal_scroll(page, html_files, lang):
    _open(page, html_files[lang], 375)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    blocks = page.evaluate(PARTNERS)
    assert len(blocks) == 8
    assert len({x for x, _, _ in blocks}) == 1, f"partners not stacked: {blocks}"
    assert len({y for _, y, _ in blocks}) == 8


def test_desktop_width_partners_in_two_columns(page, html_files):
    _open(page, html_files["sl"], 600)
    assert page.evaluate("document.documentElement.scrollWidth") <= 600
    blocks = page.evaluate(PARTNERS)
    rows: dict[int, list[int]] = {}
    for x, y, _ in blocks:
        rows.setdefault(y, []).append(x)
    assert len(rows) == 4 and all(len(xs) == 2 for xs in rows.values()), f"partners not in pairs: {blocks}"


def test_every_image_loads_and_has_alt(page, html_files):
    _open(page, html_files["sl"], 600)
    assert page.evaluate("document.querySelectorAll('img:not([alt])').length") == 0
    broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    assert page.evaluate("document.images.length") >= 14


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_axe_finds_no_wcag_a_or_aa_violations(page, html_files, lang):
    from axe_playwright_python.sync_playwright import Axe

    _open(page, html_files[lang], 600)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    violations = [(v["id"], len(v["nodes"]), v["help"]) for v in results.response["violations"]]
    assert violations == []


def test_axe_would_catch_a_missing_alt(page, html_files):
    """The accessibility check above is live: an image stripped of alt is reported."""
    from axe_playwright_python.sync_playwright import Axe

    _open(page, html_files["sl"], 600)
    page.evaluate("document.images[0].removeAttribute('alt')")
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": ["image-alt"]}})
    assert [v["id"] for v in results.response["violations"]] == ["image-alt"]


# -- dark mode and the rendered copy's own links (issue 9 item 3) ------------------------

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BG = "el => getComputedStyle(el).backgroundColor"


@pytest.fixture
def dark_page(browser):
    """A page whose browser prefers a dark colour scheme (as a phone in dark mode)."""
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_axe_finds_no_violations_in_dark_mode(dark_page, html_files, lang):
    from axe_playwright_python.sync_playwright import Axe

    _open(dark_page, html_files[lang], 600)
    # The dark styles really apply: a dark page and dark panels, light text on them.
    assert dark_page.eval_on_selector("body", BG) == "rgb(16, 20, 24)"
    assert dark_page.eval_on_selector(".lx-panel", BG) == "rgb(27, 33, 40)"
    assert dark_page.eval_on_selector(".lx-panel div", "el => getComputedStyle(el).color") == "rgb(230, 234, 238)"
    results = Axe().run(dark_page, options=WCAG)
    assert [(v["id"], len(v["nodes"]), v["help"]) for v in results.response["violations"]] == []


def test_axe_in_dark_mode_would_catch_dark_text_on_the_dark_panel(dark_page, html_files):
    """The dark-mode check is live: a dark rule that leaves text dark is reported."""
    from axe_playwright_python.sync_playwright import Axe

    _open(dark_page, html_files["en"], 600)
    dark_page.add_style_tag(content="@media (prefers-color-scheme: dark) { .lx-panel div { color: #333333 !important; } }")
    results = Axe().run(dark_page, options={"runOnly": {"type": "rule", "values": ["color-contrast"]}})
    assert [v["id"] for v in results.response["violations"]] == ["color-contrast"]


def test_the_copys_personal_links_lead_to_a_page_that_explains_them(page, html_files):
    # Before: href="[[LX:UNSUBSCRIBE_URL]]", a dead link in the rendered file.
    _open(page, html_files["sl"], 600)
    hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if "[[LX:" in h]
    page.get_by_role("link", name="Odjava").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/sl-links.html#unsubscribe")
    assert page.locator("#unsubscribe").inner_text() == "Odjava"
    assert "en klik ga odjavi" in page.locator("main").inner_text()
    from axe_playwright_python.sync_playwright import Axe

    assert Axe().run(page, options=WCAG).response["violations"] == []
    page.get_by_role("link", name="Nazaj na novice").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/sl.html")
