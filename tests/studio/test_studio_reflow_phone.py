"""Every studio page fits a 375 px phone without scrolling sideways (WCAG 1.4.10 Reflow, a13d #13).

Each page is loaded into a 375 px wide window (not an iframe: the studio refuses to be framed, against
clickjacking, and that stays): its document's scrollWidth must not exceed its clientWidth. The pages hold what makes them wide in real use:
long addresses and list names, a campaign with failures, audit entries, an import's dry-run report with
rejected rows. Tables wider than the phone scroll inside their own labelled region that the keyboard reaches
(docs/decisions.md, "## Studio"), and axe still finds nothing at 375 px.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.accounts import record
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, LIVE, PHONE, RunningStudio, add_english_edition, assert_accessible, copy_newsletters, serve_accounts_studio, serve_studio, studio_settings

pytestmark = pytest.mark.browser

LONG = "partnerska-organizacija.kontaktna-oseba-za-obvescanje@oddelek-za-komuniciranje.univerza.example.org"
LIST = "regionalni-partnerji-jadranske-regije-in-zahodnega-balkana"
CSV = (
    "E-pošta;Ime;Jezik;Opomba\n"
    f"{LONG};Ana;sl;Neprekinjenaopombabrezpresledkovkijedaljšaodširinetelefonaindrugihstvari\n"
    "beth@example.org;Beth;EN-gb;\n"
    "not-an-address-but-a-very-long-word-without-any-place-to-break-it-at-all;X;sl;\n"
    "beth@example.org;Beth Jones;en;\n"
)


@pytest.fixture
def full_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    """The studio over issue No. 1 and a store with what makes pages wide: long addresses, a sent campaign, an audit log."""
    copy_newsletters(tmp_path, ISSUE)
    add_english_edition(tmp_path)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    create_list(store, LIST, title="Regionalni partnerji Jadranske regije in Zahodnega Balkana", public=True)
    first = add_subscriber(store, LONG, name="Ana Dolgoimenska-Predolgopriimkovićeva", language="sl", lists=(LIST,), source="cli")
    add_subscriber(store, "reader@example.org", language="en", lists=(LIST,), source="cli")
    send_campaign(store, load_issue(ISSUE, settings), settings, list_name=LIST)
    record(store, "studio", "subscriber_add", f"subscriber {first.id}", subscriber_id=first.id, detail={"lists": [LIST, LIST + "-druga", LIST + "-tretja"], "language": "sl"})
    try:
        with serve_studio(settings, store=store, root=tmp_path) as running:
            running.extra["person"] = first.id
            yield running
    finally:
        store.close()


def _open(frame: Page, url: str) -> int:
    """Open ``url``; its HTTP status."""
    response = frame.goto(url)
    frame.wait_for_load_state("load", timeout=LIVE)
    assert response is not None
    return response.status


def _sideways(frame: Page) -> dict:
    """The frame document's widths, and what sticks out to the right of it."""
    return frame.evaluate(
        """() => {
          const d = document.documentElement, out = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.right > d.clientWidth + 0.5 && !e.closest('[data-scroll-region]')) out.push(`${e.tagName}.${e.className} ${Math.round(r.right)}`);
          }
          return {scroll: d.scrollWidth, client: d.clientWidth, out: out.slice(0, 6)};
        }"""
    )


def assert_fits(frame: Page, what: str) -> None:
    widths = _sideways(frame)
    assert widths["client"] <= PHONE
    assert widths["scroll"] <= widths["client"], f"{what} scrolls sideways at {PHONE} px: {widths}"


def _regions_are_reachable(frame: Page) -> None:
    """Every table scrolls inside a region with a name that the keyboard reaches (never a lone scrolling table)."""
    bad = frame.evaluate(
        """() => [...document.querySelectorAll('main table')].filter(t => {
            const r = t.closest('[data-scroll-region]');
            return !r || r.getAttribute('role') !== 'region' || r.tabIndex !== 0 || !(r.getAttribute('aria-labelledby') || r.getAttribute('aria-label'));
          }).map(t => t.id || t.className)"""
    )
    assert not bad, f"tables outside a named, focusable scrolling region: {bad}"


PAGES = [
    ("/", "Issues"),
    ("/subscribers", "Subscribers"),
    (f"/subscribers?q={LONG[:12]}", "Subscribers found"),
    ("/reports", "Reports"),
    ("/audit", "Audit log"),
    (f"/issues/{ISSUE}/send", "Test and send"),
    (f"/issues/{ISSUE}/sl", "the editor"),
    (f"/issues/{ISSUE}/side-by-side?lang=en", "side by side"),
    ("/no/such/page", "not found"),
]


