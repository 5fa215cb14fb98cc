"""Every time the studio shows or exports is in the ``timezone`` setting and says its zone (a14 finding 2).

With ``timezone = "Europe/Ljubljana"`` the Reports page said "Started 2026-12-02" and delivery-figures.csv
``2026-12-02 02:04`` -- UTC, unsaid -- while the send pages said "03:04 CET (02:04 UTC)".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from leadex_mail.studio import recovery
from leadex_mail.studio.auth import local_actor
from leadex_mail.studio.document import read_stamp
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, serve_studio, studio_settings

pytestmark = pytest.mark.browser

STARTED = datetime(2026, 12, 2, 2, 4, tzinfo=UTC)  # 03:04 in Ljubljana (CET, +01:00)


@pytest.fixture
def zoned_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, LEADEX_TIMEZONE="Europe/Ljubljana")
    store = open_store(settings)
    create_list(store, "news", title="LeadEx novice", public=True)
    add_subscriber(store, "reader@example.org", language="sl", lists=("news",), source="cli")
    send_campaign(store, load_issue(ISSUE, settings), settings, list_name="news", now=lambda: STARTED)
    try:
        with serve_studio(settings, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


def test_the_reports_page_and_its_csv_give_the_start_in_the_zone_and_say_it(zoned_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = zoned_studio, studio_page
    page.goto(studio.url + "/reports")
    expect(page.locator("#figures tbody tr td").nth(2)).to_have_text("2026-12-02 03:04 CET (02:04 UTC)")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    header, row = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert dict(zip(header.split(","), row.split(",")))["started"] == "2026-12-02T03:04+01:00"


def test_the_offer_of_kept_changes_says_the_zone_of_its_time(zoned_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = zoned_studio, studio_page
    edition = studio.file(ISSUE, "sl")
    text = edition.read_text(encoding="utf-8").replace("Uvodni sestanek", "Kept heading", 1)
    recovery.keep(studio.settings, local_actor(), ISSUE, "sl", text, read_stamp(edition), STARTED)
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    expect(page.locator("#kept")).to_contain_text("This edition had unsaved changes when the studio stopped; the last was made on 2026-12-02 03:04 CET (02:04 UTC).")
