"""Campaign and delivery persistence: the queue the campaign runner works from.

One ``Campaign`` per (issue, list); one ``Delivery`` per eligible subscriber,
guarded by UNIQUE(campaign_id, subscriber_id), so queueing twice is harmless.
A delivery moves ``queued -> sending -> sent | retry_wait | failed | skipped``.

Claims: a worker moves due rows to ``sending`` with a lease (owner + expiry)
in one short write transaction. The UPDATE repeats the "still due" condition
and RETURNs the rows it changed, so two processes can never both claim a row
(SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL re-checks the
WHERE clause of a row another transaction updated). A row found ``sending``
with an expired lease belonged to a process that died mid-send: it is
claimed again and marked ``uncertain`` (the server may already have it).

Everything here is portable SQLAlchemy Core; the only dialect-specific piece
is ``INSERT ... ON CONFLICT DO NOTHING``, for SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Iterator, Mapping, Sequence

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select as orm_select

from leadex_mail.errors import CampaignError, NotFound
from leadex_mail.store.db import Store
from leadex_mail.store.models import DELIVERY_STATES, Campaign, Delivery, MailingList, Subscriber, Subscription, utcnow

_D = Delivery.__table__
_C = Campaign.__table__
_CHUNK = 5_000  # rows per INSERT statement: large enough to amortise, small enough for SQLite's variable limit
_ACTIVE = ("queued", "sending", "retry_wait")


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


_LOCKS: dict[int, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def _writing(store: Store) -> Iterator[Connection]:
    """A write transaction, serialised among this process's threads.

    SQLite lets one writer in at a time; threads of one process that collide
    fall into SQLite's busy handler, which sleeps in steps of milliseconds.
    Queueing them on a Python lock first hands the database over at once.
    """
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(id(store.engine), threading.Lock())
    with lock, store.begin() as conn:
        yield conn


def new_owner(worker: int = 0) -> str:
    """The lease owner name of one worker thread: ``host:pid:random/worker``.

    Host and pid let a restarted process on the same host see that an owner
    died; the random part tells apart processes that reused a pid.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}/{worker}"


# --- campaigns -------------------------------------------------------------


def _list_id(store: Store, list_name: str) -> int:
    with store.begin(write=False) as conn:
        row = conn.execute(select(MailingList.__table__.c.id).where(MailingList.__table__.c.name == list_name)).first()
    if row is None:
        raise NotFound(f"there is no list {list_name!r}", hint=f"create it with `leadex-mail lists create {list_name}` or check `leadex-mail lists list`")
    return int(row[0])


def find_campaign(store: Store, issue_slug: str, list_name: str | None = None) -> Campaign:
    """The campaign of ``issue_slug`` (to ``list_name`` when several lists got it)."""
    with store.session(write=False) as session:
        query = orm_select(Campaign, MailingList.name).join(MailingList, MailingList.id == Campaign.list_id).where(Campaign.issue_slug == issue_slug)
        if list_name:
            query = query.where(MailingList.name == list_name)
        rows = session.exec(query).all()  # type: ignore[call-overload]
    if not rows:
        target = f" to list {list_name!r}" if list_name else ""
        raise NotFound(f"issue {issue_slug!r} has not been sent{target}", hint="`leadex-mail status` lists the campaigns")
    if len(rows) > 1:
        names = ", ".join(sorted(r[1] for r in rows))
        raise CampaignError(f"issue {issue_slug!r} was sent to several lists ({names})", hint="name one with --list")
    return rows[0][0]


def list_campaigns(store: Store, issue_slug: str | None = None) -> list[tuple[Campaign, str]]:
    """Campaigns (newest first) with their list's name, optionally of one issue."""
    with store.session(write=False) as session:
        query = orm_select(Campaign, MailingList.name).join(MailingList, MailingList.id == Campaign.list_id).order_by(Campaign.id.desc())  # type: ignore[union-attr]
        if issue_slug:
            query = query.where(Campaign.issue_slug == issue_slug)
        return [(c, name) for c, name in session.exec(query).all()]  # type: ignore[call-overload]


