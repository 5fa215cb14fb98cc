"""Subscribers and reports in the studio: lists, search, add, import with its dry run first, export,
erasure with confirmation, delivery figures -- each change in the audit log, never an address."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber, is_suppressed, list_subscribers
from studio.studio_helpers import ISSUE, RunningStudio, assert_accessible, copy_newsletters, serve_studio, studio_settings

pytestmark = pytest.mark.browser

CSV = "E-pošta;Ime;Priimek;Jezik\nana@example.org;Ana;Novak;sl\nbeth@example.org;Beth;Jones;EN-gb\nnot-an-address;X;Y;sl\n"


@pytest.fixture
def people_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    create_list(store, "newsletter", title="LeadEx novice", public=True)
    add_subscriber(store, "maja@example.org", name="Maja Kos", language="sl", lists=("newsletter",), source="cli")
    try:
        with serve_studio(settings, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


def test_lists_search_add_and_a_person_with_the_consent_log(people_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = people_studio, studio_page
    page.goto(studio.url + "/subscribers")
    assert_accessible(page)
    page.get_by_label("Address", exact=True).fill("nova@example.org")
    page.get_by_label("Name", exact=True).fill("Nova Oseba")
    page.get_by_label("LeadEx novice").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("nova@example.org is subscribed.")
    page.get_by_label("Address or name contains").fill("nova")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#people tbody tr")).to_have_count(1)
    page.get_by_role("link", name="nova@example.org").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("nova@example.org")
    expect(page.locator("table")).to_contain_text("studio")
    assert_accessible(page)
    sub_id = int(page.url.rsplit("/", 1)[1])
    [entry] = [e for e in audit_log(studio.store) if e.action == "subscriber_add"]
    assert entry.subscriber_id == sub_id and entry.target == f"subscriber {sub_id}" and "nova" not in repr(entry)


def test_an_import_shows_its_dry_run_before_anything_is_written(people_studio: RunningStudio, studio_page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    studio, page = people_studio, studio_page
    temporary = tmp_path / "tmp"  # the studio's temporary files (it runs in this process): personal data never stays there
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    export = tmp_path / "partners.csv"
    export.write_bytes(CSV.encode("cp1250"))
    page.goto(studio.url + "/subscribers")
    page.get_by_label("File").set_input_files(export)
    page.get_by_label("Put everyone on the list").select_option("newsletter")
    page.get_by_role("button", name="Show what would be imported").click()
    report = page.locator("#import-report")
    expect(report.locator(".import-counts")).to_contain_text("Would be added2")
    expect(report.locator(".import-counts")).to_contain_text("Would be left out1")
    expect(report.locator("#import-rejected tbody th")).to_have_text(["4"])
    assert_accessible(page)
    assert [s.email for s in list_subscribers(studio.store)] == ["maja@example.org"]  # nothing written yet
    assert list(temporary.rglob("*")) == []  # a dry run left no copy of the upload (one never confirmed stays nowhere)
    page.get_by_role("button", name="Import these now").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 2, updated 0.")
    expect(page.locator("#import-report .import-counts")).to_contain_text("Added2")
    assert {s.email for s in list_subscribers(studio.store, list_name="newsletter")} == {"maja@example.org", "ana@example.org", "beth@example.org"}
    assert [s.name for s in list_subscribers(studio.store) if s.email == "ana@example.org"] == ["Ana Novak"]
    assert list(temporary.rglob("*")) == []  # the copy the import read is gone
    assert [e.action for e in audit_log(studio.store)].count("subscriber_import") == 1


def test_export_and_erasure_with_confirmation(people_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = people_studio, studio_page
    page.goto(studio.url + "/subscribers")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV (spreadsheets)").click()
    assert "maja@example.org" in Path(download.value.path()).read_text(encoding="utf-8")
    page.get_by_role("link", name="maja@example.org").click()
    page.get_by_role("link", name="Erase this person…").click()
    assert_accessible(page)
    page.get_by_label("Type the address (maja@example.org) to confirm").fill("maja@example.com")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was erased")
    assert [s.email for s in list_subscribers(studio.store)] == ["maja@example.org"]
    page.get_by_label("Type the address (maja@example.org) to confirm").fill("Maja@Example.org")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("status")).to_contain_text("the address is suppressed for good")
    assert list_subscribers(studio.store) == [] and is_suppressed(studio.store, "maja@example.org")
    [entry] = [e for e in audit_log(studio.store) if e.action == "subscriber_erase"]
    assert entry.subscriber_id is None and "maja" not in repr(entry).lower()  # the log keeps no address


def test_delivery_figures_per_issue_list_and_language_with_csv(people_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = people_studio, studio_page
    add_subscriber(studio.store, "reader@example.org", language="en", lists=("newsletter",), source="cli")
    send_campaign(studio.store, load_issue(ISSUE, studio.settings), studio.settings, list_name="newsletter")
    page.goto(studio.url + "/reports")
    rows = page.locator("#figures tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#figures")).to_contain_text("newsletter")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the UTF-8 mark Excel needs (s8; test_studio_csv_exports_and_outcomes)
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "issue,list,language,started,status,recipients,sent,waiting,failed,skipped,uncertain,bounces,complaints"
    assert sorted(line.split(",")[2] + ":" + line.split(",")[6] for line in lines[1:]) == ["en:1", "sl:1"]
