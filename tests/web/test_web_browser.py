"""End to end in Debian's Chromium: sign up, confirm from the mail, get an issue,
unsubscribe from its link; the preferences page; the archive. Every page is
checked with axe-core for WCAG 2.x A/AA violations.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from leadex_mail import links
from leadex_mail.content.loader import load_issue
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store.subscribers import add_subscriber, get_subscriber
from web.web_helpers import link_in

pytestmark = pytest.mark.browser

WCAG = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}
ISSUE = "2026-04-leadex-01"
_AXE = Axe()


def assert_accessible(page: Page) -> None:
    """No axe-core violation tagged WCAG 2.0/2.1 A or AA on the current page."""
    results = _AXE.run(page)
    bad = [v for v in results.response["violations"] if WCAG & set(v["tags"])]
    details = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
    assert not bad, f"{page.url}: {details}"


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_subscribe_confirm_receive_unsubscribe(site, page: Page) -> None:
    page.goto(site.url + "/subscribe")  # Chromium asks for English
    expect(heading(page)).to_have_text("Subscribe to the LeadEx newsletter")
    page.get_by_role("link", name="Slovenščina").click()
    assert_accessible(page)
    page.get_by_label("E-poštni naslov").fill("reader@example.org")
    page.get_by_label("Ime in priimek (neobvezno)").fill("Ana Novak")
    page.get_by_label("Jezik novic").select_option("sl")
    expect(page.get_by_label("LeadEx novice")).to_be_checked()  # the only list is offered ticked
    page.get_by_label(re.compile("^Strinjam se")).check()
    page.get_by_role("button", name="Prijavi me").click()
    expect(heading(page)).to_have_text("Preverite svoj e-poštni predal")
    assert_accessible(page)
    assert get_subscriber(site.store, "reader@example.org").status == "pending"

    page.goto(link_in(site.mails_to("reader@example.org")[0], "confirm"))
    expect(heading(page)).to_have_text("Potrdite prijavo")
    assert_accessible(page)
    page.get_by_role("button", name="Potrdi prijavo").click()
    expect(heading(page)).to_have_text("Prijava je potrjena")
    assert_accessible(page)
    assert get_subscriber(site.store, "reader@example.org").status == "active"

    issue = load_issue(ISSUE, site.settings)
    send_campaign(site.store, issue, site.settings, list_name="newsletter")
    newsletter = site.mails_to("reader@example.org", count=2)[1].message()
    assert "LeadEx" in newsletter["Subject"]
    header_url = re.search(r"<(http[^>]+/unsubscribe/[^>]+)>", newsletter["List-Unsubscribe"]).group(1)
    html = newsletter.get_body(("html",)).get_content()
    assert header_url in html  # the visible link in the body is the same URL

    page.goto(header_url)
    expect(heading(page)).to_have_text("Odjava od novic")
    assert_accessible(page)
    assert get_subscriber(site.store, "reader@example.org").status == "active"  # opening the page changed nothing
    page.get_by_role("button", name="Odjavi me").click()
    expect(heading(page)).to_have_text("Odjavljeni ste")
    assert_accessible(page)
    assert get_subscriber(site.store, "reader@example.org").status == "unsubscribed"


def test_preferences_page_in_the_browser(site, page: Page) -> None:
    from leadex_mail.store.lists import create_list

    create_list(site.store, "events", title="Dogodki in delavnice", public=True)
    sub = add_subscriber(site.store, "prefs@example.org", language="sl", lists=("newsletter",), status="active", source="cli")
    page.goto(links.preferences_url(site.settings, int(sub.id), nonce=sub.link_nonce))
    expect(heading(page)).to_have_text("Nastavitve prejemanja")
    assert_accessible(page)
    page.get_by_label("Jezik novic").select_option("en")
    page.get_by_label("Dogodki in delavnice").check()
    page.get_by_role("button", name="Shrani nastavitve").click()
    expect(page.get_by_role("status")).to_have_text("Your preferences are saved.")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)
    assert get_subscriber(site.store, "prefs@example.org").language == "en"
    page.get_by_role("button", name="Unsubscribe from all newsletters").click()
    expect(heading(page)).to_have_text("You are unsubscribed")
    assert get_subscriber(site.store, "prefs@example.org").status == "unsubscribed"


def test_archive_and_view_in_browser_show_no_personal_data(site, page: Page) -> None:
    add_subscriber(site.store, "archive.reader@example.org", name="Zala Zupan", language="en", lists=("newsletter",), status="active", source="cli")
    page.goto(site.url + "/archive/")
    expect(page.get_by_text("No issue has been sent yet.")).to_be_visible()  # drafts are not public
    assert page.goto(f"{site.url}/archive/{ISSUE}/sl").status == 404

    send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    mail = site.mails_to("archive.reader@example.org")[0].message()
    page.goto(site.url + "/archive/", wait_until="load")
    assert_accessible(page)
    page.get_by_role("link", name="LeadEx novice št. 1").click()
    expect(page).to_have_url(f"{site.url}/archive/{ISSUE}/sl")
    expect(page.locator("html")).to_have_attribute("lang", "sl")
    expect(page.get_by_text("Murcia").first).to_be_visible()
    assert_accessible(page)
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []

    view = re.search(r"http\S+/view/[A-Za-z0-9_.\-]+", mail.get_body(("plain",)).get_content()).group(0)
    page.goto(view)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    content = page.content()
    assert "Zala" not in content and "archive.reader" not in content and "[[LX:" not in content


def test_every_other_page_is_accessible(site, page: Page) -> None:
    """Pages the flows above do not reach: errors, the form with mistakes, English, the web version."""
    page.goto(site.url + "/subscribe?lang=en")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a valid email address")
    assert_accessible(page)
    for path, status in [("/unsubscribe", 200), ("/nowhere", 404), ("/unsubscribe/forged.token", 400), ("/confirm/forged.token", 400)]:
        response = page.goto(site.url + path)
        assert response is not None and response.status == status, path
        assert_accessible(page)
