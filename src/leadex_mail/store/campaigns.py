"""The campaign side of the campaign store: campaigns, queueing deliveries, counts and reports.

One ``Campaign`` per (issue, list); one ``Delivery`` per eligible subscriber,
guarded by UNIQUE(campaign_id, subscriber_id), so queueing twice is harmless.
One delivery per subscriber per *issue*, too: someone on two lists who has a
delivery of the issue in one campaign is never queued in another (the first
campaign owns their delivery; its resume and retry handle it). Queueing locks
the issue's campaign rows so two campaigns of one issue queued at once by two
processes cannot both take the same person (``queue_eligible``).
A delivery moves ``queued -> sending -> sent | retry_wait | failed | skipped``.

Claiming rows under leases and recording outcomes live in ``deliveries.py``.
The campaign engine (``leadex_mail.campaign``) reaches the database only
through these two modules.

Everything here is portable SQLAlchemy Core; the only dialect-specific piece
is ``INSERT ... ON CONFLICT DO NOTHING``, for SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Mapping

from sqlalchemy import Connection, Select, Table, and_, case, func, literal, or_, select, true, update
from sqlmodel import select as orm_select

from leadex_mail.errors import CampaignError, ChangedAfterSend, NotFound, RecordsAnonymised
from leadex_mail.store.upsert import upsert_insert
from leadex_mail.store.db import Store
from leadex_mail.store.issuelock import lock_issue, not_delivered_in, other_campaigns, refuse_forgotten_issue, skip_owned_elsewhere, taken_elsewhere
from leadex_mail.store.languages import edition_for
from leadex_mail.store.lists import get_list
from leadex_mail.store.models import DELIVERY_STATES, Campaign, Delivery, MailingList, Subscriber, Subscription, utcnow

if TYPE_CHECKING:
    from leadex_mail.store.accounts import Entry

_D = Delivery.__table__
_C = Campaign.__table__
_CHUNK = 5_000  # rows per INSERT statement: large enough to amortise, small enough for SQLite's variable limit
_ACTIVE = ("queued", "sending", "retry_wait")
ACTIVE_STATES = _ACTIVE  # deliveries not over yet


# --- campaigns -------------------------------------------------------------


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


def open_campaign(
    store: Store, issue_slug: str, list_name: str, content_hash: Mapping[str, str], subject: str, *, now: datetime | None = None,
    by_hand: Entry | None = None, decide: Callable[[Connection, Any, bool], bool] | None = None,
) -> Campaign:
    """Create the campaign of (issue, list), or return the existing one to resume it.

    ``by_hand``: a person starts (or resumes) it now -- the studio's "Send now",
    the command line's ``send`` -- so a send scheduled for that (issue, list)
    is replaced: its row is removed in the same transaction and this audit
    entry (``send_unschedule`` by them) written with it, ``send_at`` (UTC) and
    ``replaced_by: "send"`` added. A worker then never takes the campaign over
    (``store.schedule.waiting(started=True)`` no longer lists it).

    Insert-or-get: ``INSERT … ON CONFLICT DO NOTHING`` on the unique (issue,
    list) key, then the row read under a lock, so any number of processes
    starting the same campaign at once all get the one campaign.

    ``content_hash`` maps language -> edition hash. Resuming after an edition
    changed is refused once any of its deliveries was sent: recipients would
    get different versions of one campaign.
    """
    list_id: int = get_list(store, list_name).id  # type: ignore[assignment]
    refuse_forgotten_issue(store, issue_slug, list_id)
    now = now or utcnow()
    values = dict(issue_slug=issue_slug, list_id=list_id, content_hash=json.dumps(dict(content_hash), sort_keys=True), subject=subject, status="running", created_at=now, updated_at=now)
    with store.writing() as conn:
        created = conn.execute(upsert_insert(conn, _C).values(**values).on_conflict_do_nothing(index_elements=["issue_slug", "list_id"])).rowcount
        row = conn.execute(select(_C).where(_C.c.issue_slug == issue_slug, _C.c.list_id == list_id).with_for_update()).one()
        if not created:
            refuse_anonymised(row)
            merged = _check_content(conn, row, content_hash)
            conn.execute(update(_C).where(_C.c.id == row.id).values(content_hash=json.dumps(merged, sort_keys=True), updated_at=now))
        go = decide(conn, row, bool(created)) if decide is not None else True
        if by_hand is not None and go:
            from leadex_mail.store.schedule import replace_by_hand

            replace_by_hand(conn, issue_slug, list_id, by_hand, now)
    return get_campaign(store, row.id)


def refuse_anonymised(campaign: object) -> None:
    """Refuse to resume a campaign whose deliveries retention anonymised: nobody can tell who already got it."""
    when = getattr(campaign, "anonymised_at", None)
    if when is not None:
        slug = getattr(campaign, "issue_slug", "")
        raise RecordsAnonymised(
            f"issue {slug!r} was sent to this list long ago and its delivery records were anonymised on {when:%Y-%m-%d}"
            " (delivery_retention_days): resuming it would send it again to everyone",
            hint="publish what is new as a new issue (a new folder/slug)", when=when,
        )


def _check_content(conn: Connection, row, content_hash: Mapping[str, str]) -> dict[str, str]:  # noqa: ANN001 (a Row)
    refusal = _changed_after_send(conn, row, content_hash)
    if refusal is not None:
        raise refusal
    return {**json.loads(row.content_hash or "{}"), **content_hash}


def _changed_after_send(conn: Connection, row, content_hash: Mapping[str, str]) -> ChangedAfterSend | None:  # noqa: ANN001 (a Row)
    stored: dict[str, str] = json.loads(row.content_hash or "{}")
    changed = sorted(lang for lang, h in content_hash.items() if stored.get(lang) not in (None, h))
    if not changed:
        return None
    sent = conn.execute(
        select(func.count()).select_from(_D).where(_D.c.campaign_id == row.id, _D.c.language.in_(changed), _D.c.state.in_(("sent", "sending")))
    ).scalar_one()
    if not sent:
        return None
    return ChangedAfterSend(
        f"issue {row.issue_slug!r} changed ({', '.join(changed)} edition) after {sent} of its messages were sent",
        hint="undo the change to finish sending the version people already got, or publish the change as a new issue (a new folder/slug)",
        languages=tuple(changed), sent=sent, started=row.created_at,
    )


def check_unchanged(store: Store, campaign_id: int, content_hash: Mapping[str, str]) -> None:
    """Raise ``ChangedAfterSend`` when resuming the campaign with these edition hashes would be refused (read only).

    The same rule as ``open_campaign`` applies when it resumes: plans and
    reviews say it before anyone confirms the send.
    """
    with store.begin(write=False) as conn:
        row = conn.execute(select(_C).where(_C.c.id == campaign_id)).one()
        refusal = _changed_after_send(conn, row, content_hash)
    if refusal is not None:
        raise refusal


def get_campaign(store: Store, campaign_id: int) -> Campaign:
    """The campaign with this id (NotFound otherwise)."""
    with store.session(write=False) as session:
        campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"there is no campaign {campaign_id}")
    return campaign


def settle_status(store: Store, campaign_id: int, paused_reason: str | None, *, now: datetime) -> str:
    """Set and return the status a run leaves: paused (with the reason), done, or running.

    The campaign row is locked first, then the unfinished deliveries are
    counted and the status written, in one transaction. Every run settles
    after committing its own outcomes, so whichever settles last counts
    everyone's final rows, under any interleaving: a campaign is never left
    "running" with everything sent (SQLite's write lock serialises the whole
    transaction; on PostgreSQL the row lock makes a concurrent settle wait,
    and its count then sees what the other committed). A pause by another
    process stands while deliveries are left.
    """
    with store.writing() as conn:
        current = conn.execute(select(_C.c.status, _C.c.paused_reason).where(_C.c.id == campaign_id).with_for_update()).one()
        left = conn.execute(select(func.count()).select_from(_D).where(_D.c.campaign_id == campaign_id, _D.c.state.in_(_ACTIVE))).scalar_one()
        if paused_reason is None and current.status == "paused" and left:
            paused_reason = current.paused_reason
        status = "paused" if paused_reason else ("done" if left == 0 else "running")
        conn.execute(update(_C).where(_C.c.id == campaign_id).values(status=status, paused_reason=paused_reason, updated_at=now))
    return status


def paused_reason(store: Store, campaign_id: int) -> str | None:
    """Why the campaign is paused (None: it is not), as another process may have set it meanwhile."""
    with store.begin(write=False) as conn:
        row = conn.execute(select(_C.c.status, _C.c.paused_reason).where(_C.c.id == campaign_id)).one()
    return (row.paused_reason or "paused") if row.status == "paused" else None


def set_status(store: Store, campaign_id: int, status: str, reason: str | None = None, *, now: datetime | None = None) -> None:
    """Set a campaign's status (running, paused with a reason, done)."""
    with store.writing() as conn:
        conn.execute(update(_C).where(_C.c.id == campaign_id).values(status=status, paused_reason=reason, updated_at=now or utcnow()))


