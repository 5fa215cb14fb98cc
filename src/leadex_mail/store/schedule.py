"""Scheduled campaigns: what ``send ISSUE --list L --at TIME`` stores and a ``worker`` starts.

One ``ScheduledSend`` row per (issue, list), its time in UTC. It counts as
started once the campaign of that (issue, list) exists: the worker starts
it by sending (``open_campaign`` is insert-or-get, so several workers on
several machines starting it at once all send the one campaign, sharing its
rows). So a worker that dies between the two steps loses nothing: the row
is still due and the next worker starts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, exists, select

from leadex_mail.errors import CampaignError, NotFound
from leadex_mail.store.db import Store
from leadex_mail.store.lists import get_list
from leadex_mail.store.models import Campaign, MailingList, ScheduledSend, utcnow

if TYPE_CHECKING:
    from leadex_mail.store.accounts import Entry

_S = ScheduledSend.__table__
_C = Campaign.__table__
_STARTED = exists().where(and_(_C.c.issue_slug == _S.c.issue_slug, _C.c.list_id == _S.c.list_id))
# Started by the schedule: a worker opens the campaign only once it is due, so never before ``send_at``. A campaign
# opened before that was started by a person, and its row is a leftover of a store made before "Send now replaces the
# schedule" (``replace_by_hand``): no worker takes such a campaign over (``send --limit 5`` stays at 5).
_STARTED_BY_SCHEDULE = exists().where(and_(_C.c.issue_slug == _S.c.issue_slug, _C.c.list_id == _S.c.list_id, _C.c.created_at >= _S.c.send_at))
_NOT_HELD = {"held_at": None, "held_reason": None, "held_detail": None}


@dataclass(frozen=True)
class Scheduled:
    """A campaign waiting for its time."""

    id: int
    issue_slug: str
    list_name: str
    language: str | None  # only this edition (None: every edition)
    send_at: datetime  # UTC
    replaced: bool = False  # (schedule_send) it replaced an earlier time
    forced: bool = False  # scheduled with --force: sent at its time even though the check finds errors
    deep: bool | None = None  # --deep/--no-deep it was scheduled with (None: the send_deep_check setting)
    held: Held | None = None  # at its time the check refused the issue: not started, checked again when its files change (and after a while)


@dataclass(frozen=True)
class Held:
    """Why and since when a scheduled send waits past its time: ``reason`` one of ``models.HELD_REASONS``.

    ``codes``: the kinds of error found (``problem_codes.CODES``), each once, in the order found; ``errors``: how many.
    ``inputs``: the version of the files the check read (``content.version.inputs_version``; None: unknown),
    ``checked``: when it was last checked (UTC): the worker checks it again only when the files change, or after a while.
    """

    reason: str
    at: datetime  # UTC, when the worker first refused it
    errors: int
    codes: tuple[str, ...]
    inputs: str | None = None
    checked: datetime | None = None

    def same(self, other: Held | None) -> bool:
        """Whether ``other`` holds it for the same reason and errors (its time aside)."""
        return other is not None and (self.reason, self.errors, self.codes) == (other.reason, other.errors, other.codes)

    def detail(self) -> dict[str, Any]:
        """The audit entry's details: how many errors, of which kinds."""
        return {"errors": self.errors, "codes": list(self.codes)}

    def stored(self) -> dict[str, Any]:
        """The JSON ``held_detail``: ``detail`` and what the last check read, and when."""
        checked = self.checked.astimezone(UTC).isoformat() if self.checked is not None else None
        return {**self.detail(), "inputs": self.inputs, "checked": checked}


