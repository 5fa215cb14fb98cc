"""The audit log in the studio (issue 13 item 8): newest first, a page at a time, filtered, by keyboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.accounts import record
from leadex_mail.store.db import open_store
from leadex_mail.studio.views_audit import PAGE_SIZE
from studio.studio_helpers import RunningStudio, assert_accessible

pytestmark = pytest.mark.browser
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def logged(studio: RunningStudio) -> RunningStudio:
    """60 entries, one a minute: maja sends and tests, bor erases (every third), oldest first."""
    store = open_store(studio.settings)
    try:
        for i in range(PAGE_SIZE + 10):
            if i % 3 == 2:
                record(store, "bor", "subscriber_erase", f"subscriber {i}", now=START + timedelta(minutes=i))
            else:
                record(store, "maja", "send" if i % 3 else "send_test", f"entry {i}", detail={"recipients": i}, now=START + timedelta(minutes=i))
    finally:
        store.close()
    return studio


def cells(page: Page, column: int) -> list[str]:
    return page.locator(f"table.audit tbody tr td:nth-child({column})").all_inner_texts()


def test_the_log_is_read_newest_first_filtered_and_paged_with_the_keyboard(logged: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(logged.url + "/")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("#audit-count")).to_have_text("60 entries; page 1 of 2.")
    assert cells(page, 4)[:3] == ["subscriber 59", "entry 58", "entry 57"]
    assert cells(page, 3)[:3] == ["erased a subscriber", "sent to a list", "sent a test"]
    assert page.locator("table.audit time").first.get_attribute("datetime") == "2026-09-01T08:59:00+00:00"  # shown in the settings' zone
    assert cells(page, 5)[1] == "Recipients: 58"  # words, not JSON (a13 finding 24)
    assert_accessible(page)

    page.get_by_label("Person").select_option("bor")
    page.get_by_label("Person").focus()
    page.keyboard.press("Tab")  # Action
    page.keyboard.press("Tab")  # Show
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#audit-count")).to_have_text("20 entries; page 1 of 1.")
    assert set(cells(page, 2)) == {"bor"} and set(cells(page, 3)) == {"erased a subscriber"}

    page.get_by_role("link", name="Show everything").click()
    page.get_by_label("Action").select_option("send")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#audit-count")).to_have_text("20 entries; page 1 of 1.")
    assert set(cells(page, 3)) == {"sent to a list"}

    page.goto(logged.url + "/audit")
    older = page.get_by_role("link", name="Older entries")
    older.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#audit-count")).to_have_text("60 entries; page 2 of 2.")
    assert cells(page, 4)[-1] == "entry 0" and len(cells(page, 4)) == 10
    expect(page.get_by_role("link", name="Older entries")).to_have_count(0)
    expect(page.get_by_role("link", name="Newer entries")).to_have_attribute("href", "/audit?page=1")
