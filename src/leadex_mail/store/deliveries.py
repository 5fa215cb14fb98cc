"""The delivery side of the campaign store: claiming under leases, recording each outcome durably.

A worker *claims* a batch of due rows in one short write transaction: it
puts its lease (owner + expiry) on them and leaves their state alone, so a
claimed row is still ``queued`` (or ``retry_wait``) and nobody else takes it
while the lease runs. Right before it hands one message to the SMTP server,
it *starts* that row: ``sending``, under its lease, committed before the
first byte goes out (``Deliveries.start``; it fails, and the message is not
sent, when the lease ran out and another sender took the row meanwhile).
So the only rows a dead sender leaves ``sending`` are the messages it had
in hand, at most one per worker: those come back marked ``uncertain`` (the
server may have them); the rest of its batch comes back as it was, plain
queued, once its lease ends (or at once, for a dead process of this host:
``senders.expire_dead_leases``). The claiming UPDATE repeats the "still due"
condition and RETURNs the rows it changed, so two processes can never both
claim a row (SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL
re-checks the WHERE clause of a row another transaction updated).

Every outcome is its own transaction, committed before the worker sends its
next message. That is the hot path of sending, so each worker holds a
``Deliveries`` (``open_deliveries(store)``): one connection of its own and
statements built once, with bound parameters (building and caching a fresh
UPDATE per message cost ~2 ms here, executing a prepared one ~0.2 ms). What
must differ per database lives in its subclass (``deliveries_db``):
``SqliteDeliveries`` records "start" and "sent" on the driver's connection
(``driver``) and queues this process's writers on ``Store.write_lock``;
``PostgresDeliveries`` commits them asynchronously.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import Boolean, and_, bindparam, case, not_, or_, select, update
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.sql import Executable

from leadex_mail.store import driver
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, Delivery, Subscriber, Subscription, UTCDateTime

_D = Delivery.__table__
_C = Campaign.__table__
SKIPPED_REPLY = "not sent: the address is no longer subscribed"

@dataclass(frozen=True)
class Claimed:
    """One delivery claimed by a worker, with what is needed to send it.

    ``eligible`` is the subscriber's status re-read in the claim transaction:
    False when they unsubscribed, bounced, complained or were erased since
    queueing; such a delivery is skipped, never sent.
    """

    delivery_id: int
    subscriber_id: int | None
    language: str
    attempts: int
    uncertain: bool
    email: str | None
    name: str | None
    eligible: bool
    link_nonce: str | None = None  # the subscriber row's, for the signed links (None: erased)
    reclaimed: bool = False  # taken over from a send that stopped mid-message (crash): it may have arrived


def new_owner(worker: int = 0) -> str:
    """The lease owner name of one worker thread: ``host:pid:random/worker``.

    Host and pid let a restarted process on the same host see that an owner
    died; the random part tells apart processes that reused a pid.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}/{worker}"


def owner_prefix(store: Store) -> str:
    """The lease owner name of this process's workers on ``store`` (``host:pid:random[~run]``; add ``/worker``).

    On PostgreSQL it also names the server's run (``~`` and ``server_started``):
    "start" and "sent" records are committed asynchronously there, and only
    the server's crash recovery can lose some. ``senders.expire_dead_leases``
    and the claim see from it whether that happened since the owner claimed.
    """
    prefix = new_owner().split("/")[0]
    started = server_started(store)
    return f"{prefix}~{started}" if started is not None else prefix


# The server's run, kept in an UNLOGGED table: PostgreSQL empties those in every crash
# recovery -- after its own crash, an immediate stop, a failover, and also after any one
# backend died (the postmaster then restarts them all and replays the WAL, losing the
# asynchronous commits not yet written, while pg_postmaster_start_time() stays the same:
# finding a11c #1). A clean restart keeps the table, and loses nothing.
_RUN_READ = "SELECT token FROM leadex_server_run WHERE id = 1"
_RUN_MAKE = (
    "SELECT pg_advisory_xact_lock(4735211)",  # one creator at a time (CREATE ... IF NOT EXISTS races otherwise)
    "CREATE UNLOGGED TABLE IF NOT EXISTS leadex_server_run (id integer PRIMARY KEY, token bigint NOT NULL)",
    "INSERT INTO leadex_server_run (id, token) VALUES (1, (random() * 9e15)::bigint + 1) ON CONFLICT (id) DO NOTHING",
)