def schedule_send(
    store: Store, issue_slug: str, list_name: str, send_at: datetime, *, language: str | None = None, now: datetime, audit: Entry | None = None,
    forced: bool = False, deep: bool | None = None,
) -> Scheduled:
    """Store that (issue, list) is to be sent at ``send_at`` (aware, any zone; stored in UTC); a second call moves the time.

    ``forced``, ``deep``: how the worker checks the issue at its time (``send --force``, ``--deep/--no-deep``).
    A second call replaces them too, and ends a hold: it is a new confirmation.
    ``audit``: written in the same transaction, with ``moved`` (a time replaced) added to its details.

    Raises ``NotFound`` for an unknown list, ``CampaignError`` when the
    time is not in the future or the campaign already started.
    """
    if send_at <= now:
        raise CampaignError(
            f"{send_at:%Y-%m-%d %H:%M %Z} is not in the future (now {now.astimezone(send_at.tzinfo):%Y-%m-%d %H:%M %Z})",
            hint="give a later time, or leave out --at to send now",
        )
    list_id = get_list(store, list_name).id
    with store.writing() as conn:
        if conn.execute(select(_C.c.id).where(_C.c.issue_slug == issue_slug, _C.c.list_id == list_id)).first():
            raise CampaignError(
                f"the campaign of {issue_slug} to {list_name} has already started: it cannot be scheduled",
                hint=f"see it with `leadex-mail status {issue_slug}`; continue it with `leadex-mail send {issue_slug} --list {list_name} --resume`",
            )
        row = conn.execute(select(_S.c.id).where(_S.c.issue_slug == issue_slug, _S.c.list_id == list_id).with_for_update()).first()
        values = dict(language=language, send_at=send_at, forced=forced, deep=deep)
        if row is None:
            new_id = conn.execute(_S.insert().values(issue_slug=issue_slug, list_id=list_id, created_at=now, **values)).inserted_primary_key[0]  # type: ignore[index]
        else:
            new_id = row.id
            conn.execute(_S.update().where(_S.c.id == row.id).values(**values, **_NOT_HELD))
        if audit is not None:
            audit.with_detail(moved=row is not None).write(conn, now)
    return Scheduled(new_id, issue_slug, list_name, language, send_at, replaced=row is not None, forced=forced, deep=deep)


def replace_by_hand(conn: Connection, issue_slug: str, list_id: int, audit: Entry, now: datetime) -> datetime | None:
    """In ``conn``'s transaction: remove the send scheduled for (issue, list) that a send started by hand replaces.

    Returns its time (UTC), None when none was scheduled (then nothing is
    written). ``audit`` is written with ``send_at`` and ``replaced_by: "send"``.
    """
    row = conn.execute(select(_S.c.id, _S.c.send_at).where(_S.c.issue_slug == issue_slug, _S.c.list_id == list_id)).first()
    if row is None:
        return None
    send_at = row.send_at if row.send_at.tzinfo else row.send_at.replace(tzinfo=UTC)
    conn.execute(_S.delete().where(_S.c.id == row.id))
    audit.with_detail(send_at=send_at.astimezone(UTC).isoformat(), replaced_by="send").write(conn, now)
    return send_at


