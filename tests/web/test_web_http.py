"""Sign-up, confirmation, preferences and the protections around them, over HTTP."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from leadex_mail import links
from leadex_mail.errors import NotFound
from leadex_mail.store.models import Event
from leadex_mail.store.outgoing import queue_summary
from leadex_mail.store.subscribers import (
    add_subscriber,
    forget,
    get_subscriber,
    get_subscriber_by_id,
)
from web.web_helpers import csrf_from, http, link_in, sign_up

PAGES = ["/subscribe", "/subscribe?lang=en", "/archive/", "/unsubscribe", "/no-such-page", "/healthz", "/static/web.css"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_response(site, path: str) -> None:
    response = http().get(site.url + path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "server" not in response.headers
    assert "<script" not in response.text.lower()


def test_not_found_page_is_localised(site) -> None:
    sl = http().get(site.url + "/nope", headers={"accept-language": "sl"})
    en = http().get(site.url + "/nope", headers={"accept-language": "en-GB,en;q=0.9"})
    assert sl.status_code == en.status_code == 404
    assert '<html lang="sl">' in sl.text and "Strani ni mogoče najti" in sl.text
    assert '<html lang="en">' in en.text and "Page not found" in en.text


def test_bodies_over_64_kb_are_refused(site) -> None:
    response = http().post(site.url + "/subscribe", content=b"a=" + b"x" * 70_000, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


def test_secure_cookie_only_behind_https(site) -> None:
    cookie = http().get(site.url + "/subscribe").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()


def _answer(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in {"date"}}
    return response.status_code, response.text, headers


def test_same_answer_for_new_known_and_erased_addresses(site) -> None:
    add_subscriber(site.store, "known@example.org", lists=("newsletter",), status="active", source="cli")
    add_subscriber(site.store, "erased@example.org", lists=("newsletter",), status="active", source="cli")

    forget(site.store, "erased@example.org")
    answers = []
    for email in ("new@example.org", "known@example.org", "erased@example.org"):
        with site.client() as client:
            answers.append(_answer(sign_up(client, email)))
    assert answers[0][0] == 200
    assert answers[0] == answers[1] == answers[2]
    # A new address and an erased one (whose person may sign up again) are each
    # sent one confirmation by the app's sender, after the answer; an active
    # subscriber is sent nothing: no confirmation is queued for her.
    for address in ("new@example.org", "erased@example.org"):
        (mail,) = site.mails_to(address)
        assert "/confirm/" in link_in(mail, "confirm")
    site.idle()
    assert site.smtp.to("known@example.org") == []
    assert queue_summary(site.store).counts == {"sent": 2}
    assert get_subscriber(site.store, "known@example.org").status == "active"
    assert get_subscriber(site.store, "erased@example.org").status == "pending"


def test_confirmation_mail_has_a_link_and_no_newsletter(site) -> None:
    with site.client() as client:
        sign_up(client, "mail@example.org", language="en", name="Žiga Čeh")
    [received] = site.mails_to("mail@example.org")
    message = received.message()
    assert message["Subject"] == "Confirm your subscription to the LeadEx newsletter"
    assert "List-Unsubscribe" not in message
    url = link_in(received, "confirm")
    assert url.startswith(site.url + "/confirm/")
    body = message.get_body(("plain",)).get_content()
    assert "7 days" in body and "Murcia" not in body


def test_confirm_get_changes_nothing_and_post_records_consent(site) -> None:
    with site.client() as client:
        sign_up(client, "confirm@example.org")
    url = link_in(site.mails_to("confirm@example.org")[0], "confirm")
    with site.client(headers={"user-agent": "ConsentTest/1.0"}) as browser:
        page = browser.get(url)
        assert page.status_code == 200 and "Potrdi prijavo" in page.text
        assert "Strinjam se" in page.text and "2026-04" in page.text  # the consent confirmed is shown
        assert get_subscriber(site.store, "confirm@example.org").status == "pending"
        done = browser.post(url, data={"csrf": csrf_from(page.text)})
    assert done.status_code == 200 and "Prijava je potrjena" in done.text
    sub = get_subscriber(site.store, "confirm@example.org")
    assert sub.status == "active"
    with site.store.session(write=False) as session:
        [event] = session.exec(select(Event).where(Event.subscriber_id == sub.id, Event.kind == "confirmed")).all()
    assert (event.source, event.ip, event.user_agent, event.consent_version) == ("web", "127.0.0.1", "ConsentTest/1.0", "2026-04")


def test_expired_confirmation_link(site) -> None:
    with site.client() as client:
        sign_up(client, "late@example.org")
    url = link_in(site.mails_to("late@example.org")[0], "confirm")
    with site.client() as browser:
        page = browser.get(url)
        site.clock.advance(days=7, minutes=1)
        expired = browser.get(url)
        refused = browser.post(url, data={"csrf": csrf_from(page.text)})
    assert expired.status_code == refused.status_code == 410
    assert "Povezava je potekla" in expired.text
    assert get_subscriber(site.store, "late@example.org").status == "pending"


def test_csrf_is_required_on_subscribe_confirm_and_preferences(site) -> None:
    with site.client() as client:
        no_token = client.post("/subscribe", data={"email": "csrf@example.org", "consent": "1", "lists": "newsletter"})
        client.get("/subscribe")  # has a cookie now, but the token below is another browser's
    with site.client() as other:
        foreign = csrf_from(other.get("/subscribe").text)
    with site.client() as client:
        client.get("/subscribe")
        wrong_cookie = client.post("/subscribe", data={"csrf": foreign, "email": "csrf@example.org", "consent": "1", "lists": "newsletter"})
    assert no_token.status_code == wrong_cookie.status_code == 403
    with pytest.raises(NotFound):
        get_subscriber(site.store, "csrf@example.org")

    sub = add_subscriber(site.store, "prefs@example.org", language="sl", lists=("newsletter",), status="active", source="cli")
    prefs = links.preferences_url(site.settings, int(sub.id), nonce=sub.link_nonce)
    assert http().post(prefs, data={"action": "save", "language": "en"}).status_code == 403
    assert http().post(prefs, data={"action": "unsubscribe"}).status_code == 403
    assert get_subscriber_by_id(site.store, int(sub.id)).language == "sl"
    assert get_subscriber_by_id(site.store, int(sub.id)).status == "active"


def test_honeypot_gets_the_same_answer_and_no_mail(site) -> None:
    with site.client() as client:
        human = sign_up(client, "human@example.org")
    with site.client() as client:
        bot = sign_up(client, "bot@example.org", website="http://spam.example.com")
    assert _answer(human) == _answer(bot)
    site.mails_to("human@example.org")
    site.idle()
    assert site.smtp.to("bot@example.org") == []
    with pytest.raises(NotFound):
        get_subscriber(site.store, "bot@example.org")


def test_form_errors_are_shown_with_the_values_kept(site) -> None:
    with site.client() as client:
        response = sign_up(client, "not-an-address", name="Ana", consent="", lists="")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert 'value="not-an-address"' in response.text and 'value="Ana"' in response.text
    for text in ("Vpišite veljaven e-poštni naslov", "potrdite privolitev", "Izberite vsaj ene novice"):
        assert text in response.text


@pytest.fixture
def subscribe_limit() -> tuple[int, float]:
    return (3, 600.0)


def test_rate_limit_per_ip_with_the_clock(site) -> None:
    with site.client() as client:
        codes = [sign_up(client, f"rate{n}@example.org").status_code for n in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = sign_up(client, "rate9@example.org")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        site.clock.advance(seconds=601)
        assert sign_up(client, "rate10@example.org").status_code == 200


def test_preferences_change_language_and_lists(site) -> None:
    from leadex_mail.store.lists import create_list

    create_list(site.store, "events", title="Dogodki", public=True)
    sub = add_subscriber(site.store, "choose@example.org", language="sl", lists=("newsletter",), status="active", source="cli")
    url = links.preferences_url(site.settings, int(sub.id), nonce=sub.link_nonce)
    with site.client() as browser:
        page = browser.get(url)
        assert page.status_code == 200 and '<html lang="sl">' in page.text
        saved = browser.post(url, data={"csrf": csrf_from(page.text), "action": "save", "language": "en", "lists": ["events"]})
    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    from leadex_mail.web.service import preferences_view

    view = preferences_view(site.store, get_subscriber_by_id(site.store, int(sub.id)))
    assert view.language == "en"
    assert {c.name: c.checked for c in view.lists} == {"events": True, "newsletter": False}


def test_preferences_unsubscribe_from_everything(site) -> None:
    sub = add_subscriber(site.store, "leave@example.org", language="en", lists=("newsletter",), status="active", source="cli")
    url = links.preferences_url(site.settings, int(sub.id), nonce=sub.link_nonce)
    with site.client() as browser:
        page = browser.get(url)
        done = browser.post(url, data={"csrf": csrf_from(page.text), "action": "unsubscribe"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert get_subscriber_by_id(site.store, int(sub.id)).status == "unsubscribed"


def test_confirmation_is_not_resent_within_ten_minutes(site) -> None:
    with site.client() as client:
        first, second = sign_up(client, "twice@example.org"), sign_up(client, "twice@example.org")
        assert _answer(first) == _answer(second)
        site.mails_to("twice@example.org")
        site.idle()
        assert len(site.smtp.to("twice@example.org")) == 1
        site.clock.advance(minutes=11)
        sign_up(client, "twice@example.org")
    assert len(site.mails_to("twice@example.org", count=2)) == 2
    site.idle()
    assert len(site.smtp.to("twice@example.org")) == 2


def test_visitor_address_comes_from_the_trusted_local_proxy(site) -> None:
    proxied = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"}
    with site.client(headers=proxied) as client:
        sign_up(client, "proxied@example.org")
    sub = get_subscriber(site.store, "proxied@example.org")
    with site.store.session(write=False) as session:
        [event] = session.exec(select(Event).where(Event.subscriber_id == sub.id, Event.kind == "subscribed")).all()
    assert event.ip == "203.0.113.7"


def test_https_public_url_gives_secure_host_cookies_and_hsts(tmp_path) -> None:
    from dataclasses import replace

    from leadex_mail.store.db import open_store
    from leadex_mail.web.app import create_app
    from web.web_helpers import site_settings

    settings = replace(site_settings(tmp_path, 1, 1), public_url="https://news.example.org")
    async def fetch(app) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://news.example.org") as client:
            return await client.get("/subscribe")

    with open_store(settings) as store, ThreadPoolExecutor(1) as pool:
        # A thread of its own: Playwright's sync API may hold this thread's event loop.
        response = pool.submit(asyncio.run, fetch(create_app(settings, store=store))).result()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-lx_csrf=") and "Secure" in cookie and "Path=/" in cookie and "HttpOnly" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_unsubscribed_person_can_come_back_by_confirming_again(site) -> None:
    sub = add_subscriber(site.store, "back@example.org", language="sl", lists=("newsletter",), status="active", source="cli")
    http().post(links.unsubscribe_url(site.settings, int(sub.id), 0, nonce=sub.link_nonce), data={"List-Unsubscribe": "One-Click"})
    assert get_subscriber(site.store, "back@example.org").status == "unsubscribed"
    with site.client() as client:
        sign_up(client, "back@example.org", language="en")
    [mail] = site.mails_to("back@example.org")
    assert mail.message()["Subject"] == "Confirm your subscription to the LeadEx newsletter"
    assert get_subscriber(site.store, "back@example.org").status == "unsubscribed"  # not before confirming
    url = link_in(mail, "confirm")
    with site.client() as browser:
        page = browser.get(url)
        browser.post(url, data={"csrf": csrf_from(page.text)})
    back = get_subscriber(site.store, "back@example.org")
    assert (back.status, back.language) == ("active", "en")


def test_personal_pages_refuse_forged_links_and_unknown_campaigns(site) -> None:
    sub = add_subscriber(site.store, "links@example.org", lists=("newsletter",), status="active", source="cli")
    key_of_another_site = b"another-site-key"
    from leadex_mail.tokens import sign

    with http() as client:
        for purpose in ("preferences", "view", "confirm", "unsubscribe"):
            forged = sign(purpose, {"s": int(sub.id), "c": 1, "l": "sl"}, key_of_another_site)
            assert client.get(f"{site.url}/{purpose}/{forged}").status_code == 400, purpose
        unknown_campaign = links.view_url(site.settings, int(sub.id), 999, "sl", nonce=sub.link_nonce)
        assert client.get(unknown_campaign).status_code == 404
        swapped = links.preferences_url(site.settings, int(sub.id), nonce=sub.link_nonce).replace("/preferences/", "/view/")
        assert client.get(swapped).status_code == 400  # a token is only good for its own purpose