# --- queueing ------------------------------------------------------------------


_QUEUED = {"state": "queued", "attempts": 0, "uncertain": False}
_CONFLICT = ["campaign_id", "subscriber_id"]


def eligible_select(list_id: int) -> Select:
    """(subscriber id, language) of everyone who may be mailed on the list, as SQL.

    The store's rule (``store.queries.eligible_subscribers``): active, with an
    active subscription to the list. Suppressed addresses need no check here:
    the store never keeps a suppressed address active. A test compares both.
    """
    s, sub = Subscriber.__table__, Subscription.__table__
    return (
        select(s.c.id, s.c.language)
        .join(sub, sub.c.subscriber_id == s.c.id)
        .where(sub.c.list_id == list_id, sub.c.status == "active", s.c.status == "active")
    )


def queue_eligible(store: Store, campaign: Campaign, editions: Collection[str], default_language: str, *, conn: Connection | None = None) -> int:
    """Queue one delivery per eligible subscriber of the campaign's list in one statement; return how many were new.

    Each gets their own language's edition when the issue has it (RFC 4647
    lookup: ``en-GB`` gets ``en``), else ``default_language``. ``INSERT ...
    SELECT`` keeps 100 000 rows inside the database (no Python objects per
    row), and the unique key makes repeating it on every resume harmless.
    Subscribers with a delivery of the same issue in another campaign (any
    state) are left out: one delivery per recipient per issue
    (``_queueable``). ``conn``: run inside the caller's write transaction
    (the issue's locks last until it commits); default: a transaction of its own.
    """
    stamp = func.current_timestamp()
    columns = ["campaign_id", "subscriber_id", "language", "state", "attempts", "uncertain", "created_at", "updated_at"]
    with _writing(store, conn) as conn:
        eligible = _queueable(conn, campaign)
        # The few distinct languages are mapped here, so the statement is a plain CASE on any database.
        own = [lang for (lang,) in conn.execute(select(eligible.c.language).distinct())]
        mapping = {lang: edition_for(lang, editions, default_language) for lang in own}
        edition = case(mapping, value=eligible.c.language, else_=literal(default_language)) if mapping else literal(default_language)
        rows = select(literal(campaign.id), eligible.c.id, edition, literal("queued"), literal(0), literal(False), stamp, stamp).where(true())
        stmt = upsert_insert(conn, _D).from_select(columns, rows).on_conflict_do_nothing(index_elements=_CONFLICT)
        return conn.execute(stmt).rowcount


