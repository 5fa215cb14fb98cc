"""The studio's own words where it said the CLI's or pointed at itself (a13d #9, #17).

#9: starting an issue whose month and number are there already said "slug", "--lang", "leadex-mail new";
    No. 2 of 2027-03 beside No. 2 of 2026-12 was taken silently. Both are refused at the Number field, with a
    link to the issue that has it and the next free number written in the box.
#17: the Subscribers page with no list said "Create one under Subscribers." -- on Subscribers. No empty page
    points at itself or at a command.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.db import open_store
from leadex_mail.studio.i18n import words
from studio.studio_helpers import ISSUE, RunningStudio, assert_accessible, copy_newsletters, serve_studio, studio_settings

pytestmark = pytest.mark.browser

CLI = ("leadex-mail", "--lang", "slug", ".yaml", "newsletters/")


@pytest.fixture
def fresh_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    """The studio over an empty folder and an empty store (what a newcomer sees first)."""
    copy_newsletters(tmp_path)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    try:
        with serve_studio(settings, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


def _start(page: Page, number: str, month: str) -> None:
    page.locator("#new-number").fill(number)
    page.locator("#new-month").fill(month)
    page.locator("#start-blank").check()
    page.locator(".new-issue button[type=submit]").click()


def test_an_issue_that_exists_or_a_number_taken_is_refused_in_the_studios_words_with_a_link(fresh_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = fresh_studio, studio_page
    page.goto(studio.url + "/")
    _start(page, "2", "2026-12")
    page.wait_for_url("**/issues/2026-12-leadex-02/sl")
    first = page.url
    for month in ("2026-12", "2027-03"):  # the same issue again; another month with the same number
        page.goto(studio.url + "/")
        _start(page, "2", month)
        alert = page.locator("#new-number-error")
        expect(alert).to_be_visible()
        said = alert.inner_text()
        assert not [w for w in CLI if w in said], said
        assert ("already been started" if month == "2026-12" else "already the issue of 2026-12") in said
        expect(page.get_by_label("Number", exact=True)).to_have_value("3")  # the next free number, proposed
        expect(page.get_by_label("Number", exact=True)).to_have_attribute("aria-invalid", "true")
        assert_accessible(page)
        page.locator("#new-existing").click()
        page.wait_for_url(first)
    assert sorted(p.name for p in studio.newsletters.iterdir() if p.is_dir() and p.name != "brand-images") == ["2026-12-leadex-02"]
    page.goto(studio.url + "/")
    _start(page, "3", "2027-03")  # the number proposed is taken without a word
    page.wait_for_url("**/issues/2027-03-leadex-03/sl")


def test_the_same_refusal_in_slovenian(fresh_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = fresh_studio, studio_page
    page.goto(studio.url + "/?ui=sl")
    _start(page, "2", "2026-12")
    page.goto(studio.url + "/?ui=sl")
    _start(page, "2", "2026-12")
    said = page.locator("#new-number-error").inner_text()
    assert "že začeta" in said and not [w for w in CLI if w in said], said


# What an officer's page never says (a14): commands, settings, files, the store's states and an empty value's "(none)".
OFFICER_NEVER = ("leadex-mail", "dkim_", "docs/", "README", "retry_wait", "uncertain ", "(none)", "--list", "--campaign", "--role")

PAGES = [("/", "Issues"), ("/subscribers", "Subscribers"), ("/reports", "Reports"), ("/audit", "Audit log")]


def _says_empty(ui: str) -> dict[str, str]:
    """What each page of ``PAGES`` says because it is empty, in the studio's words in ``ui``."""
    t = words(ui).t
    return {
        "/": t("no_issues"),
        "/subscribers": t("no_lists_here", create=t("new_list")),
        "/reports": t("reports_none"),
        "/audit": t("audit_count", n=0, page=1, pages=1),
    }


@pytest.mark.parametrize("ui", ["en", "sl"])
def test_no_empty_page_points_at_itself_or_at_a_command(fresh_studio: RunningStudio, studio_page: Page, ui: str) -> None:
    """Each empty page says it is empty, and nothing on it (not only that sentence) names the page itself or a command."""
    studio, page = fresh_studio, studio_page
    empty = _says_empty(ui)
    for path, _ in PAGES:
        page.goto(studio.url + f"{path}?ui={ui}")
        here = page.locator("nav a[aria-current=page]").inner_text()
        text = page.locator("main").inner_text()
        assert empty[path] in text, f"{path} ({ui}) does not say it is empty ({empty[path]!r}): {text}"
        assert f" {here}." not in text and f"»{here}«" not in text and f"“{here}”" not in text, f"{path} ({ui}) points at itself: {text}"
        assert "leadex-mail" not in text, f"{path} ({ui}) names a command: {text}"
    # a14: the editor's and the send's pages (a blank issue: its privacy notice, check, scheduling words) name no
    # command, setting, file or stored state either.
    page.goto(studio.url + f"/?ui={ui}")
    _start(page, "1", "2026-12")
    page.wait_for_url("**/issues/2026-12-leadex-01/sl")
    for path in ("/issues/2026-12-leadex-01/sl", "/issues/2026-12-leadex-01/send"):
        page.goto(studio.url + f"{path}?ui={ui}")
        text = page.locator("main").inner_text()
        assert not [w for w in OFFICER_NEVER if w in text], f"{path} ({ui}) names a command, setting, file or state: {text}"
    page.goto(studio.url + f"/subscribers?ui={ui}")
    expect(page.locator("#no-lists")).to_contain_text("Create a list" if ui == "en" else "Ustvari seznam")


def test_a_language_or_a_list_already_there_is_said_in_the_studios_words(fresh_studio: RunningStudio, studio_page: Page) -> None:
    """The same kind as #9: adding an edition the issue has, or a list that exists, said the CLI's words."""
    studio, page = fresh_studio, studio_page
    page.goto(studio.url + "/")
    _start(page, "1", "2026-12")
    page.goto(studio.url + "/")
    page.locator("#lang-2026-12-leadex-01").fill("sl")
    page.locator("form.add-edition button[type=submit]").click()
    said = page.locator("main").inner_text()
    assert "already" in said and not [w for w in CLI if w in said], said
    page.locator("#message-link").click()
    page.wait_for_url("**/issues/2026-12-leadex-01/sl")
    for name, words in (("news", "is created"), ("news", "There is a list named news already"), ("News Letter", "cannot be a list name")):
        page.goto(studio.url + "/subscribers")
        page.locator("summary", has_text="Create a list").click()
        page.locator("#list-name").fill(name)
        page.get_by_role("button", name="Create the list").click()
        said = page.locator("main .banner").first.inner_text()
        assert words in said and "leadex-mail" not in said and "--" not in said, said