def server_started(store: Store) -> int | None:
    """A number naming the database server's current run: it changes whenever asynchronous commits may have been lost.

    PostgreSQL only (None: SQLite, no server). It changes with every crash
    recovery of the server (see ``_RUN_MAKE``), not with a clean restart.
    Raises ``StoreError`` when the server cannot be reached.
    """
    if store.engine.dialect.name != "postgresql":
        return None
    with store.errors():
        with store.engine.connect() as conn:
            try:
                with conn.begin():
                    token = conn.exec_driver_sql(_RUN_READ).scalar()
            except ProgrammingError:  # no table yet (a new database), or emptied: made below
                token = None
            if token is None:
                with conn.begin():
                    for sql in _RUN_MAKE:
                        conn.exec_driver_sql(sql)
                    token = conn.exec_driver_sql(_RUN_READ).scalar_one()
    return int(token)


# --- statements, built once ----------------------------------------------------

_NOW = bindparam("p_now", type_=UTCDateTime())
_ID = _D.c.id == bindparam("p_id")
_MINE = _D.c.lease_owner == bindparam("p_owner")
_IDS = _D.c.id.in_(bindparam("p_ids", expanding=True))
_FREE = {"lease_owner": None, "lease_expires_at": None}
_UNFINISHED = ("queued", "sending", "retry_wait")


def _free():  # noqa: ANN202 (a SQL expression)
    """No lease on the row, or one that ran out at ``p_now`` (its claimer died or took too long)."""
    return or_(_D.c.lease_expires_at.is_(None), _D.c.lease_expires_at < _NOW)


def _due():  # noqa: ANN202 (a SQL expression)
    """A row that may be claimed at ``p_now`` (repeated in the claiming UPDATE)."""
    return or_(
        and_(_D.c.state == "queued", _free()),
        and_(_D.c.state == "retry_wait", _D.c.next_attempt_at <= _NOW, _free()),
        and_(_D.c.state == "sending", _D.c.lease_expires_at < _NOW),
    )


# Due rows in three index range scans on (campaign_id, state, next_attempt_at)
# rather than one OR, so a claim stays cheap with 100 000 queued rows: crashed
# sends first, then due retries, then the queue (rows other workers have
# claimed are still "queued": the scan passes over their live leases).
# The first scan is the dear one (every row that went through "sending",
# live or a dead version, is read to compare its lease; 3 ms of the server per
# claim near the end of 20 000 on PostgreSQL) and the rarest to find anything:
# a lease runs out only ``send_lease_seconds`` after its claim. So a worker
# whose last look found no expired lease looks again only after
# ``_EXPIRED_RECHECK`` (a tenth of the lease at most), or at once when the
# other two come back short: an expired row is taken a few seconds later at worst.
_EXPIRED_RECHECK = timedelta(seconds=5)
_KINDS = (
    and_(_D.c.state == "sending", _D.c.lease_expires_at < _NOW),
    and_(_D.c.state == "retry_wait", _D.c.next_attempt_at <= _NOW, _free()),
    and_(_D.c.state == "queued", _free()),
)


