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
from typing import TYPE_CHECKING

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


@dataclass(frozen=True)
class Scheduled:
    """A campaign waiting for its time."""

    id: int
    issue_slug: str
    list_name: str
    language: str | None  # only this edition (None: every edition)
    send_at: datetime  # UTC
    replaced: bool = False  # (schedule_send) it replaced an earlier time


def schedule_send(
    store: Store, issue_slug: str, list_name: str, send_at: datetime, *, language: str | None = None, now: datetime, audit: Entry | None = None,
) -> Scheduled:
    """Store that (issue, list) is to be sent at ``send_at`` (aware, any zone; stored in UTC); a second call moves the time.

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
        if row is None:
            new_id = conn.execute(_S.insert().values(issue_slug=issue_slug, list_id=list_id, language=language, send_at=send_at, created_at=now)).inserted_primary_key[0]  # type: ignore[index]
        else:
            new_id = row.id
            conn.execute(_S.update().where(_S.c.id == row.id).values(language=language, send_at=send_at))
        if audit is not None:
            audit.with_detail(moved=row is not None).write(conn, now)
    return Scheduled(new_id, issue_slug, list_name, language, send_at, replaced=row is not None)


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
        row = conn.execute(select(_S, _STARTED.label("started")).where(_S.c.issue_slug == issue_slug, _S.c.list_id == list_id).with_for_update(of=_S)).first()
        if row is None:
            raise NotFound(f"nothing is scheduled for {issue_slug} to {list_name}", hint="`leadex-mail status` lists the scheduled campaigns")
        if row.started:
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

    ``started=True``: those already started instead (their campaign exists).
    """
    query = select(_S, MailingList.__table__.c.name.label("list_name")).join(MailingList.__table__, MailingList.__table__.c.id == _S.c.list_id)
    query = query.where(_STARTED if started else ~_STARTED)
    if due_at is not None:
        query = query.where(_S.c.send_at <= due_at)
    with store.begin(write=False) as conn:
        rows = conn.execute(query.order_by(_S.c.send_at, _S.c.id)).all()
    return [Scheduled(r.id, r.issue_slug, r.list_name, r.language, r.send_at) for r in rows]