@pytest.mark.parametrize(("path", "what"), PAGES, ids=[w for _, w in PAGES])
def test_every_studio_page_fits_a_phone_without_scrolling_sideways(full_studio: RunningStudio, phone_frame: Page, path: str, what: str) -> None:
    assert _open(phone_frame, full_studio.url + path) == (404 if what == "not found" else 200)
    assert_fits(phone_frame, what)
    _regions_are_reachable(phone_frame)


def test_a_person_and_their_erasure_fit_a_phone(full_studio: RunningStudio, phone_frame: Page) -> None:
    person = full_studio.extra["person"]
    for path in (f"/subscribers/{person}", f"/subscribers/{person}/erase"):
        _open(phone_frame, full_studio.url + path)
        assert_fits(phone_frame, path)
        _regions_are_reachable(phone_frame)


def test_the_import_report_and_its_result_fit_a_phone(full_studio: RunningStudio, phone_frame: Page, tmp_path: Path) -> None:
    export = tmp_path / "partnerji.csv"
    export.write_text(CSV, encoding="utf-8")
    _open(phone_frame, full_studio.url + "/subscribers")
    phone_frame.get_by_label("File").set_input_files(export)
    phone_frame.get_by_role("button", name="Show what would be imported").click()
    expect(phone_frame.locator("#import-report")).to_be_visible(timeout=LIVE)
    assert_fits(phone_frame, "the import's dry run")
    _regions_are_reachable(phone_frame)
    phone_frame.get_by_role("button", name="Import these now").click()
    expect(phone_frame.get_by_role("status")).to_contain_text("Imported", timeout=LIVE)
    assert_fits(phone_frame, "the import's result")
    _regions_are_reachable(phone_frame)


def test_a_wide_table_scrolls_in_its_own_region_that_the_keyboard_reaches(full_studio: RunningStudio, phone_frame: Page) -> None:
    """At 375 px the reports table is wider than the phone: it scrolls inside its region, axe finds nothing."""
    page = phone_frame
    page.goto(full_studio.url + "/reports")
    region = page.get_by_role("region", name="Each issue sent, by list and edition language")
    expect(region).to_be_visible()
    page.keyboard.press("Tab")
    for _ in range(30):
        if page.evaluate("() => document.activeElement.hasAttribute('data-scroll-region')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.hasAttribute('data-scroll-region')"), "the region is not reached by Tab"
    before = page.evaluate("() => document.activeElement.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => document.activeElement.scrollLeft > {before}", timeout=LIVE)
    assert_accessible(page)


class RejectSome:
    """An SMTP server that refuses every address with "reject" in it (550 5.1.1, with a long reply) and takes the rest."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802 (aiosmtpd's hook)
        if "reject" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table of the receiving organisation"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        return "250 2.0.0 OK: queued"


def test_test_and_send_with_failures_fits_a_phone(tmp_path: Path, start_smtp, phone_frame: Page) -> None:
    """The send page of a campaign whose failures name long addresses and long server replies (the tester's 481 px)."""
    port = start_smtp(RejectSome())
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, port)
    store = open_store(settings)
    try:
        create_list(store, LIST, public=True)
        add_subscriber(store, "reader@example.org", language="sl", lists=(LIST,), source="cli")
        add_subscriber(store, "reject." + LONG, language="sl", lists=(LIST,), source="cli")
        send_campaign(store, load_issue(ISSUE, settings), settings, list_name=LIST)
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            _open(phone_frame, studio.url + f"/issues/{ISSUE}/send")
            expect(phone_frame.locator("table.failures")).to_contain_text("reject.")
            assert_fits(phone_frame, "Test and send with failures")
            _regions_are_reachable(phone_frame)
            region = phone_frame.get_by_role("region", name="Deliveries that failed or wait, with the mail server's answer")
            expect(region.locator("table.failures")).to_contain_text("reject.")
    finally:
        store.close()


def test_the_sign_in_page_fits_a_phone(tmp_path: Path, phone_frame: Page) -> None:
    with serve_accounts_studio(tmp_path) as studio:
        _open(phone_frame, studio.url + "/login")
        assert_fits(phone_frame, "Sign in")