def open_campaign(store: Store, issue_slug: str, list_name: str, content_hash: Mapping[str, str], subject: str, *, now: datetime | None = None) -> Campaign:
    """Create the campaign of (issue, list), or return the existing one to resume it.

    ``content_hash`` maps language -> edition hash. Resuming after an edition
    changed is refused once any of its deliveries was sent: recipients would
    get different versions of one campaign.
    """
    list_id = _list_id(store, list_name)
    now = now or utcnow()
    with _writing(store) as conn:
        row = conn.execute(select(_C).where(_C.c.issue_slug == issue_slug, _C.c.list_id == list_id)).first()
        if row is None:
            values = dict(issue_slug=issue_slug, list_id=list_id, content_hash=json.dumps(dict(content_hash), sort_keys=True), subject=subject, status="running", created_at=now, updated_at=now)
            campaign_id = conn.execute(insert(_C).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        else:
            campaign_id = row.id
            merged = _check_content(conn, row, content_hash)
            conn.execute(update(_C).where(_C.c.id == campaign_id).values(content_hash=json.dumps(merged, sort_keys=True), updated_at=now))
    return get_campaign(store, campaign_id)


def _check_content(conn: Connection, row, content_hash: Mapping[str, str]) -> dict[str, str]:  # noqa: ANN001 (a Row)
    stored: dict[str, str] = json.loads(row.content_hash or "{}")
    changed = sorted(lang for lang, h in content_hash.items() if stored.get(lang) not in (None, h))
    if changed:
        sent = conn.execute(
            select(func.count()).select_from(_D).where(_D.c.campaign_id == row.id, _D.c.language.in_(changed), _D.c.state.in_(("sent", "sending")))
        ).scalar_one()
        if sent:
            raise CampaignError(
                f"issue {row.issue_slug!r} changed ({', '.join(changed)} edition) after {sent} of its messages were sent",
                hint="undo the change to finish sending the version people already got, or publish the change as a new issue (a new folder/slug)",
            )
    return {**stored, **content_hash}


def get_campaign(store: Store, campaign_id: int) -> Campaign:
    """The campaign with this id (NotFound otherwise)."""
    with store.session(write=False) as session:
        campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"there is no campaign {campaign_id}")
    return campaign


def set_status(store: Store, campaign_id: int, status: str, reason: str | None = None, *, now: datetime | None = None) -> None:
    """Set a campaign's status (running, paused with a reason, done)."""
    with _writing(store) as conn:
        conn.execute(update(_C).where(_C.c.id == campaign_id).values(status=status, paused_reason=reason, updated_at=now or utcnow()))


# --- queueing ------------------------------------------------------------------


def _insert_ignoring_duplicates(conn: Connection, campaign_id: int):  # noqa: ANN202 (dialect-specific Insert)
    """``INSERT ... ON CONFLICT DO NOTHING`` of queued rows; each row supplies only subscriber_id and language.

    The constant columns are part of the statement, and the timestamps are the
    database's own clock (``CURRENT_TIMESTAMP``), so no per-row value needs
    converting: converting datetimes was most of the cost of queueing 100 000.
    """
    name = conn.dialect.name
    if name == "sqlite":
        base = sqlite.insert(_D)
    elif name == "postgresql":
        base = postgresql.insert(_D)
    else:
        raise CampaignError(f"queueing is not implemented for the {name} database", hint="use SQLite or PostgreSQL")
    stamp = func.current_timestamp()
    return base.values(campaign_id=campaign_id, state="queued", attempts=0, uncertain=False, created_at=stamp, updated_at=stamp).on_conflict_do_nothing(
        index_elements=["campaign_id", "subscriber_id"]
    )


def queue_deliveries(store: Store, campaign: Campaign, eligible: Iterable[tuple[int, str]], language_for: Mapping[str, str] | None = None) -> int:
    """Queue one delivery per ``(subscriber_id, language)``; return how many were new.

    ``language_for`` maps a subscriber's language to the edition they get
    (missing: the language as is). Already queued subscribers are left alone
    (the unique key), so this is safe to repeat on every resume.
    """
    mapping = language_for or {}
    added = 0
    with _writing(store) as conn:
        stmt = _insert_ignoring_duplicates(conn, campaign.id)  # type: ignore[arg-type]
        chunk: list[dict] = []
        for subscriber_id, language in eligible:
            chunk.append({"subscriber_id": subscriber_id, "language": mapping.get(language, language)})
            if len(chunk) >= _CHUNK:
                added += conn.execute(stmt, chunk).rowcount
                chunk = []
        if chunk:
            added += conn.execute(stmt, chunk).rowcount
    return added