def unschedule(store: Store, issue_slug: str, list_name: str, *, audit: Entry | None = None) -> Scheduled:
    """Cancel the scheduled campaign of (issue, list) and return what it was.

    ``audit``: written in the same transaction, with the cancelled ``send_at`` (UTC, ISO 8601) added to its details.

    Raises ``NotFound`` when none is scheduled, ``CampaignError`` when it
    already started (a worker is sending it).
    """
    list_id = get_list(store, list_name).id
    with store.writing() as conn:
        row = conn.execute(select(_S).where(_S.c.issue_slug == issue_slug, _S.c.list_id == list_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"nothing is scheduled for {issue_slug} to {list_name}", hint="`leadex-mail status` lists the scheduled campaigns")
        # Read after the lock, in a statement of its own: on PostgreSQL a worker's start (``claim``) that held the row
        # until it committed is seen only by a new statement's snapshot.
        if conn.execute(select(_C.c.id).where(_C.c.issue_slug == issue_slug, _C.c.list_id == list_id)).first() is not None:
            raise CampaignError(
                f"the campaign of {issue_slug} to {list_name} has already started",
                hint=f"see it with `leadex-mail status {issue_slug}`",
            )
        conn.execute(_S.delete().where(_S.c.id == row.id))
        if audit is not None:
            audit.with_detail(send_at=row.send_at.astimezone(UTC).isoformat()).write(conn, utcnow())
    return Scheduled(row.id, issue_slug, list_name, row.language, row.send_at)


def waiting(store: Store, *, due_at: datetime | None = None, started: bool = False) -> list[Scheduled]:
    """The scheduled campaigns not started yet, earliest first (only those due by ``due_at`` when given).

    ``started=True``: those the schedule started instead (their campaign exists, opened at or after
    ``send_at``: a worker's). A row whose campaign a person started before its time is in neither list:
    a store made before a send by hand removed the schedule it replaced (``replace_by_hand``) keeps such
    rows, and that campaign is the person's, continued by ``send --resume``, never by a worker.
    """
    query = select(_S, MailingList.__table__.c.name.label("list_name")).join(MailingList.__table__, MailingList.__table__.c.id == _S.c.list_id)
    query = query.where(_STARTED_BY_SCHEDULE if started else ~_STARTED)
    if due_at is not None:
        query = query.where(_S.c.send_at <= due_at)
    with store.begin(write=False) as conn:
        rows = conn.execute(query.order_by(_S.c.send_at, _S.c.id)).all()
    return [_scheduled(r) for r in rows]


def _scheduled(row: Any) -> Scheduled:
    held = None
    if row.held_reason is not None:
        detail = row.held_detail or {}
        checked = datetime.fromisoformat(detail["checked"]) if detail.get("checked") else None
        held = Held(row.held_reason, row.held_at, int(detail.get("errors", 0)), tuple(detail.get("codes", ())), detail.get("inputs"), checked)
    return Scheduled(row.id, row.issue_slug, row.list_name, row.language, row.send_at, forced=row.forced, deep=row.deep, held=held)


def hold(store: Store, scheduled: Scheduled, held: Held, *, audit: Entry | None = None) -> bool:
    """Mark ``scheduled`` held (``held``: why, since when); True when it was not held before.

    The first refusal writes ``audit`` (with the reason, the error count and
    codes added to its details) in the same transaction; a send held again
    keeps its first ``held.at`` and only takes the new reason and codes (and
    ``inputs``, ``checked``: what this check read, when). A
    schedule cancelled, moved or started meanwhile is left as it is (False).
    """
    with store.writing() as conn:
        row = conn.execute(
            select(_S.c.held_reason, _S.c.held_at, _S.c.send_at, _STARTED.label("started")).where(_S.c.id == scheduled.id).with_for_update(of=_S)
        ).first()
        if row is None or row.started or row.send_at != scheduled.send_at:
            return False
        first = row.held_reason is None
        since = held.at if first else row.held_at
        conn.execute(_S.update().where(_S.c.id == scheduled.id).values(held_at=since, held_reason=held.reason, held_detail=held.stored()))
        if first and audit is not None:
            audit.with_detail(reason=held.reason, **held.detail()).write(conn, held.at)
    return first


class _Left(Exception):
    """Raised inside ``claim``'s transaction to roll it back: the worker does not start this send."""


def claim(
    store: Store, scheduled: Scheduled, content_hash: dict[str, str], subject: str, *, now: datetime, send: Entry | None = None,
) -> bool:
    """A worker's start (or resume) of ``scheduled``, decided where its campaign opens; True when it goes.

    In the one transaction that opens the campaign (``campaigns.open_campaign``,
    insert-or-get) it reads the schedule row again under a lock: a row
    cancelled, moved or replaced by a send started by hand since the round read
    it, or a campaign with nothing left to send (another sender finished it),
    is not this worker's to send -- the transaction is rolled back (no
    campaign opened) and nothing is written: False. Else ``send`` (the
    worker's audit entry) is written in it: True. So the audit log holds a
    worker's ``send`` only for a send it makes. Raises what ``open_campaign`` raises.
    """
    from leadex_mail.store.campaigns import open_campaign
    from leadex_mail.store.confirm import left_to_send

    def decide(conn: Connection, row: Any, created: bool) -> bool:
        current = conn.execute(select(_S.c.send_at).where(_S.c.id == scheduled.id).with_for_update()).first()
        if current is None or current.send_at != scheduled.send_at:
            raise _Left  # cancelled, moved, or replaced by a send by hand (its row went with it)
        if not created and not left_to_send(conn, row):
            raise _Left  # another sender finished it
        if send is not None:
            send.write(conn, now)
        return True

    try:
        open_campaign(store, scheduled.issue_slug, scheduled.list_name, content_hash, subject, now=now, decide=decide)
    except _Left:
        return False
    return True


def release(store: Store, scheduled: Scheduled) -> None:
    """End the hold of ``scheduled``: the check passes now, the worker starts it."""
    with store.writing() as conn:
        conn.execute(_S.update().where(_S.c.id == scheduled.id, _S.c.held_reason.is_not(None)).values(**_NOT_HELD))
