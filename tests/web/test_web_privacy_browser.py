"""Issue 14 in Debian's Chromium against the running app, with the loopback SMTP server as the mailbox.

The privacy notice is reached from every page and mail that collects or
uses an address; "send me my data" delivers the export to the subscriber's
mailbox and shows nothing personal; "delete my data" erases through the
mailed link only (checked in the store and in the raw SQLite file), after
which an import refuses the address; a forwarded preferences link alone, in
another browser, can neither read nor erase. axe-core finds no WCAG 2.1
A/AA violation on the new pages.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from leadex_mail import links
from leadex_mail.cli import main
from leadex_mail.content.loader import load_issue
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.errors import NotFound
from leadex_mail.store.subscribers import add_subscriber, get_subscriber
from web.test_web_browser import assert_accessible, heading
from web.web_helpers import as_when_composed, link_in

pytestmark = pytest.mark.browser

ISSUE = "2026-04-leadex-01"
OWNER = "mojca.novak@example.org"
NAME = "Mojca Novak"


def _cli(site, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"LEADEX_DATABASE_URL": site.settings.database_url, "LEADEX_CONFIG": None})
    assert result.exit_code == 0, result.output
    return result.output


def _owner(site, language: str = "sl"):
    return add_subscriber(site.store, OWNER, name=NAME, language=language, lists=("newsletter",), status="active", source="cli")


def _mail_links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_body(("plain",)).get_content())


def _open_notice(page: Page, lang: str) -> None:
    """On a page: follow its privacy notice link, land on the notice in ``lang``."""
    page.get_by_role("link", name="Obvestilo o varstvu osebnih podatkov" if lang == "sl" else "Privacy notice").first.click()
    expect(page).to_have_url(re.compile(rf"/privacy\?lang={lang}$"))
    expect(heading(page)).to_have_text("Obvestilo o varstvu osebnih podatkov" if lang == "sl" else "Privacy notice")


def test_the_notice_is_reachable_from_every_page_and_mail(site, page: Page) -> None:
    # The sign-up form, beside the consent box.
    page.goto(site.url + "/subscribe?lang=sl")
    consent = page.locator("#consent-privacy")
    expect(consent.get_by_role("link")).to_have_attribute("href", "/privacy?lang=sl")
    page.get_by_label("E-poštni naslov").fill("reader@example.org")
    page.get_by_label(re.compile("^Strinjam se")).check()
    page.get_by_role("button", name="Prijavi me").click()
    expect(heading(page)).to_have_text("Preverite svoj e-poštni predal")

    # The confirmation mail.
    confirmation = site.mails_to("reader@example.org")[0].message()
    assert links.privacy_url(site.settings, "sl") in _mail_links(confirmation)
    page.goto(link_in(site.mails_to("reader@example.org")[0], "confirm"))
    page.get_by_role("button", name="Potrdi prijavo").click()
    expect(heading(page)).to_have_text("Prijava je potrjena")

    # The preferences page, in its "your data" section.
    page.get_by_role("link", name="Uredi nastavitve prejemanja").click()
    expect(heading(page)).to_have_text("Nastavitve prejemanja")
    expect(page.locator("section[aria-labelledby=your-data]").get_by_role("link")).to_have_attribute("href", "/privacy?lang=sl")

    # Every newsletter's footer, HTML and text, and the archive.
    send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    newsletter = site.mails_to("reader@example.org", count=2)[1].message()
    notice = links.privacy_url(site.settings, "sl")
    assert f'href="{notice}"' in newsletter.get_body(("html",)).get_content()
    assert f"Varstvo podatkov: {notice}" in newsletter.get_body(("plain",)).get_content()
    page.set_content(newsletter.get_body(("html",)).get_content())
    page.get_by_role("link", name="Varstvo podatkov").click()
    expect(heading(page)).to_have_text("Obvestilo o varstvu osebnih podatkov")
    page.goto(site.url + "/archive/?lang=sl")
    _open_notice(page, "sl")
    page.goto(f"{site.url}/archive/{ISSUE}/sl")
    page.get_by_role("link", name="Varstvo podatkov").click()
    expect(heading(page)).to_have_text("Obvestilo o varstvu osebnih podatkov")

    # The notice itself: both languages, switchable, accessible.
    assert_accessible(page)
    page.get_by_role("link", name="English").click()
    expect(heading(page)).to_have_text("Privacy notice")
    expect(page.get_by_text("Región de Murcia, lead partner of the LeadEx project")).to_be_visible()
    assert_accessible(page)


def test_send_me_my_data_reaches_the_mailbox_and_not_the_page(site, page: Page) -> None:
    owner = _owner(site)
    page.goto(links.preferences_url(site.settings, int(owner.id), nonce=owner.link_nonce))
    expect(page.get_by_role("heading", name="Vaši podatki")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Pošljite mi moje podatke").click()
    expect(heading(page)).to_have_text("Vaši podatki so na poti")
    assert_accessible(page)
    shown = page.content()
    for secret in (OWNER, NAME, "mojca", "Novak"):
        assert secret not in shown

    [mail] = site.mails_to(OWNER)
    site.idle()
    message = mail.message()
    [attachment] = list(message.iter_attachments())
    exported = attachment.get_content().decode("utf-8")
    assert as_when_composed(exported, _cli(site, "subscribers", "export", OWNER))  # the CLI's export, as it was then
    assert json.loads(exported)[0]["name"] == NAME
    assert f"Naslov: {OWNER}" in message.get_body(("plain",)).get_content()


def test_delete_my_data_through_the_mailed_link(site, page: Page, tmp_path) -> None:
    owner = _owner(site)
    page.goto(links.preferences_url(site.settings, int(owner.id), nonce=owner.link_nonce))
    page.get_by_role("button", name="Izbrišite moje podatke").click()
    expect(heading(page)).to_have_text("Preverite svoj e-poštni predal")
    assert get_subscriber(site.store, OWNER).status == "active"  # asking deletes nothing

    [mail] = site.mails_to(OWNER)
    erase = next(url for url in _mail_links(mail.message()) if "/erase/" in url)
    page.goto(erase)
    expect(heading(page)).to_have_text("Izbris vaših podatkov")
    expect(page.get_by_role("heading", name="Kaj ohranimo in zakaj")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Izbriši moje podatke").click()
    expect(heading(page)).to_have_text("Vaši podatki so izbrisani")
    expect(page.get_by_text(re.compile("^Enosmerni zgoščeni zapis"))).to_be_visible()  # what was kept, and why
    assert_accessible(page)

    with pytest.raises(NotFound):
        get_subscriber(site.store, OWNER)
    site.store.checkpoint()
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("subscribers.db*"))
    assert OWNER.encode() not in raw and NAME.encode() not in raw
    csv = tmp_path / "partners.csv"
    csv.write_text(f"email,name\n{OWNER},{NAME}\n", encoding="utf-8")
    report = _cli(site, "subscribers", "import", str(csv), "--list", "newsletter")
    assert "imported: 0" in report and "erased at the person's request; it is never imported again" in report


def test_a_forwarded_preferences_link_alone_can_neither_read_nor_erase(site, browser) -> None:
    owner = _owner(site, language="en")
    forwarded = links.preferences_url(site.settings, int(owner.id), nonce=owner.link_nonce)
    stranger = browser.new_context().new_page()  # another person, another browser: only the link
    try:
        stranger.goto(forwarded)
        stranger.get_by_role("button", name="Send me my data").click()
        expect(heading(stranger)).to_have_text("Your data is on its way")
        assert OWNER not in stranger.content() and NAME not in stranger.content()
        stranger.go_back()
        stranger.reload()
        stranger.get_by_role("button", name="Delete my data").click()
        expect(heading(stranger)).to_have_text("Check your inbox")
        assert OWNER not in stranger.content() and NAME not in stranger.content()
        assert_accessible(stranger)
        stranger.goto(forwarded.replace("/preferences/", "/erase/"))
        expect(heading(stranger)).to_have_text("This link is not valid")
    finally:
        stranger.context.close()
    site.mails_to(OWNER, count=2)
    site.idle()
    assert {r for m in site.smtp.messages for r in m.rcpt_tos} == {OWNER}  # the data and the link reached only the owner
    assert get_subscriber(site.store, OWNER).status == "active"
