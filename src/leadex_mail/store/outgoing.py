"""The outgoing-mail queue: sign-up confirmations and privacy mails, durable, claimed under leases.

Kinds: ``confirmation`` (double opt-in), ``data_export`` (the person's data,
asked for on the preferences page) and ``erasure`` (the link that confirms a
"delete my data" request). A confirmation is queued (``queue_confirmation``)
inside the transaction that records the sign-up, so a pending sign-up never
exists without its mail, nor a mail without its sign-up; the privacy mails
are queued by ``request_mail``. The web app's background sender then
takes rows one at a time (``claim``): the claiming UPDATE repeats the
"still due" condition, so two ``serve`` processes can never both claim a
row (SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL re-checks
the WHERE clause of a row another transaction updated). A row left
``sending`` by a process that died is due again once its lease runs out.

States::

    queued --claim--> sending --> sent
       ^                 |------> failed    (permanent refusal, or attempts used up)
       |                 |------> skipped   (nothing to confirm any more)
       +--- retry -------+                  (temporary failure: due again later)

    skipped                 a sign-up repeated within ``resend_after``: written, never sent

Rows carry no address and no link: both are made from the subscriber row at
send time, and the rows are deleted with the subscriber (erasure, purge).
Callers in a multi-threaded process serialise their writes themselves (the
web app holds its SQLite write lock around each call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlmodel import Session

from leadex_mail.store.db import Store
from leadex_mail.store.models import OutgoingMail, Subscriber

_O = OutgoingMail.__table__
_S = Subscriber.__table__
# Minutes within which a second sign-up of one subscriber queues no second
# confirmation: the form cannot be used to flood someone's inbox.
RESEND_AFTER = timedelta(minutes=10)
# The same for the privacy mails: a forwarded preferences link must not turn
# into a way of flooding its owner with exports (each carries all their data).
RESEND_PRIVACY = {"data_export": timedelta(hours=1), "erasure": timedelta(minutes=10)}
_UNSENT = ("queued", "sending")
THROTTLED = f"not sent: a confirmation was sent or queued less than {RESEND_AFTER.seconds // 60} minutes before"


def throttled(kind: str, window: timedelta) -> str:
    """The reason written on a throttled (``skipped``) request."""
    what = "a confirmation" if kind == "confirmation" else f"a {kind.replace('_', ' ')} mail"
    return f"not sent: {what} was sent or queued less than {int(window.total_seconds() // 60)} minutes before"


@dataclass(frozen=True)
class ConfirmationRequest:
    """A confirmation mail to queue with a sign-up: its language, the sign-up time, the throttle."""

    language: str
    at: datetime
    resend_after: timedelta = RESEND_AFTER


@dataclass(frozen=True)
class Claimed:
    """One outgoing mail claimed for sending.

    ``attempts`` counts the attempts before this one; ``reclaimed`` is True
    when the row was found ``sending`` with an expired lease (its sender
    died mid-send, so the mail may already have arrived once).
    """

    id: int
    kind: str
    subscriber_id: int
    language: str
    attempts: int
    reclaimed: bool


@dataclass(frozen=True)
class QueueEntry:
    """One mail as the operator sees it (``email`` None when the subscriber is gone)."""

    id: int
    kind: str
    email: str | None
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_reply: str | None
    created_at: datetime


@dataclass(frozen=True)
class QueueSummary:
    """Counts per state (``waiting`` = queued after a failed attempt) and the rows needing attention."""

    counts: dict[str, int]
    attention: list[QueueEntry] = field(default_factory=list)

    @property
    def unsent(self) -> int:
        """Mails still to be sent (queued, waiting to retry, or being sent)."""
        return sum(self.counts.get(s, 0) for s in ("queued", "waiting", "sending"))


def queue_confirmation(session: Session, subscriber_id: int, request: ConfirmationRequest) -> bool:
    """Queue a confirmation for ``subscriber_id`` in the caller's transaction; False when throttled.

    No confirmation goes out while an earlier one of the subscriber is still
    unsent (it will carry a fresh link anyway), nor when one was queued less
    than ``request.resend_after`` before ``request.at``. A throttled request
    is still written, as ``skipped``: the same statements run either way, so
    the sign-up takes as long whether or not a mail went out recently (the
    answer must not tell), and the operator sees the repeated requests.
    """
    return queue_mail(session, "confirmation", subscriber_id, request)


def queue_mail(session: Session, kind: str, subscriber_id: int, request: ConfirmationRequest) -> bool:
    """Queue a mail of ``kind`` (see ``queue_confirmation``, whose throttle it shares per kind); False when throttled."""
    earlier = session.execute(
        select(_O.c.id)
        .where(
            _O.c.subscriber_id == subscriber_id,
            _O.c.kind == kind,
            _O.c.state != "skipped",
            or_(_O.c.state.in_(_UNSENT), _O.c.created_at > request.at - request.resend_after),
        )
        .limit(1)
    ).first()
    session.add(
        OutgoingMail(
            kind=kind,
            subscriber_id=subscriber_id,
            language=request.language,
            state="queued" if earlier is None else "skipped",
            last_reply=None if earlier is None else (THROTTLED if kind == "confirmation" else throttled(kind, request.resend_after)),
            next_attempt_at=request.at,
            created_at=request.at,
            updated_at=request.at,
        )
    )
    return earlier is None


def request_mail(store: Store, kind: str, subscriber_id: int, *, language: str, at: datetime) -> bool:
    """Queue a privacy mail (``data_export`` or ``erasure``) in its own transaction; False when throttled.

    At most one per subscriber and kind within ``RESEND_PRIVACY[kind]``;
    a throttled request is written as ``skipped`` (see ``queue_confirmation``).
    """
    request = ConfirmationRequest(language, at, RESEND_PRIVACY[kind])
    with store.session() as session:
        return queue_mail(session, kind, subscriber_id, request)


def _due(now: datetime):  # noqa: ANN202 (a SQL expression)
    """A row that may be claimed at ``now``: queued and due, or left sending by a dead sender."""
    return or_(
        and_(_O.c.state == "queued", _O.c.next_attempt_at <= now),
        and_(_O.c.state == "sending", _O.c.lease_expires_at < now),
    )


def claim(store: Store, owner: str, now: datetime, lease: timedelta) -> Claimed | None:
    """Atomically move the oldest due row to ``sending`` under ``owner``'s lease; None when none is due."""
    # PostgreSQL: SKIP LOCKED passes over a row another process is claiming this instant;
    # SQLite ignores it (its writers are serialised). A race still lost is tried again.
    for _ in range(5):
        with store.begin() as conn:
            row = conn.execute(
                select(_O.c.id, _O.c.state).where(_due(now)).order_by(_O.c.next_attempt_at, _O.c.id).limit(1).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            got = conn.execute(
                update(_O)
                .where(_O.c.id == row.id, _due(now))
                .values(state="sending", lease_owner=owner, lease_expires_at=now + lease, updated_at=now)
                .returning(_O.c.id, _O.c.kind, _O.c.subscriber_id, _O.c.language, _O.c.attempts)
            ).first()
        if got is not None:
            return Claimed(got.id, got.kind, got.subscriber_id, got.language, got.attempts, row.state == "sending")
    return None


def next_due(store: Store) -> datetime | None:
    """When the next row becomes due (a retry time or a lease running out); None when nothing waits."""
    with store.begin(write=False) as conn:
        queued = conn.execute(select(func.min(_O.c.next_attempt_at)).where(_O.c.state == "queued")).scalar()
        leased = conn.execute(select(func.min(_O.c.lease_expires_at)).where(_O.c.state == "sending")).scalar()
    times = [t for t in (queued, leased) if t is not None]  # func.min keeps the column's type: UTC-aware
    return min(times) if times else None


def _finish(store: Store, mail_id: int, owner: str | None, values: dict[str, object]) -> bool:
    where = [_O.c.id == mail_id]
    if owner is not None:
        where.append(_O.c.lease_owner == owner)
    with store.begin() as conn:
        return bool(conn.execute(update(_O).where(*where).values(lease_owner=None, lease_expires_at=None, **values)).rowcount)


def mark_sent(store: Store, mail_id: int, *, reply: str, now: datetime) -> None:
    """Record a mail the server accepted (whoever holds the row: the server has it)."""
    _finish(store, mail_id, None, {"state": "sent", "attempts": _O.c.attempts + 1, "last_reply": reply, "sent_at": now, "updated_at": now})


def mark_retry(store: Store, mail_id: int, owner: str, *, next_at: datetime, reply: str, now: datetime) -> bool:
    """Record a temporary failure; the row is due again at ``next_at``. False when the lease was lost."""
    values = {"state": "queued", "attempts": _O.c.attempts + 1, "next_attempt_at": next_at, "last_reply": reply, "updated_at": now}
    return _finish(store, mail_id, owner, values)


def mark_failed(store: Store, mail_id: int, owner: str, *, reply: str, now: datetime) -> bool:
    """Record a final failure (refused for good, or attempts used up)."""
    return _finish(store, mail_id, owner, {"state": "failed", "attempts": _O.c.attempts + 1, "last_reply": reply, "updated_at": now})


def mark_skipped(store: Store, mail_id: int, owner: str, *, reason: str, now: datetime) -> bool:
    """Record a mail not sent because there is nothing to confirm any more."""
    return _finish(store, mail_id, owner, {"state": "skipped", "last_reply": reason, "updated_at": now})


def release(store: Store, owner: str, now: datetime) -> int:
    """Give rows ``owner`` claimed but never attempted back to the queue (on stop)."""
    with store.begin() as conn:
        return conn.execute(
            update(_O).where(_O.c.state == "sending", _O.c.lease_owner == owner).values(state="queued", lease_owner=None, lease_expires_at=None, updated_at=now)
        ).rowcount


def retry_failed(store: Store, now: datetime) -> int:
    """Queue every failed mail again, due at once, with its attempts reset; return how many."""
    with store.begin() as conn:
        return conn.execute(
            update(_O).where(_O.c.state == "failed").values(state="queued", attempts=0, next_attempt_at=now, updated_at=now)
        ).rowcount


def queue_summary(store: Store, *, limit: int = 50) -> QueueSummary:
    """Counts per state and, newest first, up to ``limit`` rows that are failed or waiting to retry."""
    state = _state_shown()
    with store.begin(write=False) as conn:
        counts = {name: n for name, n in conn.execute(select(state, func.count()).group_by(state))}
        rows = conn.execute(
            select(_O.c.id, _O.c.kind, _S.c.email, state.label("shown"), _O.c.attempts, _O.c.next_attempt_at, _O.c.last_reply, _O.c.created_at)
            .select_from(_O.outerjoin(_S, _S.c.id == _O.c.subscriber_id))
            .where(or_(_O.c.state == "failed", and_(_O.c.state.in_(_UNSENT), _O.c.attempts > 0)))
            .order_by(_O.c.updated_at.desc(), _O.c.id.desc())
            .limit(limit)
        ).all()
    entries = [
        QueueEntry(r.id, r.kind, r.email, r.shown, r.attempts, r.next_attempt_at if r.shown != "failed" else None, r.last_reply, r.created_at)
        for r in rows
    ]
    return QueueSummary(counts, entries)


def _state_shown():  # noqa: ANN202 (a SQL expression)
    """The state as the operator reads it: a queued row after a failed attempt is ``waiting``."""
    return case((and_(_O.c.state == "queued", _O.c.attempts > 0), "waiting"), else_=_O.c.state)
