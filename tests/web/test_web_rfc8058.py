"""The RFC 8058 one-click contract over HTTP against the running app.

Mail providers POST ``List-Unsubscribe=One-Click`` to the List-Unsubscribe
URL, without cookies, as urlencoded or multipart form data; they expect 2xx
and no redirect, and may repeat the request. Link scanners GET it.
"""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from leadex_mail import links
from leadex_mail.store.models import Event
from leadex_mail.store.subscribers import add_subscriber, get_subscriber_by_id
from leadex_mail.tokens import sign
from web.web_helpers import http, nonce_of

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _active(site, email: str) -> int:
    sub = add_subscriber(site.store, email, name="Ana Novak", language="sl", lists=("newsletter",), status="active", source="cli")
    return int(sub.id)


def _status(site, subscriber_id: int) -> str:
    return get_subscriber_by_id(site.store, subscriber_id).status


def _events(site, subscriber_id: int, kind: str) -> list[Event]:
    with site.store.session(write=False) as session:
        return list(session.exec(select(Event).where(Event.subscriber_id == subscriber_id, Event.kind == kind)))


def _post(url: str, **kwargs) -> httpx.Response:
    # A fresh client per request: no cookie jar, as a mail provider's robot.
    with http() as client:
        return client.post(url, **kwargs)


def test_get_shows_a_button_and_changes_nothing(site) -> None:
    sid = _active(site, "scanner@example.org")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    for _ in range(3):
        with http() as client:
            page = client.get(url)
            client.head(url)
        assert page.status_code == 200
        assert '<form method="post">' in page.text and "Odjavi me" in page.text
    assert _status(site, sid) == "active"
    assert _events(site, sid, "unsubscribed") == []


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_without_cookies(site, encoding: str) -> None:
    sid = _active(site, f"oneclick-{encoding}@example.org")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    if encoding == "urlencoded":
        response = _post(url, data=ONE_CLICK)
        assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    else:
        response = _post(url, files={"List-Unsubscribe": (None, "One-Click")})
        assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert "cookie" not in response.request.headers
    assert 200 <= response.status_code < 300
    assert "location" not in response.headers
    assert "set-cookie" not in response.headers
    assert _status(site, sid) == "unsubscribed"
    [event] = _events(site, sid, "unsubscribed")
    assert event.source == "one-click"
    assert event.ip == "127.0.0.1"


def test_repeated_one_click_is_harmless(site) -> None:
    sid = _active(site, "twice@example.org")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    answers = [_post(url, data=ONE_CLICK) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert _status(site, sid) == "unsubscribed"
    assert len(_events(site, sid, "unsubscribed")) == 1


def test_forged_and_tampered_tokens_are_refused(site) -> None:
    sid = _active(site, "victim@example.org")
    genuine = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    base, token = genuine.rsplit("/", 1)
    body, sig = token.split(".")
    other = sign("unsubscribe", {"s": sid, "c": 7}, b"not-our-key")
    wrong_purpose = sign("preferences", {"s": sid}, site.settings.signing_key())
    forged_body = sign("unsubscribe", {"s": sid + 1, "c": 7}, site.settings.signing_key()).split(".")[0]
    for bad in (f"{body}.{sig[:-2]}AA", other, wrong_purpose, f"{forged_body}.{sig}", "garbage", f"{body}."):
        response = _post(f"{base}/{bad}", data=ONE_CLICK)
        assert 400 <= response.status_code < 500, bad
        assert "location" not in response.headers
        page = http().get(f"{base}/{bad}")
        assert 400 <= page.status_code < 500
    assert _status(site, sid) == "active"


def test_erased_subscriber_gets_a_harmless_2xx(site) -> None:
    from leadex_mail.store.subscribers import forget

    sid = _active(site, "gone@example.org")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    forget(site.store, "gone@example.org")
    assert _post(url, data=ONE_CLICK).status_code == 200
    assert http().get(url).status_code == 200


def test_button_on_the_page_unsubscribes_too(site) -> None:
    sid = _active(site, "button@example.org")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    response = _post(url, data={"action": "unsubscribe"})
    assert response.status_code == 200
    assert "Odjavljeni ste" in response.text
    assert _status(site, sid) == "unsubscribed"
    [event] = _events(site, sid, "unsubscribed")
    assert event.source == "web"


def test_uploads_and_oversized_forms_are_refused(site) -> None:
    sid = _active(site, "upload@example.org")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    assert _post(url, files={"List-Unsubscribe": (None, "One-Click"), "x": ("a.txt", b"hello")}).status_code == 400
    assert _post(url, data={f"f{n}": "1" for n in range(60)}).status_code == 400
    assert _status(site, sid) == "active"
    # A body that is no form at all is still a POST to a genuine link: it unsubscribes, never crashes.
    assert _post(url, content=b"--nope\r\n", headers={"content-type": "multipart/form-data; boundary=nope"}).status_code in (200, 400)