@contextmanager
def _writing(store: Store, conn: Connection | None) -> Iterator[Connection]:
    """The caller's transaction on ``conn``, or a write transaction of its own."""
    if conn is not None:
        yield conn
        return
    with store.writing() as own:
        yield own


def _queueable(conn: Connection, campaign: Campaign) -> Any:
    """The campaign list's eligible subscribers (id, language) without a delivery of the issue elsewhere, as a subquery.

    The issue's campaign rows are locked first (``lock_issue``): on
    PostgreSQL the ``NOT EXISTS`` of a statement cannot see rows another
    transaction has not committed, so two campaigns of one issue queued at
    the same moment would both take the people on both lists. Behind the
    lock the second waits, then sees the first's rows. On SQLite ``BEGIN
    IMMEDIATE`` already serialises the whole transaction. Waiting rows of
    this campaign that an earlier delivery of the issue owns are skipped.
    """
    others = lock_issue(conn, campaign)
    query = eligible_select(campaign.list_id)
    if others:
        skip_owned_elsewhere(conn, campaign.id, others)  # type: ignore[arg-type]
        query = query.where(not_delivered_in(others, Subscriber.__table__.c.id))
    return query.subquery()


def todo_by_language(store: Store, list_id: int, campaign_id: int | None, issue_slug: str | None = None) -> dict[str, int]:
    """Eligible subscribers (by their own language) whose delivery of the campaign is not over.

    Counted in the database, for the confirmation prompt: no list of 100 000
    people is loaded just to say how many there are. With ``issue_slug``,
    people whose delivery of the issue belongs to another campaign (its
    earliest: ``overlap.delivered_elsewhere``) are not counted: this
    campaign will not mail them.
    """
    eligible = eligible_select(list_id).subquery()
    mine = campaign_id or 0
    done = (
        select(_D.c.subscriber_id)
        .where(_D.c.campaign_id == mine, _D.c.state.in_(("sent", "failed", "skipped")), _D.c.subscriber_id.is_not(None))
        .scalar_subquery()
    )
    query = select(eligible.c.language, func.count()).where(eligible.c.id.not_in(done)).group_by(eligible.c.language)
    with store.begin(write=False) as conn:
        others = other_campaigns(conn, issue_slug, campaign_id) if issue_slug else []
        if others:
            # The earliest delivery of the issue owns the person: left out when another campaign's row is older than any of ours.
            theirs, here = _D.alias("theirs"), _D.alias("here")
            ours_first = select(here.c.id).where(here.c.campaign_id == mine, here.c.subscriber_id == eligible.c.id, here.c.id < theirs.c.id).exists()
            query = query.where(~select(theirs.c.id).where(theirs.c.subscriber_id == eligible.c.id, theirs.c.campaign_id.in_(others), ~ours_first).exists())
        return {language: n for language, n in conn.execute(query)}


