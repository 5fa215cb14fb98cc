"""Campaign and delivery persistence against a real SQLite file."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from campaign_helpers import email_of
from sqlalchemy import select, update

from leadex_mail.errors import CampaignError, NotFound
from leadex_mail.store import campaigns, deliveries, deliveries_db, senders
from leadex_mail.store.models import Delivery, Subscriber

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)


def rows_of(store, campaign_id):
    with store.begin(write=False) as conn:
        return {r.subscriber_id: r for r in conn.execute(select(Delivery.__table__).where(Delivery.__table__.c.campaign_id == campaign_id))}


@pytest.fixture
def campaign(store, people):
    ids = people(10)
    c = campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1", "en": "h2"}, "Subject", now=T0)
    campaigns.queue_deliveries(store, c, [(i, "sl" if i % 2 else "en") for i in ids])
    return c


def test_open_campaign_is_unique_per_issue_and_list(store, campaign, people) -> None:
    again = campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1", "en": "h2"}, "Subject")
    assert again.id == campaign.id
    people(1, list_name="partners", start=100)
    other = campaigns.open_campaign(store, "2026-04-leadex-01", "partners", {"sl": "h1"}, "Subject")
    assert other.id != campaign.id
    with pytest.raises(CampaignError, match="several lists"):
        campaigns.find_campaign(store, "2026-04-leadex-01")
    assert campaigns.find_campaign(store, "2026-04-leadex-01", "partners").id == other.id
    with pytest.raises(NotFound) as err:
        campaigns.open_campaign(store, "2026-04-leadex-01", "nosuchlist", {}, "S")
    assert "lists create nosuchlist" in (err.value.hint or "")


def test_queueing_twice_adds_nothing(store, campaign, people) -> None:
    rows = rows_of(store, campaign.id)
    assert len(rows) == 10 and {r.state for r in rows.values()} == {"queued"}
    added = campaigns.queue_deliveries(store, campaign, [(sid, "sl") for sid in rows])
    assert added == 0 and len(rows_of(store, campaign.id)) == 10
    new = people(2, start=50)
    assert campaigns.queue_deliveries(store, campaign, [(sid, "sl") for sid in [*rows, *new]]) == 2


def test_content_change_refused_only_after_something_was_sent(store, campaign) -> None:
    # Nothing sent yet: the new hash is simply taken.
    campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1-edited", "en": "h2"}, "Subject")
    batch = deliveries.claim(store, campaign.id, "w", 1, T0, LEASE, language="sl")
    deliveries.mark_sent(store, batch[0].delivery_id, reply="250 ok", message_id="<m@x>", now=T0)
    with pytest.raises(CampaignError) as err:
        campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1-changed-again", "en": "h2"}, "Subject")
    assert "sl edition" in err.value.message and "new issue" in (err.value.hint or "")
    # The other language's edition may still change: none of it went out.
    campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1-edited", "en": "h2-edited"}, "Subject")


def test_claim_leases_rows_and_never_hands_one_out_twice(store, campaign) -> None:
    first = deliveries.claim(store, campaign.id, "a", 4, T0, LEASE)
    second = deliveries.claim(store, campaign.id, "b", 100, T0, LEASE)
    assert len(first) == 4 and len(second) == 6
    assert not {c.delivery_id for c in first} & {c.delivery_id for c in second}
    assert deliveries.claim(store, campaign.id, "c", 100, T0, LEASE) == []
    rows = rows_of(store, campaign.id)
    # Claimed is leased, not started: nothing was handed to a server yet.
    assert {(r.state, r.lease_owner) for r in rows.values()} == {("queued", "a"), ("queued", "b")}
    assert all(c.email and c.eligible and not c.uncertain and not c.reclaimed for c in first + second)


def test_expired_lease_is_reclaimed_and_only_the_started_row_is_uncertain(store, campaign) -> None:
    """A sender that died (on any host) with a claim of 3, the first handed to the server: only that one may have arrived (a11 #2)."""
    lost = deliveries.claim(store, campaign.id, "dead", 3, T0, LEASE)
    with deliveries.open_deliveries(store) as rec:
        assert rec.start(lost[0].delivery_id, "dead", T0, LEASE)
    assert deliveries.claim(store, campaign.id, "x", 100, T0 + LEASE - timedelta(seconds=1), LEASE)  # the other 7
    again = deliveries.claim(store, campaign.id, "alive", 100, T0 + LEASE + timedelta(seconds=1), LEASE)
    assert sorted(c.delivery_id for c in again) == sorted(c.delivery_id for c in lost)
    assert [c.delivery_id for c in again if c.uncertain] == [c.delivery_id for c in again if c.reclaimed] == [lost[0].delivery_id]


def test_a_start_after_another_sender_took_the_row_fails(store, campaign) -> None:
    """A slow sender whose lease ran out must not send what another sender claimed since (it may have sent it)."""
    [slow] = deliveries.claim(store, campaign.id, "slow", 1, T0, LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    taken = deliveries.claim(store, campaign.id, "other", 100, later, LEASE)
    assert slow.delivery_id in {c.delivery_id for c in taken} and not any(c.uncertain for c in taken)
    with deliveries.open_deliveries(store) as rec:
        assert not rec.start(slow.delivery_id, "slow", later, LEASE)
        assert rec.start(slow.delivery_id, "other", later, LEASE)


def test_dead_local_owner_leases_are_expired_at_once(store, campaign) -> None:
    import socket

    dead_owner = f"{socket.gethostname()}:999999999:abcd/0"  # no such pid
    remote_owner = "another-host:1:abcd/0"
    lost = deliveries.claim(store, campaign.id, dead_owner, 3, T0, LEASE)
    with deliveries.open_deliveries(store) as rec:
        assert rec.start(lost[0].delivery_id, dead_owner, T0, LEASE)  # in hand when it died
    deliveries.claim(store, campaign.id, remote_owner, 2, T0, LEASE)
    assert senders.expire_dead_leases(store, campaign.id, T0, in_flight_only=True) == 3
    assert senders.expire_dead_leases(store, campaign.id, T0) == 0  # nothing of it left
    again = deliveries.claim(store, campaign.id, "me", 100, T0, LEASE)
    # The remote host's 2 stay leased. Of the dead worker's 3, only the first
    # (the one it may have been sending) comes back uncertain.
    assert len(again) == 8
    assert [c.delivery_id for c in again if c.uncertain] == [min(c.delivery_id for c in lost)]


def test_retry_wait_is_due_only_at_its_time(store, campaign) -> None:
    [c] = deliveries.claim(store, campaign.id, "w", 1, T0, LEASE)
    deliveries.mark_retry(store, c.delivery_id, "w", next_at=T0 + timedelta(minutes=1), reply="451 later", now=T0)
    deliveries.claim(store, campaign.id, "w", 100, T0, LEASE)  # the other 9
    assert deliveries.claim(store, campaign.id, "w", 1, T0 + timedelta(seconds=59), LEASE) == []
    left = campaigns.pending(store, campaign.id, "w", now=T0 + timedelta(seconds=59))
    assert left.waiting_retries == 1 and left.next_due == T0 + timedelta(minutes=1) and left.claimable == 0
    assert campaigns.pending(store, campaign.id, "w", now=T0 + timedelta(minutes=1)).claimable == 1
    [again] = deliveries.claim(store, campaign.id, "w", 1, T0 + timedelta(minutes=1), LEASE)
    assert again.delivery_id == c.delivery_id and again.attempts == 1 and not again.uncertain


def test_outcomes_are_recorded(store, campaign) -> None:
    a, b, c, d = deliveries.claim(store, campaign.id, "w", 4, T0, LEASE)
    deliveries.mark_sent(store, a.delivery_id, reply="250 2.0.0 Ok", message_id="<a@x>", now=T0)
    deliveries.mark_failed(store, b.delivery_id, "w", kind="permanent", reply="550 5.1.1 no such user", now=T0)
    deliveries.mark_failed(store, c.delivery_id, "w", kind="temporary", reply="451 4.3.0 later", now=T0)
    deliveries.mark_skipped(store, [d.delivery_id], "w", now=T0)
    rows = {r.id: r for r in rows_of(store, campaign.id).values()}
    assert (rows[a.delivery_id].state, rows[a.delivery_id].attempts, rows[a.delivery_id].message_id) == ("sent", 1, "<a@x>")
    assert rows[a.delivery_id].sent_at == T0 and rows[a.delivery_id].lease_owner is None
    assert (rows[b.delivery_id].state, rows[b.delivery_id].error_kind) == ("failed", "permanent")
    assert (rows[d.delivery_id].state, rows[d.delivery_id].error_kind) == ("skipped", "suppressed")
    counts = campaigns.state_counts(store, campaign.id)
    assert counts["sent"] == 1 and counts["failed"] == 2 and counts["skipped"] == 1 and counts["sending"] == 0 and counts["queued"] == 6
    reasons = {f.reply for f in campaigns.failures(store, campaign.id)}
    assert "550 5.1.1 no such user" in reasons and "451 4.3.0 later" in reasons
    assert campaigns.requeue_failed(store, campaign) == 1
    assert rows_of(store, campaign.id)[c.subscriber_id].state == "queued"
    assert campaigns.sent_since(store, T0 - timedelta(minutes=1)) == 1


def test_release_gives_unattempted_rows_back(store, campaign) -> None:
    batch = deliveries.claim(store, campaign.id, "w", 5, T0, LEASE)
    deliveries.release(store, "someone-else", [c.delivery_id for c in batch], T0)  # not theirs: no effect
    assert {r.lease_owner for r in rows_of(store, campaign.id).values()} == {"w", None}
    deliveries.release(store, "w", [c.delivery_id for c in batch], T0)
    assert campaigns.state_counts(store, campaign.id)["queued"] == 10
    assert {(r.lease_owner, r.lease_expires_at) for r in rows_of(store, campaign.id).values()} == {(None, None)}


def test_claim_rereads_subscriber_status(store, campaign) -> None:
    with store.begin() as conn:
        victims = list(conn.execute(select(Subscriber.__table__.c.id).limit(3)).scalars())
        conn.execute(update(Subscriber.__table__).where(Subscriber.__table__.c.id.in_(victims)).values(status="unsubscribed"))
    batch = deliveries.claim(store, campaign.id, "w", 100, T0, LEASE)
    assert {c.subscriber_id for c in batch if not c.eligible} == set(victims)


def test_concurrent_claims_from_threads_are_disjoint(store, people) -> None:
    ids = people(300, start=1000)
    c = campaigns.open_campaign(store, "x", "newsletter", {"sl": "h"}, "S")
    campaigns.queue_deliveries(store, c, [(i, "sl") for i in ids])
    got: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        mine = got.setdefault(name, [])
        while batch := deliveries.claim(store, c.id, name, 7, T0, LEASE):
            mine.extend(b.delivery_id for b in batch)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [d for v in got.values() for d in v]
    assert len(claimed) == 300 and len(set(claimed)) == 300


def test_queue_eligible_follows_the_stores_eligibility_rule(store, people) -> None:
    from leadex_mail.store.lists import create_list, get_list
    from leadex_mail.store.subscribers import add_subscriber, eligible_subscribers, forget, mark_bounced, unsubscribe

    ids = people(12, start=200)
    create_list(store, "partners")
    add_subscriber(store, "pending@example.org", language="en", lists=("newsletter",), status="pending")
    add_subscriber(store, "other-list@example.org", language="en", lists=("partners",))
    add_subscriber(store, "german@example.org", language="de", lists=("newsletter",))
    unsubscribe(store, ids[0], source="web")
    unsubscribe(store, ids[1], source="web", list_id=get_list(store, "newsletter").id)
    mark_bounced(store, ids[2], reply="550 5.1.1 unknown", hard=True)
    forget(store, email_of(203))
    campaign = campaigns.open_campaign(store, "x", "newsletter", {"sl": "h", "en": "h"}, "S")
    assert campaigns.queue_eligible(store, campaign, {"sl", "en"}, "sl") == 9
    assert campaigns.queue_eligible(store, campaign, {"sl", "en"}, "sl") == 0  # resuming adds nothing
    rows = rows_of(store, campaign.id)
    expected = {r.id: r.language for r in eligible_subscribers(store, "newsletter")}
    assert set(rows) == set(expected)
    german = next(r.id for r in eligible_subscribers(store, "newsletter") if r.language == "de")
    assert rows[german].language == "sl"  # no German edition: the default one
    assert all(rows[sid].language == lang for sid, lang in expected.items() if lang != "de")
    # The plan's count agrees, and shrinks as deliveries finish.
    list_id = get_list(store, "newsletter").id
    assert sum(campaigns.todo_by_language(store, list_id, campaign.id).values()) == 9
    batch = deliveries.claim(store, campaign.id, "w", 2, T0, LEASE)
    for c in batch:
        deliveries.mark_sent(store, c.delivery_id, reply="250", message_id="<m@x>", now=T0)
    assert campaigns.todo_by_language(store, list_id, campaign.id) == {"sl": 3, "en": 3, "de": 1}


def test_driver_fast_path_stores_what_sqlalchemy_would(store, campaign, backend) -> None:
    """SqliteDeliveries.sent and PostgresDeliveries.sent bypass SQLAlchemy: the stored values must equal the generic path's."""
    from sqlalchemy import text

    moment = datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)
    a, b = deliveries.claim(store, campaign.id, "w", 2, T0, LEASE)
    with deliveries.open_deliveries(store) as fast, deliveries.Deliveries(store) as generic:
        assert isinstance(fast, deliveries_db.SqliteDeliveries if backend == "sqlite" else deliveries_db.PostgresDeliveries)
        fast.sent(a.delivery_id, reply="250 fast", message_id="<a@x>", now=moment)
        generic.sent(b.delivery_id, reply="250 generic", message_id="<b@x>", now=moment)
    as_text = "sent_at || '|' || updated_at" if backend == "sqlite" else "sent_at::text || '|' || updated_at::text"
    with store.begin(write=False) as conn:  # the stored text, as another connection reads it once committed
        query = text(f"SELECT id, {as_text} || '|' || state || attempts FROM delivery WHERE id IN (:a, :b)")
        raw = dict(conn.execute(query, {"a": a.delivery_id, "b": b.delivery_id}).all())
    assert raw[a.delivery_id] == raw[b.delivery_id]
    rows = {r.id: r for r in rows_of(store, campaign.id).values()}
    assert rows[a.delivery_id].sent_at == moment and rows[a.delivery_id].lease_owner is None
    assert (rows[a.delivery_id].last_reply, rows[a.delivery_id].message_id) == ("250 fast", "<a@x>")


def test_a_deferred_sent_is_written_with_the_next_start_and_a_crash_before_leaves_it_uncertain(store, campaign, backend) -> None:
    """``sent(defer=True)`` waits for the worker's next start (one statement on PostgreSQL, one transaction on SQLite).

    Meanwhile the row stays ``sending`` under the worker's lease, so a worker that dies
    there leaves it exactly as one that died before recording at all: taken back uncertain
    (``test_expired_lease_is_reclaimed_and_only_the_started_row_is_uncertain``; the kill -9 runs of test_crash.py).
    """
    a, b, c = deliveries.claim(store, campaign.id, "w/0", 3, T0, LEASE)
    moment = T0 + timedelta(seconds=2)
    rec = deliveries.open_deliveries(store)
    assert rec.start(a.delivery_id, "w/0", T0, LEASE)
    rec.sent(a.delivery_id, reply="250 a", message_id="<a@x>", now=moment, defer=True)
    state = {r.id: r for r in rows_of(store, campaign.id).values()}
    assert state[a.delivery_id].state == "sending"  # not yet written
    assert rec.start(b.delivery_id, "w/0", moment, LEASE)
    state = {r.id: r for r in rows_of(store, campaign.id).values()}
    assert (state[a.delivery_id].state, state[a.delivery_id].sent_at, state[a.delivery_id].lease_owner) == ("sent", moment, None)
    assert (state[a.delivery_id].last_reply, state[a.delivery_id].message_id) == ("250 a", "<a@x>")
    assert state[b.delivery_id].state == "sending" and state[b.delivery_id].lease_owner == "w/0"

    # Any other call writes it first: here the release of the unattempted row (c).
    rec.sent(b.delivery_id, reply="250 b", message_id="<b@x>", now=moment, defer=True)
    rec.release("w/0", [c.delivery_id], moment)
    state = {r.id: r for r in rows_of(store, campaign.id).values()}
    assert state[b.delivery_id].state == "sent" and state[c.delivery_id].state == "queued"

    # close() writes what is left.
    again = deliveries.claim(store, campaign.id, "w/0", 1, moment, LEASE)
    assert rec.start(again[0].delivery_id, "w/0", moment, LEASE)
    rec.sent(again[0].delivery_id, reply="250 c", message_id="<c@x>", now=moment, defer=True)
    rec.close()
    assert {r.id: r for r in rows_of(store, campaign.id).values()}[again[0].delivery_id].state == "sent"


def test_a_worker_looks_for_expired_leases_less_often_but_never_misses_one(store, campaign) -> None:
    """An expired lease is looked for first at most every few seconds; at once when the queue runs short, so none is left behind."""
    lost = deliveries.claim(store, campaign.id, "dead/0", 1, T0, LEASE) + deliveries.claim(store, campaign.id, "dead/1", 1, T0, LEASE)
    with deliveries.open_deliveries(store) as rec:  # both workers had their message in hand
        assert all(rec.start(c.delivery_id, f"dead/{i}", T0, LEASE) for i, c in enumerate(lost))
    later = T0 + LEASE + timedelta(seconds=1)  # "dead"'s leases have run out
    with deliveries.open_deliveries(store) as worker:
        assert len(worker.claim(campaign.id, "w", 3, later - timedelta(seconds=1), LEASE)) == 3  # looked: none expired yet
        # A second later the queue fills the claim: the expired rows wait for the next look...
        assert not any(c.reclaimed for c in worker.claim(campaign.id, "w", 3, later, LEASE))
        # ...which comes once the other rows run short (2 queued left, 6 wanted).
        short = worker.claim(campaign.id, "w", 6, later, LEASE)
        assert sorted(c.delivery_id for c in short if c.reclaimed) == sorted(c.delivery_id for c in lost)
        assert len(short) == 4 and all(c.uncertain for c in short if c.reclaimed)
    # A worker that has not looked lately takes them first (test_expired_lease_is_reclaimed_as_uncertain).


def test_regional_language_tags_get_their_languages_edition(store, people) -> None:
    # RFC 4647 lookup: en-GB (as imports now store it) gets the en edition, not the default.
    from leadex_mail.campaign.runner import edition_language
    from leadex_mail.store.subscribers import add_subscriber, get_subscriber

    people(1, start=300)  # creates the list
    for email, language in (("gb@example.org", "en-GB"), ("us@example.org", "en-US"), ("me@example.org", "sr-Latn-ME"), ("sl@example.org", "sl")):
        add_subscriber(store, email, language=language, lists=("newsletter",))
    campaign = campaigns.open_campaign(store, "x", "newsletter", {"sl": "h", "en": "h"}, "S")
    assert campaigns.queue_eligible(store, campaign, {"sl", "en"}, "sl") == 5
    rows = rows_of(store, campaign.id)
    got = {email: rows[get_subscriber(store, email).id].language for email in ("gb@example.org", "us@example.org", "me@example.org", "sl@example.org")}
    assert got == {"gb@example.org": "en", "us@example.org": "en", "me@example.org": "sl", "sl@example.org": "sl"}

    class _Issue:
        editions = {"sl": None, "en": None}
        default_language = "sl"

    assert [edition_language(_Issue(), lang) for lang in ("en-GB", "EN", "de", "sl")] == ["en", "en", "sl", "sl"]  # type: ignore[arg-type]
