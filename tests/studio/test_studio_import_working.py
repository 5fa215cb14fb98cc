"""The import forms say the studio is working while a large file is read (a dry run of 300 000 rows takes a minute),
and the people page's landmarks (and the other studio pages') are unique (axe's landmark rules, a best practice).

The studio's answer is held back by the test (Playwright holds the request until the page has been looked at), so the
"working" state is seen without any timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from leadex_mail.store.lists import create_list
from studio.studio_helpers import ISSUE, RunningStudio, add_english_edition, assert_accessible, copy_newsletters, serve_studio_on_store, studio_settings

pytestmark = pytest.mark.browser

CSV = "email,name,language\nana@example.org,Ana,sl\nbeth@example.org,Beth,en\n"
WORKING = {
    "en": ("Show what would be imported", "Reading the file and comparing every row with the subscribers", "Import these now", "Importing…"),
    "sl": ("Pokaži, kaj bi uvozil", "Berem datoteko in vsako vrstico primerjam z naročniki", "Uvozi zdaj", "Uvažam …"),
}
LANDMARK_RULES = {"runOnly": {"type": "rule", "values": ["landmark-unique", "landmark-no-duplicate-main", "landmark-no-duplicate-banner", "landmark-no-duplicate-contentinfo", "landmark-main-is-top-level", "landmark-one-main"]}}


@pytest.fixture
def import_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    """The studio over issue No. 1 (sl) with an en edition beside it, and one list."""
    copy_newsletters(tmp_path, ISSUE)
    add_english_edition(tmp_path)

    def one_list(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", title="LeadEx novice", public=True)

    with serve_studio_on_store(studio_settings(tmp_path), None, root=tmp_path, prepare=one_list) as running:
        yield running


def _hold(page: Page, path: str) -> list[Route]:
    """Hold every POST to ``path`` until the test lets it go; the held requests, in order."""
    held: list[Route] = []
    page.route(f"**{path}", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    return held


# Keeps the form on the page: a listener on the window runs after the form's own (the studio's) and stops the
# navigation, noting whether the studio had already stopped that submit (a second press).
KEEP = """() => { window.submits = []; window.addEventListener("submit", (e) => { window.submits.push(e.defaultPrevented); e.preventDefault(); }); }"""


@pytest.mark.parametrize("ui", ["en", "sl"])
def test_the_import_forms_say_the_studio_is_working_and_send_once(import_studio: RunningStudio, studio_page: Page, tmp_path: Path, ui: str) -> None:
    studio, page = import_studio, studio_page
    show, reading, confirm, importing = WORKING[ui]
    export = tmp_path / "partners.csv"
    export.write_text(CSV, encoding="utf-8")
    page.goto(studio.url + f"/subscribers?ui={ui}")
    expect(page.get_by_role("status")).to_have_count(0)  # nothing said before anything is sent
    page.locator("#import-file").set_input_files(export)
    page.evaluate(KEEP)
    button = page.get_by_role("button", name=show)
    button.click()
    working = page.locator("form[action='/subscribers/import'] [role=status]")
    expect(working).to_be_visible()
    expect(working).to_contain_text(reading)
    expect(button).to_have_attribute("aria-disabled", "true")
    button.click(force=True)  # pressed again while the studio works (aria-disabled): not sent again
    assert page.evaluate("() => window.submits") == [False, True]
    expect(page.get_by_role("heading", level=1)).to_be_visible()  # the page stays as it was, readable
    assert_accessible(page)
    # The real answer: the report, with its own confirm form that says the same while the import runs.
    page.goto(studio.url + f"/subscribers?ui={ui}")
    page.locator("#import-file").set_input_files(export)
    page.get_by_role("button", name=show).click()
    expect(page.locator("#import-report")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)
    page.evaluate(KEEP)
    page.get_by_role("button", name=confirm).click()
    working = page.locator("form[action='/subscribers/import/confirm'] [role=status]")
    expect(working).to_contain_text(importing)
    page.get_by_role("button", name=confirm).click(force=True)
    assert page.evaluate("() => window.submits") == [False, True]


def _landmark_problems(page: Page) -> list[tuple[str, list[object]]]:
    results = Axe().run(page, options=LANDMARK_RULES)
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]


def test_the_studio_pages_landmarks_are_unique(import_studio: RunningStudio, studio_page: Page, tmp_path: Path) -> None:
    """axe's landmark rules (best practice) on the people page with an import report and on the other studio pages."""
    studio, page = import_studio, studio_page
    export = tmp_path / "partners.csv"
    export.write_text(CSV, encoding="utf-8")
    page.goto(studio.url + "/subscribers?ui=en")
    assert _landmark_problems(page) == []
    page.locator("#import-file").set_input_files(export)
    page.get_by_role("button", name="Show what would be imported").click()
    expect(page.locator("#import-report")).to_be_visible()
    assert _landmark_problems(page) == []
    for path in ("/", "/reports", "/audit", f"/issues/{ISSUE}/sl", f"/issues/{ISSUE}/side-by-side?lang=en"):
        page.goto(studio.url + path)
        expect(page.locator("main")).to_be_visible()
        assert _landmark_problems(page) == [], path