# --- claiming --------------------------------------------------------------------


def _due(now: datetime):  # noqa: ANN202 (a SQL expression)
    """The condition for a row that may be claimed now (repeated in the UPDATE)."""
    return or_(
        _D.c.state == "queued",
        and_(_D.c.state == "retry_wait", _D.c.next_attempt_at <= now),
        and_(_D.c.state == "sending", _D.c.lease_expires_at < now),
    )


def _candidates(conn: Connection, campaign_id: int, n: int, now: datetime, language: str | None) -> list[int]:
    """Ids of up to ``n`` due rows: crashed sends first, then due retries, then queued.

    Three index range scans on (campaign_id, state, next_attempt_at) instead of
    one OR, so a claim stays cheap with 100 000 queued rows.
    """
    found: list[int] = []
    conditions = [
        and_(_D.c.state == "sending", _D.c.lease_expires_at < now),
        and_(_D.c.state == "retry_wait", _D.c.next_attempt_at <= now),
        _D.c.state == "queued",
    ]
    for condition in conditions:
        if len(found) >= n:
            break
        query = select(_D.c.id).where(_D.c.campaign_id == campaign_id, condition).limit(n - len(found))
        if language:
            query = query.where(_D.c.language == language)
        found.extend(conn.execute(query).scalars())
    return found


def claim(store: Store, campaign_id: int, owner: str, n: int, now: datetime, lease: timedelta, *, language: str | None = None) -> list[Claimed]:
    """Atomically move up to ``n`` due deliveries to ``sending`` under ``owner``'s lease.

    Rows whose earlier lease expired come back with ``uncertain=True``. The
    subscriber's current status is re-read in the same transaction.
    """
    with _writing(store) as conn:
        ids = _candidates(conn, campaign_id, n, now, language)
        if not ids:
            return []
        stmt = (
            update(_D)
            .where(_D.c.id.in_(ids), _due(now))
            .values(
                state="sending",
                lease_owner=owner,
                lease_expires_at=now + lease,
                uncertain=case((_D.c.state == "sending", True), else_=_D.c.uncertain),
                updated_at=now,
            )
            .returning(_D.c.id, _D.c.subscriber_id, _D.c.language, _D.c.attempts, _D.c.uncertain)
        )
        rows = conn.execute(stmt).all()
        people = _recipients(conn, campaign_id, [r.subscriber_id for r in rows if r.subscriber_id is not None])
    out = []
    for r in rows:
        email, name, eligible = people.get(r.subscriber_id, (None, None, False))
        out.append(Claimed(r.id, r.subscriber_id, r.language, r.attempts, bool(r.uncertain), email, name, eligible))
    out.sort(key=lambda c: c.delivery_id)
    return out


def _recipients(conn: Connection, campaign_id: int, subscriber_ids: Sequence[int]) -> dict[int, tuple[str, str | None, bool]]:
    """subscriber_id -> (email, name, still eligible) for the campaign's list."""
    if not subscriber_ids:
        return {}
    s, sub = Subscriber.__table__, Subscription.__table__
    list_id = select(_C.c.list_id).where(_C.c.id == campaign_id).scalar_subquery()
    query = (
        select(s.c.id, s.c.email, s.c.name, s.c.status, sub.c.status.label("sub_status"))
        .select_from(s.outerjoin(sub, and_(sub.c.subscriber_id == s.c.id, sub.c.list_id == list_id)))
        .where(s.c.id.in_(subscriber_ids))
    )
    return {r.id: (r.email, r.name, r.status == "active" and r.sub_status == "active") for r in conn.execute(query)}


