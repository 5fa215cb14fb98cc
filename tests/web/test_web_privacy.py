"""Issue 14 over HTTP against the running app: the privacy notice, "send me my data", "delete my data".

The browser flows (and axe) are in ``test_web_privacy_browser.py``; here are
the rules around them: what the notice says and records, that a forwarded
preferences link alone can neither read nor erase, that erasure links are
bound to their row and expire, throttling, CSRF.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from sqlmodel import select

from leadex_mail import links
from leadex_mail.cli import main
from leadex_mail.errors import NotFound
from leadex_mail.store import notices
from leadex_mail.store.models import Event, OutgoingMail, Subscriber
from leadex_mail.store.outgoing import queue_summary
from leadex_mail.store.subscribers import (
    add_subscriber,
    confirm_subscription,
    forget,
    get_subscriber,
    is_suppressed,
    request_subscription,
)
from leadex_mail.tokens import sign
from leadex_mail.web.selfservice import ERASE_LINK_HOURS
from web.web_helpers import as_when_composed, csrf_from, http, link_in, sign_up

OWNER = "owner@example.org"
OWNER_NAME = "Ana Lastnica"


def _owner(site, address: str = OWNER, name: str = OWNER_NAME, language: str = "en") -> Subscriber:
    return add_subscriber(site.store, address, name=name, language=language, lists=("newsletter",), status="active", source="cli")


def _preferences(site, sub: Subscriber) -> str:
    return links.preferences_url(site.settings, int(sub.id), nonce=sub.link_nonce)


def _press(client, url: str, action: str):
    """Open a preferences page and press one of its buttons, as a browser would (cookie + CSRF)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    return client.post(url, data={"csrf": csrf_from(page.text), "action": action})


def _export_of(site, address: str) -> str:
    result = CliRunner().invoke(main, ["subscribers", "export", address], env={"LEADEX_DATABASE_URL": site.settings.database_url, "LEADEX_CONFIG": None})
    assert result.exit_code == 0, result.output
    return result.output


def _outgoing(site, kind: str) -> list[OutgoingMail]:
    with site.store.session(write=False) as session:
        return list(session.exec(select(OutgoingMail).where(OutgoingMail.kind == kind).order_by(OutgoingMail.id)))


# -- the notice ------------------------------------------------------------------------


def test_notice_in_every_language_from_settings_and_brand(site) -> None:
    en = http().get(site.url + "/privacy?lang=en")
    sl = http().get(site.url + "/privacy", headers={"accept-language": "sl"})
    assert en.status_code == sl.status_code == 200
    assert '<html lang="en">' in en.text and "<h1>Privacy notice</h1>" in en.text
    assert '<html lang="sl">' in sl.text and "Obvestilo o varstvu osebnih podatkov" in sl.text
    for page in (en.text, sl.text):
        # the brand file's controller, DPO and authority; the relay and retention from the settings
        assert "Región de Murcia, lead partner of the LeadEx project" in page and "dpo@example.org" in page
        assert 'href="https://www.aepd.es"' in page and 'href="mailto:privacy@example.org"' in page
        assert "127.0.0.1" in page  # site_settings' SMTP relay
        for days in (site.settings.pending_purge_days, site.settings.unsubscribed_retention_days, site.settings.delivery_retention_days):
            assert str(days) in page
    version = _version(site)
    assert f"Version {version}" in en.text and f"Različica {version}" in sl.text
    assert notices.notice_content(site.store, version)["facts"]["relay"] == "127.0.0.1"  # kept as evidence


def _version(site) -> str:
    [(version, _)] = notices.notice_versions(site.store)
    return version


def test_the_bounce_mailbox_is_named_when_there_is_one(site) -> None:
    from dataclasses import replace

    from leadex_mail.web.notice import build_notice
    from leadex_mail.web.service import sender_brand

    brand = sender_brand(site.settings)
    assert build_notice(site.settings, brand).facts.bounce_mailbox == ""
    assert "mail servers send their reports" not in http().get(site.url + "/privacy?lang=en").text
    notice = build_notice(replace(site.settings, imap_host="imap.example.org"), brand)
    assert notice.facts.bounce_mailbox == "imap.example.org" and notice.version != build_notice(site.settings, brand).version
    from leadex_mail.web.pages import render_page

    page = render_page("privacy.html.j2", "en", title_key="privacy_title", facts=notice.facts, version=notice.version)
    assert "The mailbox on imap.example.org, where mail servers send their reports" in page


def test_the_version_changes_with_what_the_notice_says(site, tmp_path) -> None:
    from dataclasses import replace

    from leadex_mail.web.notice import build_notice
    from leadex_mail.web.service import sender_brand

    brand = sender_brand(site.settings)
    first = build_notice(site.settings, brand)
    assert first.version == _version(site)
    assert build_notice(site.settings, brand).version == first.version  # stable
    longer = build_notice(replace(site.settings, unsubscribed_retention_days=730), brand)
    other = build_notice(site.settings, brand.model_copy(update={"privacy": brand.privacy.model_copy(update={"authority": "IP RS"})}))
    assert len({first.version, longer.version, other.version}) == 3