@functools.cache
def _candidates(kind: int, by_language: bool, skip_locked: bool = False) -> Executable:
    # In the index's order: with LIMIT, a walk of the index is then the
    # cheapest plan whatever the statistics say. Without it PostgreSQL, once
    # ANALYZE saw a campaign mostly queued, read the table from its start at
    # every claim, past every row already sent (O(recipients) per claim).
    query = (
        select(_D.c.id).where(_D.c.campaign_id == bindparam("p_campaign"), _KINDS[kind])
        .order_by(_D.c.next_attempt_at).limit(bindparam("p_n"))
    )
    if by_language:
        query = query.where(_D.c.language == bindparam("p_lang"))
    # PostgreSQL: lock the rows picked, passing over those another claim holds
    # right now, so concurrent claims never wait for each other nor come back
    # empty while rows are queued.
    return query.with_for_update(skip_locked=True) if skip_locked else query


# A lease taken on an earlier run of the PostgreSQL server (``owner_prefix``
# names the run; ``p_run`` matches this one's owners, "%" on SQLite): a crash
# of the server may have lost that owner's asynchronous "start" and "sent".
_EARLIER_RUN = and_(_D.c.lease_owner.like("%~%"), not_(_D.c.lease_owner.like(bindparam("p_run"))))
_CLAIM = (  # the lease only: the state says what happened to the row, and nothing has yet
    update(_D)
    .where(_IDS, _due())
    .values(
        lease_owner=bindparam("p_owner"),
        lease_expires_at=bindparam("p_until", type_=UTCDateTime()),
        state=case((_EARLIER_RUN, "sending"), else_=_D.c.state),
        uncertain=case((or_(_D.c.state == "sending", _EARLIER_RUN), True), else_=_D.c.uncertain),
        updated_at=_NOW,
    )
    .returning(_D.c.id, _D.c.subscriber_id, _D.c.language, _D.c.attempts, _D.c.uncertain, _D.c.state)
)
# Right before the message goes to the server: still ours (our lease, or ours
# when it ran out and nobody took it), now "sending" for a whole lease.
_START = update(_D).where(_ID, _MINE).values(state="sending", lease_expires_at=bindparam("p_until", type_=UTCDateTime()), updated_at=_NOW)
_START_SQLITE = "UPDATE delivery SET state = 'sending', lease_expires_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ?"
_S, _SUB = Subscriber.__table__, Subscription.__table__
# The subscription's status as a subquery per person (its primary key, one
# probe each), not an outer join: without statistics on the tables (a
# database just loaded or copied, before autovacuum's first ANALYZE) PostgreSQL
# planned the join as a hash of the whole list's subscriptions at every claim,
# 10 ms with 20 000 people and growing with the list (0.2 ms of the server
# per message; measured with bench/pg_record_bench.py --real). The probe plan
# costs the same 0.2 ms per claim with or without statistics.
_SUB_STATUS = (
    select(_SUB.c.status)
    .where(_SUB.c.subscriber_id == _S.c.id, _SUB.c.list_id == select(_C.c.list_id).where(_C.c.id == bindparam("p_campaign")).scalar_subquery())
    .scalar_subquery()
)
_RECIPIENTS = (
    select(_S.c.id, _S.c.email, _S.c.name, _S.c.status, _SUB_STATUS.label("sub_status"), _S.c.link_nonce)
    .where(_S.c.id.in_(bindparam("p_ids", expanding=True)))
)
_SENT = update(_D).where(_ID).values(
    state="sent", attempts=_D.c.attempts + 1, last_reply=bindparam("p_reply"), message_id=bindparam("p_mid"),
    error_kind=None, sent_at=_NOW, updated_at=_NOW, **_FREE,
)
_SENT_SQLITE = (  # _SENT, written out for the SQLite fast path in SqliteDeliveries.sent
    "UPDATE delivery SET state = 'sent', attempts = attempts + 1, last_reply = ?, message_id = ?, error_kind = NULL,"
    " sent_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?"
)
# Once uncertain, always uncertain: the flag says the person may have the message twice.
_UNCERTAIN = or_(_D.c.uncertain, bindparam("p_uncertain", type_=Boolean()))
_RETRY = update(_D).where(_ID, _MINE).values(
    state="retry_wait", attempts=_D.c.attempts + 1, next_attempt_at=bindparam("p_next", type_=UTCDateTime()),
    last_reply=bindparam("p_reply"), error_kind="temporary", uncertain=_UNCERTAIN, updated_at=_NOW, **_FREE,
)
_FAILED = update(_D).where(_ID, _MINE).values(
    state="failed", attempts=_D.c.attempts + 1, last_reply=bindparam("p_reply"), error_kind=bindparam("p_kind"),
    uncertain=_UNCERTAIN, updated_at=_NOW, **_FREE,
)
_SKIPPED = update(_D).where(_IDS, _MINE).values(state="skipped", error_kind="suppressed", last_reply=SKIPPED_REPLY, updated_at=_NOW, **_FREE)
# Giving back: a claimed row never started is free again as it was; a row
# taken over from a dead sender (``sending``, uncertain) stays "sending" under
# a lease that has run out, so whoever takes it next knows it may have arrived.
_RELEASE = update(_D).where(_IDS, _MINE).values(
    lease_owner=case((_D.c.state == "sending", _D.c.lease_owner), else_=None),
    lease_expires_at=case((_D.c.state == "sending", bindparam("p_expired", type_=UTCDateTime())), else_=None),
    updated_at=_NOW,
)