def queue_deliveries(store: Store, campaign: Campaign, eligible: Iterable[tuple[int, str]], language_for: Mapping[str, str] | None = None) -> int:
    """Queue one delivery per ``(subscriber_id, language)``; return how many were new.

    The explicit-list form of ``queue_eligible``, under the same lock and
    rule (people with a delivery of the issue in another campaign are left
    out): ``language_for`` maps a subscriber's language to the edition they
    get (missing: as is). Rows carry only subscriber_id and language; the
    constant columns and the database's own clock are part of the statement.
    """
    mapping = language_for or {}
    added = 0
    with store.writing() as conn:
        taken = taken_elsewhere(conn, campaign)
        stamp = func.current_timestamp()
        stmt = upsert_insert(conn, _D).values(campaign_id=campaign.id, created_at=stamp, updated_at=stamp, **_QUEUED).on_conflict_do_nothing(index_elements=_CONFLICT)
        chunk: list[dict] = []
        for subscriber_id, language in (e for e in eligible if e[0] not in taken):
            chunk.append({"subscriber_id": subscriber_id, "language": mapping.get(language, language)})
            if len(chunk) >= _CHUNK:
                added += conn.execute(stmt, chunk).rowcount
                chunk = []
        if chunk:
            added += conn.execute(stmt, chunk).rowcount
    return added


# Failures worth another try later (``retry``): not hard bounces, not held uncertain ones (``retry --uncertain``).
RETRYABLE_KINDS = ("temporary", "soft", "rejected")


def requeue_failed(
    store: Store, campaign: Campaign, *, kinds: Collection[str] = RETRYABLE_KINDS, now: datetime | None = None, audit: Entry | None = None,
) -> int:
    """Put deliveries that failed with one of ``kinds`` back in the queue (``retry``); return how many.

    They keep their ``uncertain`` flag: someone who may have it already still may.
    ``audit``: written in the same transaction when there is anything to send
    (re-queued or still waiting), with ``to_retry`` (how many) added to its details.
    """
    refuse_anonymised(campaign)
    now = now or utcnow()
    with store.writing() as conn:
        result = conn.execute(
            update(_D)
            .where(_D.c.campaign_id == campaign.id, _D.c.state == "failed", _D.c.error_kind.in_(sorted(kinds)))
            .values(state="queued", attempts=0, next_attempt_at=None, error_kind=None, updated_at=now)
        )
        if result.rowcount:
            conn.execute(update(_C).where(_C.c.id == campaign.id).values(status="running", paused_reason=None, updated_at=now))
        if audit is not None:
            waiting = conn.execute(select(func.count()).select_from(_D).where(_D.c.campaign_id == campaign.id, _D.c.state.in_(_ACTIVE))).scalar_one()
            if waiting:
                audit.with_detail(to_retry=waiting).write(conn, now)
    return result.rowcount


def retryable_failures(store: Store, campaign_id: int, kinds: Collection[str] = RETRYABLE_KINDS) -> int:
    """How many deliveries ``requeue_failed`` with ``kinds`` would put back in the queue now (read only)."""
    with store.begin(write=False) as conn:
        return conn.execute(
            select(func.count()).select_from(_D).where(_D.c.campaign_id == campaign_id, _D.c.state == "failed", _D.c.error_kind.in_(sorted(kinds)))
        ).scalar_one()


def requeue_rejected(store: Store, campaign_id: int, delivery_ids: Collection[int], *, now: datetime | None = None) -> int:
    """Put rejected or bounced deliveries back in the queue (the run of identical rejections or bounces that paused the campaign)."""
    if not delivery_ids:
        return 0
    with store.writing() as conn:
        return conn.execute(
            update(_D)
            .where(
                _D.c.campaign_id == campaign_id, _D.c.id.in_(sorted(delivery_ids)), _D.c.state == "failed",
                _D.c.error_kind.in_(("rejected", "permanent")),
            )
            .values(state="queued", error_kind=None, next_attempt_at=None, updated_at=now or utcnow())
        ).rowcount


