"""Core subscriber rules: normalising, consent, unsubscribing, bounces, preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leadex_mail.errors import NotFound, StoreError, Suppressed
from leadex_mail.store import lists, subscribers
from leadex_mail.store.models import Event, Subscription
from leadex_mail.store.validation import InvalidValue, normalise_email


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  ana@example.org ", "ana@example.org"),
        ("Ana.Novak@Example.ORG", "ana.novak@example.org"),
        ("info@bücher.example.org", "info@xn--bcher-kva.example.org"),
        ("info@XN--BCHER-KVA.example.org", "info@xn--bcher-kva.example.org"),
    ],
)
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "ana", "ana@", "ana@localhost", "an a@example.org", "ana@example..org", "a\r\nBcc: x@example.org"])
def test_invalid_addresses_refused(raw):
    with pytest.raises(InvalidValue):
        normalise_email(raw)


def test_smtputf8_local_part_only_when_allowed():
    with pytest.raises(InvalidValue) as err:
        normalise_email("žiga@example.org")
    assert "smtputf8" in (err.value.hint or "")
    assert normalise_email("Žiga@example.org", allow_smtputf8=True) == "žiga@example.org"


@pytest.fixture
def news(store):
    return lists.create_list(store, "news", title="LeadEx novice")


def test_add_and_get(store, news):
    sub = subscribers.add_subscriber(store, "Ana@Example.org", name="Ana Novak", language="en", lists=["news"])
    got = subscribers.get_subscriber(store, "ana@EXAMPLE.org")
    assert (got.id, got.name, got.language, got.status) == (sub.id, "Ana Novak", "en", "active")
    assert subscribers.subscriber_lists(store, sub.id) == [("news", "active")]
    assert [e.kind for e in subscribers.subscriber_events(store, sub.id)] == ["subscribed", "subscribed"]
    with pytest.raises(NotFound):
        subscribers.get_subscriber(store, "bor@example.org")


def test_add_to_unknown_list_writes_nothing(store):
    with pytest.raises(NotFound) as err:
        subscribers.add_subscriber(store, "ana@example.org", lists=["nope"])
    assert "lists create nope" in (err.value.hint or "")
    with pytest.raises(NotFound):
        subscribers.get_subscriber(store, "ana@example.org")


@pytest.mark.parametrize("name", ["Ana\r\nBcc: x@example.org", "Ana\x00", "Ana\u2028Novak", "x" * 1001])
def test_names_with_control_characters_refused(store, name):
    with pytest.raises(InvalidValue):
        subscribers.add_subscriber(store, "ana@example.org", name=name)


def test_double_opt_in(store, news):
    sub = subscribers.request_subscription(
        store, "bor@example.org", name="Bor", language="en", lists=["news"], consent_version="2026-04", source="web", ip="192.0.2.1", user_agent="UA"
    )
    assert sub is not None and sub.status == "pending"
    assert subscribers.eligible_subscribers(store, "news") == []
    done = subscribers.confirm_subscription(store, sub.id, ip="192.0.2.2", user_agent="UA2", consent_version="2026-04")
    assert done.status == "active" and done.confirmed_at is not None
    assert [(r.email, r.language) for r in subscribers.eligible_subscribers(store, "news")] == [("bor@example.org", "en")]
    confirmed = [e for e in subscribers.subscriber_events(store, sub.id) if e.kind == "confirmed"]
    assert [(e.ip, e.user_agent, e.consent_version) for e in confirmed] == [("192.0.2.2", "UA2", "2026-04")]
    # Asking again while active answers None (same response either way) and changes nothing.
    again = subscribers.request_subscription(
        store, "bor@example.org", name="X", language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    assert again is None and subscribers.get_subscriber(store, "bor@example.org").name == "Bor"


def test_unsubscribe_is_idempotent_and_blocks_operator(store, news):
    sub = subscribers.add_subscriber(store, "ana@example.org", lists=["news"])
    assert subscribers.unsubscribe(store, sub.id, source="one-click") is True
    assert subscribers.unsubscribe(store, sub.id, source="one-click") is False
    assert subscribers.get_subscriber(store, "ana@example.org").status == "unsubscribed"
    assert subscribers.is_suppressed(store, "ana@example.org")
    assert subscribers.eligible_subscribers(store, "news") == []
    with pytest.raises(Suppressed):
        subscribers.add_subscriber(store, "ana@example.org", lists=["news"])
    assert subscribers.unsubscribe(store, 9999, source="web") is False


def test_only_own_confirmation_reactivates_unsubscribed(store, news):
    sub = subscribers.add_subscriber(store, "ana@example.org", name="Ana", lists=["news"])
    subscribers.unsubscribe(store, sub.id, source="web")
    again = subscribers.request_subscription(
        store, "ana@example.org", name="Ana N.", language="en", lists=["news"], consent_version="v2", source="web", ip=None, user_agent=None
    )
    assert again is not None and subscribers.get_subscriber(store, "ana@example.org").status == "unsubscribed"
    subscribers.confirm_subscription(store, sub.id, ip=None, user_agent=None, consent_version="v2")
    assert [(r.name, r.language) for r in subscribers.eligible_subscribers(store, "news")] == [("Ana N.", "en")]


def test_unsubscribe_one_list(store, news):
    other = lists.create_list(store, "events")
    sub = subscribers.add_subscriber(store, "ana@example.org", lists=["news", "events"])
    assert subscribers.unsubscribe(store, sub.id, source="web", list_id=other.id)
    assert subscribers.subscriber_lists(store, sub.id) == [("events", "unsubscribed"), ("news", "active")]
    assert subscribers.get_subscriber(store, "ana@example.org").status == "active"


def test_hard_bounce_suppresses_soft_does_not(store, news):
    a = subscribers.add_subscriber(store, "ana@example.org", lists=["news"])
    b = subscribers.add_subscriber(store, "bor@example.org", lists=["news"])
    subscribers.mark_bounced(store, a.id, reply="550 5.1.1 unknown", hard=True)
    subscribers.mark_bounced(store, b.id, reply="452 try later", hard=False)
    assert subscribers.is_suppressed(store, "ana@example.org") and not subscribers.is_suppressed(store, "bor@example.org")
    assert [r.email for r in subscribers.eligible_subscribers(store, "news")] == ["bor@example.org"]
    with pytest.raises(Suppressed):  # an old confirmation link does not undo a bounce
        subscribers.confirm_subscription(store, a.id, ip=None, user_agent=None, consent_version="v")
    # The person's own new sign-up, confirmed, is the one way back (e.g. the mailbox was fixed).
    again = subscribers.request_subscription(
        store, "ana@example.org", name=None, language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    assert again is not None and again.status == "bounced"  # nothing changes until confirmed
    assert [r.email for r in subscribers.eligible_subscribers(store, "news")] == ["bor@example.org"]
    subscribers.confirm_subscription(store, a.id, ip=None, user_agent=None, consent_version="v")
    assert not subscribers.is_suppressed(store, "ana@example.org")
    assert sorted(r.email for r in subscribers.eligible_subscribers(store, "news")) == ["ana@example.org", "bor@example.org"]


def test_set_preferences(store, news):
    lists.create_list(store, "events")
    sub = subscribers.add_subscriber(store, "ana@example.org", lists=["news"])
    subscribers.set_preferences(store, sub.id, language="en", list_names=["events"])
    assert subscribers.subscriber_lists(store, sub.id) == [("events", "active"), ("news", "unsubscribed")]
    assert [r.language for r in subscribers.eligible_subscribers(store, "events", language="en")] == ["en"]
    assert subscribers.eligible_subscribers(store, "events", language="sl") == []


def test_purge_pending(store, news):
    old = subscribers.request_subscription(
        store, "old@example.org", name="Old", language="sl", lists=["news"], consent_version="v", source="web", ip="192.0.2.9", user_agent="UA"
    )
    subscribers.add_subscriber(store, "ana@example.org", lists=["news"])
    assert subscribers.purge_pending(store, timedelta(days=30)) == 0
    assert subscribers.purge_pending(store, timedelta(0)) == 1
    with pytest.raises(NotFound):
        subscribers.get_subscriber(store, "old@example.org")
    with store.session() as s:
        leftovers = s.exec(select(Event).where(Event.ip == "192.0.2.9")).all()
    assert leftovers == [] and old is not None
    subscribers.get_subscriber(store, "ana@example.org")


def test_lists_crud(store, news):
    with pytest.raises(StoreError, match="already exists"):
        lists.create_list(store, "news")
    with pytest.raises(InvalidValue):
        lists.create_list(store, "Bad Name")
    subscribers.add_subscriber(store, "ana@example.org", lists=["news"])
    assert [(i.list.name, i.reachable) for i in lists.list_infos(store)] == [("news", 1)]
    lists.delete_list(store, "news")
    with pytest.raises(NotFound):
        lists.get_list(store, "news")
    with store.session() as s:
        assert s.exec(select(Subscription)).all() == []