def test_consent_records_the_notice_version_beside_the_consent_text(site) -> None:
    with site.client() as client:
        form = client.get("/subscribe?lang=en")
        assert f"Privacy notice version: {_version(site)}" in form.text
        assert 'href="/privacy?lang=en"' in form.text  # beside the consent box
        sign_up(client, "consent@example.org")
        mail = site.mails_to("consent@example.org")[0]
        assert links.privacy_url(site.settings, "sl") in mail.message().get_body(("plain",)).get_content()
        url = link_in(mail, "confirm")
        page = client.get(url)
        assert _version(site) in page.text and "/privacy?lang=sl" in page.text
        client.post(url, data={"csrf": csrf_from(page.text)})
    sub = get_subscriber(site.store, "consent@example.org")
    with site.store.session(write=False) as session:
        events = list(session.exec(select(Event).where(Event.subscriber_id == sub.id)))
    consents = [(e.kind, e.consent_version, e.notice_version) for e in events if e.kind in ("subscribed", "confirmed")]
    assert consents and all(cv == "2026-04" and nv == _version(site) for _, cv, nv in consents), consents
    assert {kind for kind, _, _ in consents} == {"subscribed", "confirmed"}
    exported = json.loads(_export_of(site, "consent@example.org"))[0]["events"]
    assert {e["notice_version"] for e in exported if e["kind"] == "confirmed"} == {_version(site)}


@pytest.mark.parametrize("path", ["/subscribe", "/archive/", "/unsubscribe", "/nowhere", "/privacy"])
def test_every_page_links_to_the_notice(site, path: str) -> None:
    page = http().get(site.url + path + "?lang=sl", headers={"accept-language": "sl"})
    assert 'href="/privacy?lang=sl"' in page.text


# -- send me my data --------------------------------------------------------------------


def test_send_me_my_data_mails_the_export_and_shows_nothing(site) -> None:
    owner = _owner(site)
    with site.client() as client:
        answer = _press(client, _preferences(site, owner), "export")
    assert answer.status_code == 200 and "Your data is on its way" in answer.text
    for secret in (OWNER, OWNER_NAME, "owner"):
        assert secret not in answer.text
    [mail] = site.mails_to(OWNER)
    site.idle()
    message = mail.message()
    assert message["Subject"] == "Your data in the LeadEx newsletter" and message["To"] == OWNER
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/json" and attachment.get_filename().startswith("leadex-data-")
    assert as_when_composed(attachment.get_content().decode("utf-8"), _export_of(site, OWNER))  # the CLI's export, as it was then
    summary = message.get_body(("plain",)).get_content()
    assert f"Address: {OWNER}" in summary and f"Name: {OWNER_NAME}" in summary and "newsletter (active" in summary
    assert links.privacy_url(site.settings, "en") in summary
    assert [m.state for m in _outgoing(site, "data_export")] == ["sent"]


def test_a_forwarded_preferences_link_alone_can_neither_read_nor_erase(site) -> None:
    owner = _owner(site)
    forwarded = _preferences(site, owner)
    with site.client() as stranger:  # someone the newsletter was forwarded to: the link, no mailbox
        page = stranger.get(forwarded)
        for action in ("export", "erase"):
            answer = _press(stranger, forwarded, action)
            assert answer.status_code == 200
            for secret in (OWNER, OWNER_NAME):
                assert secret not in page.text and secret not in answer.text
        # The preferences link is not an erasure link, and cannot be made into one.
        token = forwarded.rsplit("/", 1)[1]
        assert stranger.get(f"/erase/{token}").status_code == 400
        assert stranger.post(f"/erase/{token}", data={"csrf": csrf_from(page.text)}).status_code == 400
    site.mails_to(OWNER, count=2)
    site.idle()
    assert {r for m in site.smtp.messages for r in m.rcpt_tos} == {OWNER}  # both mails went only to the owner
    assert get_subscriber(site.store, OWNER).status == "active"  # nothing erased without the owner's mailbox


def test_data_requests_are_throttled_per_subscriber_and_per_address(site) -> None:
    owner = _owner(site)
    with site.client() as client:
        for _ in range(2):
            assert _press(client, _preferences(site, owner), "export").status_code == 200
        site.mails_to(OWNER)
        site.idle()
        assert [m.state for m in _outgoing(site, "data_export")] == ["sent", "skipped"]  # the second within the hour: not sent
        site.clock.advance(minutes=61)  # past the subscriber's hour, and past the IP's window
        _press(client, _preferences(site, owner), "export")
        site.mails_to(OWNER, count=2)
        site.idle()
        assert [m.state for m in _outgoing(site, "data_export")] == ["sent", "skipped", "sent"]
        for _ in range(9):  # 10 requests per IP and hour in all (a script walking forwarded links gets nowhere)
            assert _press(client, _preferences(site, owner), "export").status_code == 200
        limited = _press(client, _preferences(site, owner), "erase")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


