"""Races between processes on one campaign, with the interleaving forced, on PostgreSQL.

Each test holds a transaction open on a connection of its own (another
process, as far as the database can tell), starts the code under test in a
thread, waits until PostgreSQL reports that thread's backend waiting for a
lock, then lets the held transaction commit: the one interleaving that broke
before, every time. On SQLite ``BEGIN IMMEDIATE`` serialises these
transactions whole, so these interleavings cannot happen there.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text, update

from leadex_mail.store import campaigns, deliveries
from leadex_mail.store.lists import get_list
from leadex_mail.store.models import Campaign, Delivery, Subscription

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])  # see the module's docstring

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)
WAIT = 60.0  # bounds a test that would otherwise hang; reaching it is a failure


def wait_until_blocked(store, thread: threading.Thread) -> None:
    """Return once a backend of this database waits for a lock (the thread's statement), or fail."""
    deadline = time.monotonic() + WAIT
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    while True:
        with store.engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        assert thread.is_alive(), "the thread ended without waiting for the lock"
        assert time.monotonic() < deadline, "the thread never waited for the held lock"
        time.sleep(0.005)  # PostgreSQL has no notification for "a backend now waits on a lock": poll that state, bounded by WAIT


class Run(threading.Thread):
    """``fn()`` in a thread; ``result`` or ``error`` afterwards."""

    def __init__(self, fn) -> None:  # noqa: ANN001
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 (checked by the test)
            self.error = exc

    def outcome(self):  # noqa: ANN201
        self.join(WAIT)
        assert not self.is_alive(), "still blocked"
        if self.error is not None:
            raise self.error
        return self.result


def test_two_processes_opening_one_campaign_both_get_it(store, people) -> None:
    """The other process inserted the campaign first and commits while ours waits on the unique key: ours gets that row."""
    people(3)
    list_id = get_list(store, "newsletter").id
    other = store.engine.connect()
    tx = other.begin()
    values = dict(issue_slug="2026-04-leadex-01", list_id=list_id, content_hash='{"sl": "h"}', subject="S", status="running", created_at=T0, updated_at=T0)
    theirs = other.execute(insert(Campaign.__table__).values(**values)).inserted_primary_key[0]
    ours = Run(lambda: campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h"}, "S", now=T0))
    ours.start()
    try:
        wait_until_blocked(store, ours)
        tx.commit()
    finally:
        other.close()
    assert ours.outcome().id == theirs  # before: IntegrityError on uq_campaign_issue_list
    assert [c.id for c, _ in campaigns.list_campaigns(store)] == [theirs]


def test_the_last_run_to_settle_counts_everyones_final_rows(store, people) -> None:
    """Run A settles while run B's last message is being recorded; B then settles first. The campaign ends done, not running."""
    people(2)
    campaign = campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h", "en": "h"}, "S", now=T0)
    campaigns.queue_eligible(store, campaign, {"sl", "en"}, "sl")
    a, b = deliveries.claim(store, campaign.id, "A", 1, T0, LEASE), deliveries.claim(store, campaign.id, "B", 1, T0, LEASE)
    deliveries.mark_sent(store, a[0].delivery_id, reply="250", message_id="<a@x>", now=T0)  # A is through

    # B is settling: it holds the campaign row (its last outcome committed just before, below).
    b_conn = store.engine.connect()
    b_tx = b_conn.begin()
    b_conn.execute(update(Campaign.__table__).where(Campaign.__table__.c.id == campaign.id).values(updated_at=T0))
    settling_a = Run(lambda: campaigns.settle_status(store, campaign.id, None, now=T0))
    settling_a.start()
    try:
        wait_until_blocked(store, settling_a)  # A is inside settle_status, waiting for B
        deliveries.mark_sent(store, b[0].delivery_id, reply="250", message_id="<b@x>", now=T0)  # B's last outcome
        d = Delivery.__table__
        left = b_conn.execute(select(d.c.id).where(d.c.campaign_id == campaign.id, d.c.state.in_(("queued", "sending", "retry_wait")))).all()
        b_conn.execute(update(Campaign.__table__).where(Campaign.__table__.c.id == campaign.id).values(status="done" if not left else "running"))
        b_tx.commit()
    finally:
        b_conn.close()
    assert settling_a.outcome() == "done"  # before: A had counted B's row as still sending, and wrote "running" last
    assert campaigns.find_campaign(store, "2026-04-leadex-01").status == "done"


def test_a_claim_passes_over_rows_another_claim_holds(store, people) -> None:
    """Another process's claim holds rows (uncommitted): ours takes the others at once, never waiting, never empty."""
    people(10)
    campaign = campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h", "en": "h"}, "S", now=T0)
    campaigns.queue_eligible(store, campaign, {"sl", "en"}, "sl")
    other = deliveries.open_deliveries(store)
    d = Delivery.__table__
    with other.conn.begin():
        held = other.conn.execute(select(d.c.id).where(d.c.campaign_id == campaign.id).order_by(d.c.id).limit(4).with_for_update()).scalars().all()
        mine = deliveries.claim(store, campaign.id, "me", 100, T0, LEASE)  # runs while the rows are locked
    other.close()
    assert len(held) == 4 and sorted(c.delivery_id for c in mine) == sorted(set(range(min(held), min(held) + 10)) - set(held))
    left = campaigns.pending(store, campaign.id, "me", now=T0)
    assert left.claimable == 4  # the held rows are still there to claim: a worker goes on, it does not stop


def test_two_campaigns_of_one_issue_queued_at_once_take_someone_on_both_lists_once(store, people) -> None:
    """Another process queues the issue to "newsletter" (uncommitted) while ours queues it to "partners": ours waits, then leaves the overlap out."""
    from campaign_helpers import add_people

    ids = people(4)
    add_people(store, 2, list_name="partners", start=100)
    partners_id = get_list(store, "partners").id
    with store.begin() as conn:
        conn.execute(insert(Subscription.__table__), [{"subscriber_id": i, "list_id": partners_id, "status": "active"} for i in ids[:3]])
    newsletter = campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h"}, "S", now=T0)
    partners = campaigns.open_campaign(store, "2026-04-leadex-01", "partners", {"sl": "h"}, "S", now=T0)
    other = store.engine.connect()
    tx = other.begin()
    assert campaigns.queue_eligible(store, newsletter, {"sl", "en"}, "sl", conn=other) == 4  # as another process would, not committed yet
    ours = Run(lambda: campaigns.queue_eligible(store, partners, {"sl", "en"}, "sl"))
    ours.start()
    try:
        wait_until_blocked(store, ours)  # before: no lock, ours inserted the overlap at once (it could not see the uncommitted rows)
        tx.commit()
    finally:
        other.close()
    assert ours.outcome() == 2
    d = Delivery.__table__
    with store.begin(write=False) as conn:
        per_person = conn.execute(select(d.c.subscriber_id, func.count()).group_by(d.c.subscriber_id)).all()
    assert len(per_person) == 6 and {n for _, n in per_person} == {1}
