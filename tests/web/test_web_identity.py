"""A link never acts on another person (issue 8, item 2), over HTTP against the running app.

The attack from the issue, end to end: Mallory signs up through the form,
confirms, receives a real campaign mail over SMTP (with its unsubscribe,
preferences and view links), then asks for erasure. He signs the victim up;
on a store that reused ids she would get his old id, and his old links
would act on her: confirm her (double opt-in bypassed, consent recorded
with his IP), unsubscribe her, show and change her preferences. Each of his
links must be refused, with the same harmless answers an erased person's
links get (RFC 8058: a one-click POST still gets a 2xx, and nothing happens).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from leadex_mail.content.loader import load_issue
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store.models import Event
from leadex_mail.store.subscribers import forget, get_subscriber, get_subscriber_by_id, subscriber_lists
from web.web_helpers import csrf_from, http, link_in, sign_up

ISSUE = "2026-04-leadex-01"
MALLORY = "mallory@example.com"
VICTIM = "victim@example.org"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _confirm(site, client, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200, page.text
    client.post(url, data={"csrf": csrf_from(page.text)})


def _events(site, subscriber_id: int, kind: str) -> list[Event]:
    with site.store.session(write=False) as session:
        return list(session.exec(select(Event).where(Event.subscriber_id == subscriber_id, Event.kind == kind)))


def _mallorys_links(site) -> dict[str, str]:
    """Mallory signs up, confirms, gets a campaign mail; then he is erased. His links, by kind."""
    with site.client() as mallory:
        sign_up(mallory, MALLORY)
        [mail] = site.mails_to(MALLORY)
        confirm = link_in(mail, "confirm")
        _confirm(site, mallory, confirm)
    assert get_subscriber(site.store, MALLORY).status == "active"
    report = send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    assert report.sent_now == 1
    campaign_mail = site.mails_to(MALLORY, count=2)[1]
    found = {kind: link_in(campaign_mail, kind) for kind in ("unsubscribe", "preferences", "view")}
    forget(site.store, MALLORY)
    # The confirmation limiter allows one mail per person per 10 minutes; the victim comes later.
    site.clock.advance(minutes=11)
    return {"confirm": confirm, **found}


def _victim_signed_up_by_mallory(site) -> int:
    with site.client() as mallory:
        sign_up(mallory, VICTIM)
    victim = get_subscriber(site.store, VICTIM)
    assert victim.status == "pending"
    return int(victim.id)


def _victim_confirms(site) -> None:
    [mail] = site.mails_to(VICTIM)
    with site.client() as victim:
        _confirm(site, victim, link_in(mail, "confirm"))
    assert get_subscriber(site.store, VICTIM).status == "active"


def test_mallorys_old_confirm_link_never_confirms_the_victim(site) -> None:
    links = _mallorys_links(site)
    victim_id = _victim_signed_up_by_mallory(site)
    with site.client() as mallory:
        # With a CSRF token of his own (any page gives one), the POST must not confirm anyone.
        form = mallory.get("/subscribe")
        answer = mallory.post(links["confirm"], data={"csrf": csrf_from(form.text)})
        assert get_subscriber(site.store, VICTIM).status == "pending"
        assert _events(site, victim_id, "confirmed") == []
        assert answer.status_code == 410  # the same answer as for a purged sign-up
        assert mallory.get(links["confirm"]).status_code == 410
    # Her own link still works: the way in is her own confirmation.
    _victim_confirms(site)
    [event] = _events(site, victim_id, "confirmed")
    assert event.source == "web"


def test_mallorys_old_unsubscribe_link_is_a_harmless_2xx(site) -> None:
    links = _mallorys_links(site)
    victim_id = _victim_signed_up_by_mallory(site)
    _victim_confirms(site)
    with http() as robot:
        for _ in range(2):
            answer = robot.post(links["unsubscribe"], data=ONE_CLICK)
            assert answer.status_code == 200 and "location" not in answer.headers
        button = robot.post(links["unsubscribe"], data={})
        assert button.status_code == 200
    assert get_subscriber(site.store, VICTIM).status == "active"
    assert subscriber_lists(site.store, victim_id) == [("newsletter", "active")]
    assert _events(site, victim_id, "unsubscribed") == []
    page = http().get(links["unsubscribe"])
    assert page.status_code == 200
    assert "/preferences/" not in page.text  # no way from his link to her preferences


def test_mallorys_old_preferences_link_shows_and_changes_nothing(site) -> None:
    links = _mallorys_links(site)
    victim_id = _victim_signed_up_by_mallory(site)
    _victim_confirms(site)
    with site.client() as mallory:
        page = mallory.get(links["preferences"])
        assert page.status_code == 404
        form = mallory.get("/subscribe")
        token = csrf_from(form.text)
        for data in ({"csrf": token, "action": "save", "language": "en", "lists": []}, {"csrf": token, "action": "unsubscribe"}):
            assert mallory.post(links["preferences"], data=data).status_code == 404
    victim = get_subscriber_by_id(site.store, victim_id)
    assert (victim.status, victim.language) == ("active", "sl")
    assert subscriber_lists(site.store, victim_id) == [("newsletter", "active")]
    assert _events(site, victim_id, "preferences") == [] and _events(site, victim_id, "unsubscribed") == []


def test_mallorys_old_view_link_is_refused(site) -> None:
    links = _mallorys_links(site)
    _victim_signed_up_by_mallory(site)
    with http() as client:
        assert client.get(links["view"]).status_code == 404


@pytest.mark.parametrize("kind", ["unsubscribe", "preferences", "view"])
def test_the_victims_own_links_work(site, kind: str) -> None:
    """The control: the same kinds of link, minted for her, act for her."""
    _mallorys_links(site)
    victim_id = _victim_signed_up_by_mallory(site)
    _victim_confirms(site)
    report = send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    assert report.sent_now == 1
    [_, mail] = site.mails_to(VICTIM, count=2)
    url = link_in(mail, kind)
    with http() as client:
        if kind == "unsubscribe":
            assert client.post(url, data=ONE_CLICK).status_code == 200
            assert get_subscriber_by_id(site.store, victim_id).status == "unsubscribed"
        else:
            assert client.get(url).status_code == 200