def expire_dead_leases(store: Store, campaign_id: int, now: datetime) -> int:
    """Take back rows leased by dead processes of this host; return how many rows.

    Without this, a send restarted right after ``kill -9`` would wait for
    the dead process's leases to run out (``send_lease_seconds``). An owner
    is one worker thread, which claims a batch only when done with the
    previous one and sends it in id order, committing each outcome before the
    next message: so of a dead owner's rows still ``sending`` only the lowest
    id can have reached the server. That one is expired (the next claim marks
    it uncertain); the others go straight back to the queue, never attempted.
    Owners on other hosts are left to expire on their own (then all their
    rows come back uncertain).
    """
    host = socket.gethostname()
    with store.begin(write=False) as conn:
        owners = conn.execute(
            select(_D.c.lease_owner).where(_D.c.campaign_id == campaign_id, _D.c.state == "sending", _D.c.lease_expires_at >= now).distinct()
        ).scalars().all()
    dead = [o for o in owners if o and _is_dead_local(o, host)]
    taken = 0
    for owner in dead:
        with _writing(store) as conn:
            mine = and_(_D.c.campaign_id == campaign_id, _D.c.state == "sending", _D.c.lease_owner == owner)
            ids = sorted(conn.execute(select(_D.c.id).where(mine)).scalars())
            if not ids:
                continue
            conn.execute(update(_D).where(mine, _D.c.id == ids[0]).values(lease_expires_at=now - timedelta(seconds=1)))
            if len(ids) > 1:
                conn.execute(update(_D).where(mine, _D.c.id.in_(ids[1:])).values(state="queued", lease_owner=None, lease_expires_at=None, updated_at=now))
            taken += len(ids)
    return taken


def _is_dead_local(owner: str, host: str) -> bool:
    parts = owner.split("/", 1)[0].split(":")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            # A killed process that nobody reaped yet is a zombie ("Z"): dead too.
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except FileNotFoundError:
        return True
    except OSError:
        return False


def release(store: Store, owner: str, delivery_ids: Sequence[int], now: datetime) -> None:
    """Give claimed but unattempted deliveries back to the queue (on stop or pause)."""
    if not delivery_ids:
        return
    with _writing(store) as conn:
        conn.execute(
            update(_D)
            .where(_D.c.id.in_(list(delivery_ids)), _D.c.lease_owner == owner, _D.c.state == "sending")
            .values(state="queued", lease_owner=None, lease_expires_at=None, updated_at=now)
        )


# --- recording outcomes -----------------------------------------------------------


def _finish(store: Store, delivery_id: int, owner: str | None, values: dict) -> None:
    """One short transaction per outcome: durable before the next message goes out."""
    where = [_D.c.id == delivery_id]
    if owner is not None:
        where.append(_D.c.lease_owner == owner)
    with _writing(store) as conn:
        conn.execute(update(_D).where(*where).values(lease_owner=None, lease_expires_at=None, **values))


def mark_sent(store: Store, delivery_id: int, *, reply: str, message_id: str, now: datetime) -> None:
    """Record an accepted message. Not guarded by the lease: the server has it, whoever holds the row."""
    _finish(store, delivery_id, None, dict(state="sent", attempts=_D.c.attempts + 1, last_reply=reply, message_id=message_id, error_kind=None, sent_at=now, updated_at=now))


def mark_retry(store: Store, delivery_id: int, owner: str, *, next_at: datetime, reply: str, now: datetime) -> None:
    """Record a temporary failure; the delivery is due again at ``next_at``."""
    _finish(store, delivery_id, owner, dict(state="retry_wait", attempts=_D.c.attempts + 1, next_attempt_at=next_at, last_reply=reply, error_kind="temporary", updated_at=now))


def mark_failed(store: Store, delivery_id: int, owner: str, *, kind: str, reply: str, now: datetime, attempted: bool = True) -> None:
    """Record a final failure: ``kind`` is temporary (attempts used up) or permanent."""
    attempts = _D.c.attempts + 1 if attempted else _D.c.attempts
    _finish(store, delivery_id, owner, dict(state="failed", attempts=attempts, last_reply=reply, error_kind=kind, updated_at=now))


def mark_skipped(store: Store, delivery_ids: Sequence[int], owner: str, *, now: datetime) -> None:
    """Never send: the subscriber was unsubscribed, bounced, complained or erased since queueing."""
    if not delivery_ids:
        return
    with _writing(store) as conn:
        conn.execute(
            update(_D)
            .where(_D.c.id.in_(list(delivery_ids)), _D.c.lease_owner == owner)
            .values(state="skipped", error_kind="suppressed", last_reply="not sent: the address is no longer subscribed", lease_owner=None, lease_expires_at=None, updated_at=now)
        )