def open_deliveries(store: Store) -> Deliveries:
    """One worker's ``Deliveries`` on ``store``, of the kind its database needs; the caller closes it."""
    from leadex_mail.store import deliveries_db  # the subclasses import this module

    if store.is_sqlite:
        return deliveries_db.SqliteDeliveries(store)
    if store.engine.dialect.name == "postgresql":
        return deliveries_db.PostgresDeliveries(store)
    return Deliveries(store)


class Deliveries:
    """One worker's connection to the store: claims and outcomes, one short transaction each.

    Portable SQLAlchemy Core; not shared between threads. Every write also
    holds ``Store.serialised()``, so on SQLite this process's workers queue in
    Python, not in SQLite's busy handler.
    """

    skip_locked = False  # claim with FOR UPDATE SKIP LOCKED (PostgreSQL)
    server_run = "%"  # LIKE pattern of lease owners of the database server's current run (PostgreSQL: ``owner_prefix``)
    _deferred: tuple[int, str, str, datetime] | None = None  # a "sent" to write with the next "start" (``sent(defer=True)``)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = store.serialised()
        self._none_expired_at: datetime | None = None  # when this worker last looked for expired leases and found none
        # A write connection: on SQLite its transactions begin with BEGIN
        # IMMEDIATE, so a claim that reads and then writes waits for the lock
        # instead of failing half-way.
        with store.errors():
            self.conn = store.connect(write=True)

    def __enter__(self) -> Deliveries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Write a deferred "sent", then return the connection to the pool (also when that write fails)."""
        try:
            self.flush()
        finally:
            self.conn.close()

    def flush(self) -> None:
        """Write the "sent" that ``sent(defer=True)`` kept back, if any. Every other call does this first."""
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            self._record_sent(*deferred)

    def _write(self, stmt: Executable, params: dict[str, Any]) -> int:
        with self.store.errors():
            self.store.check_file()
            with self.lock, self.conn.begin():
                count = self.conn.execute(stmt, params).rowcount
            self.store.check_file()  # committed into the file everyone sees, not one deleted or replaced meanwhile
            return count

    def claim(self, campaign_id: int, owner: str, n: int, now: datetime, lease: timedelta, *, language: str | None = None) -> list[Claimed]:
        """Atomically put ``owner``'s lease on up to ``n`` due deliveries; return them in id order.

        Their state is left as it was (``start`` moves each to ``sending``
        right before it goes out). Rows found ``sending`` under an expired
        lease were in a dead sender's hands: they come back ``reclaimed``
        and ``uncertain``. The subscriber's current status is re-read in the
        same transaction.
        """
        self.flush()
        params: dict[str, Any] = {"p_campaign": campaign_id, "p_now": now, "p_lang": language}
        with self.store.errors():
            self.store.check_file()
            with self.lock, self.conn.begin():
                ids: list[int] = []
                for kind in self._kinds_in_order(now, lease):
                    if len(ids) < n:
                        query = _candidates(kind, language is not None, self.skip_locked)
                        found = list(self.conn.execute(query, {**params, "p_n": n - len(ids)}).scalars())
                        ids.extend(found)
                        if kind == 0:  # "sending" under an expired lease
                            self._none_expired_at = None if found else now
                if not ids:
                    return []
                rows = self.conn.execute(_CLAIM, {"p_ids": ids, "p_now": now, "p_owner": owner, "p_until": now + lease, "p_run": self.server_run}).all()
                wanted = [r.subscriber_id for r in rows if r.subscriber_id is not None]
                people = self._people(campaign_id, wanted)
        out = []
        for r in rows:
            p = people.get(r.subscriber_id)
            eligible = p is not None and p.status == "active" and p.sub_status == "active"
            out.append(Claimed(
                r.id, r.subscriber_id, r.language, r.attempts, bool(r.uncertain), p and p.email, p and p.name, eligible,
                p and p.link_nonce, reclaimed=r.state == "sending",
            ))
        return sorted(out, key=lambda c: c.delivery_id)

    def _kinds_in_order(self, now: datetime, lease: timedelta) -> tuple[int, ...]:
        """The candidate scans of one claim: expired leases first, or last when looked for a moment ago (see ``_EXPIRED_RECHECK``)."""
        last = self._none_expired_at
        if last is None or not last <= now < last + min(_EXPIRED_RECHECK, lease / 10):
            return (0, 1, 2)
        return (1, 2, 0)

    def _people(self, campaign_id: int, subscriber_ids: list[int]) -> dict[int, Any]:
        if not subscriber_ids:
            return {}
        return {p.id: p for p in self.conn.execute(_RECIPIENTS, {"p_campaign": campaign_id, "p_ids": subscriber_ids})}

    def still_eligible(self, campaign_id: int, subscriber_id: int | None) -> bool:
        """Re-read one subscriber's status right before sending (a claim can be seconds old)."""
        if subscriber_id is None:
            return False
        with self.store.begin(write=False) as conn:  # a plain read: never waits for a writer
            p = conn.execute(_RECIPIENTS, {"p_campaign": campaign_id, "p_ids": [subscriber_id]}).first()
        return p is not None and p.status == "active" and p.sub_status == "active"

    def start(self, delivery_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Mark a claimed delivery ``sending`` (a whole ``lease`` from ``now``) right before it goes to the server.

        Returns False, and the caller must not send it, when the row is no
        longer ``owner``'s: the claim's lease ran out and another sender
        took it (and maybe sent it) meanwhile.
        """
        deferred, self._deferred = self._deferred, None
        return self._start(delivery_id, owner, now, lease, deferred)

    def _start(self, delivery_id: int, owner: str, now: datetime, lease: timedelta, deferred: tuple[int, str, str, datetime] | None) -> bool:
        """``start``, after writing ``deferred`` (the previous message's "sent"); subclasses write both at once."""
        if deferred is not None:
            self._record_sent(*deferred)
        return self._write(_START, {"p_id": delivery_id, "p_owner": owner, "p_until": now + lease, "p_now": now}) == 1

    def sent(self, delivery_id: int, *, reply: str, message_id: str, now: datetime, defer: bool = False) -> None:
        """Record an accepted message. Not guarded by the lease: the server has it, whoever holds the row.

        ``defer``: write it together with this worker's next ``start`` (one
        statement on PostgreSQL, one transaction on SQLite: a round trip and
        a commit less per message), or with whatever else this recorder
        does first (``flush``; ``close`` included). Until then the row stays
        ``sending`` under this worker's lease, so a crash in between leaves
        it exactly as a crash between the server's answer and an immediate
        record would: taken back *uncertain*. A caller that may wait long
        before its next message (a rate limit) should not defer.
        """
        self.flush()
        if defer:
            self._deferred = (delivery_id, reply, message_id, now)
        else:
            self._record_sent(delivery_id, reply, message_id, now)

    def _record_sent(self, delivery_id: int, reply: str, message_id: str, now: datetime) -> None:
        self._write(_SENT, {"p_id": delivery_id, "p_reply": reply, "p_mid": message_id, "p_now": now})

    def retry(self, delivery_id: int, owner: str, *, next_at: datetime, reply: str, now: datetime, uncertain: bool = False) -> None:
        """Record a temporary failure; the delivery is due again at ``next_at``.

        ``uncertain``: the attempt may have arrived (no reply after the whole message went out).
        """
        self.flush()
        self._write(_RETRY, {"p_id": delivery_id, "p_owner": owner, "p_next": next_at, "p_reply": reply, "p_now": now, "p_uncertain": uncertain})

    def failed(self, delivery_id: int, owner: str, *, kind: str, reply: str, now: datetime, uncertain: bool = False) -> None:
        """Record a final failure; ``kind`` is one of ``models.ERROR_KINDS`` (temporary, permanent, rejected, soft, uncertain)."""
        self.flush()
        self._write(_FAILED, {"p_id": delivery_id, "p_owner": owner, "p_kind": kind, "p_reply": reply, "p_now": now, "p_uncertain": uncertain})

    def skipped(self, delivery_ids: Sequence[int], owner: str, *, now: datetime) -> None:
        """Never send: the subscriber was unsubscribed, bounced, complained or erased since queueing."""
        self.flush()
        if delivery_ids:
            self._write(_SKIPPED, {"p_ids": list(delivery_ids), "p_owner": owner, "p_now": now})

    def release(self, owner: str, delivery_ids: Sequence[int], now: datetime) -> None:
        """Give claimed but unattempted deliveries back (on stop or pause): free at once, as they were.

        One taken over from a dead sender stays ``sending`` under an expired
        lease: it may have arrived, and the next claim must know it.
        """
        self.flush()
        if delivery_ids:
            self._write(_RELEASE, {"p_ids": list(delivery_ids), "p_owner": owner, "p_now": now, "p_expired": now - timedelta(seconds=1)})


def claim(store: Store, campaign_id: int, owner: str, n: int, now: datetime, lease: timedelta, *, language: str | None = None) -> list[Claimed]:
    """``Deliveries.claim`` on a connection of its own (for callers outside the workers)."""
    with open_deliveries(store) as r:
        return r.claim(campaign_id, owner, n, now, lease, language=language)


def mark_sent(store: Store, delivery_id: int, *, reply: str, message_id: str, now: datetime) -> None:
    """``Deliveries.sent`` on a connection of its own."""
    with open_deliveries(store) as r:
        r.sent(delivery_id, reply=reply, message_id=message_id, now=now)


def mark_retry(store: Store, delivery_id: int, owner: str, *, next_at: datetime, reply: str, now: datetime) -> None:
    """``Deliveries.retry`` on a connection of its own."""
    with open_deliveries(store) as r:
        r.retry(delivery_id, owner, next_at=next_at, reply=reply, now=now)


def mark_failed(store: Store, delivery_id: int, owner: str, *, kind: str, reply: str, now: datetime) -> None:
    """``Deliveries.failed`` on a connection of its own."""
    with open_deliveries(store) as r:
        r.failed(delivery_id, owner, kind=kind, reply=reply, now=now)


def mark_skipped(store: Store, delivery_ids: Sequence[int], owner: str, *, now: datetime) -> None:
    """``Deliveries.skipped`` on a connection of its own."""
    with open_deliveries(store) as r:
        r.skipped(delivery_ids, owner, now=now)


def release(store: Store, owner: str, delivery_ids: Sequence[int], now: datetime) -> None:
    """``Deliveries.release`` on a connection of its own."""
    with open_deliveries(store) as r:
        r.release(owner, delivery_ids, now)
