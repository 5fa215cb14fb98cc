"""The outgoing-mail queue in the store: queued with the sign-up, throttled, claimed once, erased with the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadex_mail.store import outgoing
from leadex_mail.store.lists import create_list
from leadex_mail.store.outgoing import ConfirmationRequest
from leadex_mail.store.subscribers import forget, purge_pending, request_subscription

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _sign_up(store, email: str, at: datetime = T0, language: str = "sl"):
    return request_subscription(
        store, email, name=None, language="sl", lists=("newsletter",), consent_version="2026-04",
        source="web", ip="192.0.2.1", user_agent="test", confirmation=ConfirmationRequest(language, at),
    )


def _counts(store) -> dict[str, int]:
    return outgoing.queue_summary(store).counts


def test_a_sign_up_queues_one_confirmation_at_most_every_ten_minutes(store) -> None:
    create_list(store, "newsletter")
    sub = _sign_up(store, "ana@example.org", language="en")
    _sign_up(store, "ana@example.org", T0 + timedelta(minutes=1))  # still unsent: nothing more to send
    assert _counts(store) == {"queued": 1, "skipped": 1}
    mail = outgoing.claim(store, "p1", T0, LEASE)
    assert (mail.subscriber_id, mail.language, mail.attempts, mail.reclaimed) == (sub.id, "en", 0, False)
    outgoing.mark_sent(store, mail.id, reply="250 ok", now=T0)
    _sign_up(store, "ana@example.org", T0 + timedelta(minutes=9, seconds=59))  # sent, but within ten minutes
    assert _counts(store) == {"sent": 1, "skipped": 2}
    _sign_up(store, "ana@example.org", T0 + timedelta(minutes=10, seconds=1))  # the skipped ones do not count
    assert _counts(store) == {"sent": 1, "skipped": 2, "queued": 1}
    assert outgoing.claim(store, "p1", T0 + timedelta(minutes=11), LEASE).attempts == 0  # a skipped row is never claimed
    assert outgoing.claim(store, "p1", T0 + timedelta(minutes=11), LEASE) is None


def test_an_unsent_confirmation_blocks_another_however_old(store) -> None:
    create_list(store, "newsletter")
    _sign_up(store, "slow@example.org")
    mail = outgoing.claim(store, "p1", T0, LEASE)
    outgoing.mark_retry(store, mail.id, "p1", next_at=T0 + timedelta(hours=1), reply="421 busy", now=T0)
    _sign_up(store, "slow@example.org", T0 + timedelta(minutes=30))
    assert _counts(store) == {"waiting": 1, "skipped": 1}


def test_a_row_is_claimed_by_one_owner_and_due_again_only_when_its_lease_ends(store) -> None:
    create_list(store, "newsletter")
    for n in range(2):
        _sign_up(store, f"p{n}@example.org", T0 + timedelta(seconds=n))
    first = outgoing.claim(store, "a", T0 + timedelta(seconds=5), LEASE)
    second = outgoing.claim(store, "b", T0 + timedelta(seconds=5), LEASE)
    assert first.id != second.id
    assert outgoing.claim(store, "c", T0 + timedelta(seconds=5), LEASE) is None
    assert outgoing.next_due(store) == T0 + timedelta(seconds=5) + LEASE
    # "a" died mid-send: after its lease the row comes back, marked as possibly sent once.
    again = outgoing.claim(store, "c", T0 + timedelta(seconds=6) + LEASE, LEASE)
    assert again.reclaimed and again.id in (first.id, second.id)
    # An outcome from an owner that lost its lease is not recorded.
    assert not outgoing.mark_retry(store, again.id, "a" if again.id == first.id else "b", next_at=T0, reply="x", now=T0)


def test_a_retry_is_due_at_its_time_and_failed_ones_can_be_queued_again(store) -> None:
    create_list(store, "newsletter")
    _sign_up(store, "later@example.org")
    mail = outgoing.claim(store, "a", T0, LEASE)
    outgoing.mark_retry(store, mail.id, "a", next_at=T0 + timedelta(minutes=1), reply="451 later", now=T0)
    assert outgoing.next_due(store) == T0 + timedelta(minutes=1)
    assert outgoing.claim(store, "a", T0 + timedelta(seconds=59), LEASE) is None
    mail = outgoing.claim(store, "a", T0 + timedelta(minutes=1), LEASE)
    assert mail.attempts == 1
    outgoing.mark_failed(store, mail.id, "a", reply="550 5.1.1 unknown", now=T0)
    [entry] = outgoing.queue_summary(store).attention
    assert (entry.email, entry.state, entry.attempts, entry.last_reply) == ("later@example.org", "failed", 2, "550 5.1.1 unknown")
    assert outgoing.retry_failed(store, T0 + timedelta(hours=1)) == 1
    assert outgoing.claim(store, "a", T0 + timedelta(hours=1), LEASE).attempts == 0


def test_queued_confirmations_go_with_an_erased_or_purged_subscriber(store) -> None:
    create_list(store, "newsletter")
    _sign_up(store, "erase.me@example.org")
    _sign_up(store, "never.confirmed@example.org")
    forget(store, "erase.me@example.org")
    assert _counts(store) == {"queued": 1}
    assert purge_pending(store, timedelta(days=-1)) == 1  # every pending sign-up is "old" now
    assert _counts(store) == {}
    assert outgoing.claim(store, "a", T0 + timedelta(days=1), LEASE) is None