def requeue_failed_temporary(store: Store, campaign: Campaign, *, now: datetime | None = None) -> int:
    """Put deliveries that failed temporarily back in the queue (``retry``); return how many."""
    now = now or utcnow()
    with _writing(store) as conn:
        result = conn.execute(
            update(_D)
            .where(_D.c.campaign_id == campaign.id, _D.c.state == "failed", _D.c.error_kind == "temporary")
            .values(state="queued", attempts=0, next_attempt_at=None, error_kind=None, updated_at=now)
        )
        if result.rowcount:
            conn.execute(update(_C).where(_C.c.id == campaign.id).values(status="running", paused_reason=None, updated_at=now))
    return result.rowcount


# --- reading ------------------------------------------------------------------------


def state_counts(store: Store, campaign_id: int) -> dict[str, int]:
    """Deliveries per state (every state present, zeros included), plus ``uncertain``."""
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    with store.begin(write=False) as conn:
        rows = conn.execute(select(_D.c.state, func.count()).where(_D.c.campaign_id == campaign_id).group_by(_D.c.state)).all()
        uncertain = conn.execute(select(func.count()).select_from(_D).where(_D.c.campaign_id == campaign_id, _D.c.uncertain.is_(True))).scalar_one()
    counts.update({state: n for state, n in rows})
    counts["uncertain"] = uncertain
    return counts


@dataclass(frozen=True)
class Pending:
    """What is left for a runner that found nothing to claim right now."""

    waiting_retries: int  # retry_wait rows not yet due
    next_due: datetime | None  # when the earliest of them is due
    held_elsewhere: int  # sending rows under another owner's lease (another process)


def pending(store: Store, campaign_id: int, owner: str, *, language: str | None = None) -> Pending:
    """Summarise rows this runner cannot claim now but that are not finished."""
    conds = [_D.c.campaign_id == campaign_id]
    if language:
        conds.append(_D.c.language == language)
    with store.begin(write=False) as conn:
        waiting, first = conn.execute(select(func.count(), func.min(_D.c.next_attempt_at)).where(*conds, _D.c.state == "retry_wait")).one()
        held = conn.execute(select(func.count()).select_from(_D).where(*conds, _D.c.state == "sending", _D.c.lease_owner != owner)).scalar_one()
    return Pending(waiting, first, held)


def sent_window(store: Store, campaign_id: int) -> tuple[datetime | None, datetime | None]:
    """When the campaign's first and last messages were sent (for its average rate)."""
    with store.begin(write=False) as conn:
        first, last = conn.execute(select(func.min(_D.c.sent_at), func.max(_D.c.sent_at)).where(_D.c.campaign_id == campaign_id)).one()
    return first, last


def sent_since(store: Store, since: datetime) -> int:
    """Messages sent (any campaign) since ``since``: seeds the rate limiter after a restart."""
    with store.begin(write=False) as conn:
        return conn.execute(select(func.count()).select_from(_D).where(_D.c.sent_at >= since)).scalar_one()


@dataclass(frozen=True)
class Failure:
    """One delivery that did not go out (yet), for ``status`` and summaries."""

    email: str | None
    language: str
    state: str
    error_kind: str | None
    attempts: int
    reply: str | None


def failures(store: Store, campaign_id: int, limit: int = 50) -> list[Failure]:
    """Failed, skipped and waiting deliveries with their reasons (erased people have no address)."""
    s = Subscriber.__table__
    query = (
        select(s.c.email, _D.c.language, _D.c.state, _D.c.error_kind, _D.c.attempts, _D.c.last_reply)
        .select_from(_D.outerjoin(s, s.c.id == _D.c.subscriber_id))
        .where(_D.c.campaign_id == campaign_id, _D.c.state.in_(("failed", "skipped", "retry_wait")))
        .order_by(_D.c.id)
        .limit(limit)
    )
    with store.begin(write=False) as conn:
        return [Failure(*row) for row in conn.execute(query)]


def finished_subscribers(store: Store, campaign_id: int) -> set[int]:
    """Subscribers whose delivery of this campaign is over (sent, failed or skipped)."""
    query = select(_D.c.subscriber_id).where(_D.c.campaign_id == campaign_id, _D.c.state.in_(("sent", "failed", "skipped")))
    with store.begin(write=False) as conn:
        return {sid for sid in conn.execute(query).scalars() if sid is not None}


def unfinished(counts: Mapping[str, int]) -> int:
    """Deliveries still to be attempted or retried."""
    return sum(counts.get(s, 0) for s in _ACTIVE)