# -- delete my data ---------------------------------------------------------------------


def _erase_link(site, owner: Subscriber, nth: int = 1) -> str:
    """Press "delete my data" and return the link from the mail (the ``nth`` mail to OWNER)."""
    with site.client() as client:
        answer = _press(client, _preferences(site, owner), "erase")
    assert answer.status_code == 200 and f"{ERASE_LINK_HOURS} hours" in answer.text
    body = site.mails_to(OWNER, count=nth)[nth - 1].message().get_body(("plain",)).get_content()
    return next(word for word in body.split() if "/erase/" in word)


def test_erasure_by_the_mailed_link_only_after_confirming(site, tmp_path) -> None:
    owner = _owner(site)
    url = _erase_link(site, owner)
    with site.client() as client:
        page = client.get(url)  # what mail scanners do: nothing happens
        assert page.status_code == 200 and "Delete your data" in page.text and "What we keep, and why" in page.text
        assert get_subscriber(site.store, OWNER).status == "active"
        assert client.post(url, data={"csrf": "forged"}).status_code == 403
        assert get_subscriber(site.store, OWNER).status == "active"
        done = client.post(url, data={"csrf": csrf_from(page.text)})
        assert done.status_code == 200 and "Your data is deleted" in done.text and "one-way hash" in done.text
        again = client.get(url)  # the link of an erased person: says so again, erases nobody
        assert again.status_code == 200 and "Your data is deleted" in again.text
    with pytest.raises(NotFound):
        get_subscriber(site.store, OWNER)
    assert is_suppressed(site.store, OWNER)
    with site.store.session(write=False) as session:
        assert session.exec(select(Event).where(Event.kind == "erased", Event.source == "web")).first() is not None
    csv = tmp_path / "import.csv"
    csv.write_text(f"email,name\n{OWNER},{OWNER_NAME}\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["subscribers", "import", str(csv), "--list", "newsletter"], env={"LEADEX_DATABASE_URL": site.settings.database_url, "LEADEX_CONFIG": None}
    )
    assert "imported: 0" in result.output and "never imported again" in result.output


def test_erasure_links_expire(site) -> None:
    owner = _owner(site)
    url = _erase_link(site, owner)
    site.clock.advance(hours=ERASE_LINK_HOURS, minutes=1)
    with site.client(headers={"accept-language": "en"}) as client:
        page = client.get(url)
        assert page.status_code == 410 and "Delete my data" in page.text
        assert client.post(url, data={"csrf": csrf_from(client.get("/subscribe").text)}).status_code == 410
    assert get_subscriber(site.store, OWNER).status == "active"


def test_an_erasure_link_of_a_deleted_or_recreated_row_is_refused(site) -> None:
    owner = _owner(site)
    old = _erase_link(site, owner)
    forget(site.store, OWNER)
    # The same person signs up again and confirms (the one way back after an erasure): a new row.
    pending = request_subscription(
        site.store, OWNER, name=None, language="en", lists=("newsletter",), consent_version="2026-04", source="web", ip=None, user_agent=None
    )
    again = confirm_subscription(site.store, int(pending.id), ip=None, user_agent=None, consent_version="2026-04")
    assert again.id != owner.id and again.status == "active"
    with site.client() as client:
        page = client.get(old)
        assert "Your data is deleted" in page.text and "<form" not in page.text.split("<main", 1)[1]
        client.post(old, data={"csrf": csrf_from(client.get("/subscribe").text)})
    assert get_subscriber(site.store, OWNER).id == again.id  # the new row is untouched

    # The same id with another nonce (a store re-created or restored): refused as well.
    fresh = _erase_link(site, again, nth=2)
    with site.store.begin() as conn:
        conn.execute(update(Subscriber.__table__).where(Subscriber.__table__.c.id == again.id).values(link_nonce="someone-else"))
    with site.client() as client:
        assert "<form" not in client.get(fresh).text.split("<main", 1)[1]
        client.post(fresh, data={"csrf": csrf_from(client.get("/subscribe").text)})
    assert get_subscriber(site.store, OWNER).id == again.id

    # A link without a nonce was never made for erasure: even for an old id it is refused.
    legacy = sign("erase", {"s": int(again.id)}, site.settings.signing_key(), expires_at=site.clock() + timedelta(hours=1))
    assert http().get(f"{site.url}/erase/{legacy}").status_code == 400
    assert http().get(f"{site.url}/erase/forged.token").status_code == 400


def test_privacy_mails_go_with_an_erased_person(site) -> None:
    from leadex_mail.web.selfservice import request_data_export, request_erasure

    owner = _owner(site)
    assert request_data_export(site.store, owner, site.clock()) and request_erasure(site.store, owner, site.clock())
    forget(site.store, OWNER)
    assert queue_summary(site.store).counts == {}  # the queued rows went with the subscriber: nothing left to send