# --- reading ------------------------------------------------------------------------


def state_counts(store: Store, campaign_id: int) -> dict[str, int]:
    """Deliveries per state (every state present, zeros included), plus ``uncertain`` and ``held``.

    ``uncertain``: flagged deliveries in any state; ``held``: those of them
    failed unsent (``send_uncertain = "hold"``): they may have the issue
    once, or not at all, never twice.
    """
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    mine = _D.c.campaign_id == campaign_id
    with store.begin(write=False) as conn:
        rows = conn.execute(select(_D.c.state, func.count()).where(mine).group_by(_D.c.state)).all()
        uncertain = conn.execute(select(func.count()).select_from(_D).where(mine, _D.c.uncertain.is_(True))).scalar_one()
        held = conn.execute(select(func.count()).select_from(_D).where(mine, _D.c.state == "failed", _D.c.error_kind == "uncertain")).scalar_one()
    counts.update({state: n for state, n in rows})
    counts["uncertain"] = uncertain
    counts["held"] = held
    return counts


@dataclass(frozen=True)
class Pending:
    """What is left for a runner whose claim came back empty."""

    waiting_retries: int  # retry_wait rows not yet due
    next_due: datetime | None  # when the earliest of them is due
    held_elsewhere: int  # unfinished rows under a live lease of another process (``owner``'s own workers' are left out)
    claimable: int = 0  # queued, due, or under an expired lease: claimable now (another claim held them a moment)
    lease_ends: datetime | None = None  # when the first of those other leases runs out


def pending(store: Store, campaign_id: int, owner: str, *, now: datetime | None = None, language: str | None = None) -> Pending:
    """Summarise the rows of the campaign that are not finished, as a runner with nothing claimed sees them at ``now``.

    A runner stops only when nothing is claimable, due later or leased by
    anyone else: rows under another sender's live lease are that sender's
    to finish, or, when it died, the runner's once the lease runs out.
    """
    now = now or utcnow()
    conds = [_D.c.campaign_id == campaign_id]
    if language:
        conds.append(_D.c.language == language)
    state, due, expired = _D.c.state, _D.c.next_attempt_at <= now, _D.c.lease_expires_at < now
    free = or_(_D.c.lease_expires_at.is_(None), expired)
    claimable = or_(and_(state == "queued", free), and_(state == "retry_wait", due, free), and_(state == "sending", expired))
    # This process's other workers finish their own rows (if the process dies, so does this runner): not waited for.
    ours = or_(_D.c.lease_owner == owner, _D.c.lease_owner.startswith(owner.split("/", 1)[0] + "/", autoescape=True))
    live_elsewhere = and_(state.in_(_ACTIVE), ~ours, _D.c.lease_expires_at >= now)
    with store.begin(write=False) as conn:
        waiting, first = conn.execute(select(func.count(), func.min(_D.c.next_attempt_at)).where(*conds, state == "retry_wait", ~due)).one()
        held, ends = conn.execute(select(func.count(), func.min(_D.c.lease_expires_at)).where(*conds, live_elsewhere)).one()
        ready = conn.execute(select(func.count()).select_from(_D).where(*conds, claimable)).scalar_one()
    return Pending(waiting, first, held, ready, ends)


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
    uncertain: bool = False  # may have arrived already (a lost reply, a crash)


def failures(store: Store, campaign_id: int, limit: int = 50) -> list[Failure]:
    """Failed, skipped and waiting deliveries with their reasons (erased people have no address)."""
    return _deliveries(store, campaign_id, _D.c.state.in_(("failed", "skipped", "retry_wait")), limit)


def uncertain_sent(store: Store, campaign_id: int, limit: int = 50) -> list[Failure]:
    """Sent deliveries marked uncertain: these people may have received the issue twice."""
    return _deliveries(store, campaign_id, and_(_D.c.state == "sent", _D.c.uncertain.is_(True)), limit)


def _deliveries(store: Store, campaign_id: int, condition: Any, limit: int) -> list[Failure]:
    s = Subscriber.__table__
    query = (
        select(s.c.email, _D.c.language, _D.c.state, _D.c.error_kind, _D.c.attempts, _D.c.last_reply, _D.c.uncertain)
        .select_from(_D.outerjoin(s, s.c.id == _D.c.subscriber_id))
        .where(_D.c.campaign_id == campaign_id, condition)
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
