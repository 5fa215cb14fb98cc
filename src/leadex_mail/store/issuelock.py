"""One delivery per recipient per issue: the issue's lock and who another campaign of the issue already has.

A campaign is one (issue, list); someone on two lists must still get an
issue once. Queueing (``campaigns.queue_eligible``, ``queue_deliveries``)
locks every campaign row of the issue first (``lock_issue``), then leaves
out whoever has a delivery of the issue in another campaign
(``not_delivered_in``): the earliest delivery of an issue owns the person.
Portable SQLAlchemy Core (SQLite, PostgreSQL); the counts for plans and
reports are in ``overlap.py``.
"""

from __future__ import annotations

from typing import Any, Collection

from sqlalchemy import Connection, func, select, update

from leadex_mail.errors import RecordsAnonymised
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, Delivery, MailingList

_D = Delivery.__table__
_C = Campaign.__table__


def refuse_forgotten_issue(store: Store, issue_slug: str, list_id: int) -> None:
    """Refuse a new campaign of an issue whose campaign to another list was anonymised: nobody can tell who on both lists has it.

    Raises ``RecordsAnonymised`` (a ``CampaignError``); an existing campaign of (issue, list) is not refused here (``refuse_anonymised`` is its rule).
    """
    lists, mine = MailingList.__table__, _C.alias("mine")
    exists_here = select(mine.c.id).where(mine.c.issue_slug == issue_slug, mine.c.list_id == list_id).exists()
    query = (
        select(lists.c.name, _C.c.anonymised_at).join(lists, lists.c.id == _C.c.list_id)
        .where(_C.c.issue_slug == issue_slug, _C.c.list_id != list_id, _C.c.anonymised_at.is_not(None), ~exists_here).order_by(_C.c.id).limit(1)
    )
    with store.begin(write=False) as conn:
        row = conn.execute(query).first()
    if row is not None:
        raise RecordsAnonymised(
            f"issue {issue_slug!r} was sent to the list {row.name!r} long ago and those delivery records were anonymised on"
            f" {row.anonymised_at:%Y-%m-%d} (delivery_retention_days): nobody can tell who on both lists already has it",
            hint="publish what is new as a new issue (a new folder/slug)", list_name=row.name, when=row.anonymised_at,
        )


SKIPPED_ELSEWHERE = "not sent: this person has this issue through its campaign to another list (one delivery per person per issue)"


def skip_owned_elsewhere(conn: Connection, campaign_id: int, others: Collection[int]) -> int:
    """Skip this campaign's waiting rows whose subscriber has an older delivery of the issue elsewhere; return how many.

    Only campaigns queued before the one-per-issue rule hold such rows: the
    earliest delivery of an issue owns the person. Rows in flight stay.
    """
    older = _D.alias("older")
    owned = select(older.c.id).where(older.c.subscriber_id == _D.c.subscriber_id, older.c.campaign_id.in_(sorted(others)), older.c.id < _D.c.id).exists()
    return conn.execute(
        update(_D)
        .where(_D.c.campaign_id == campaign_id, _D.c.state.in_(("queued", "retry_wait")), _D.c.subscriber_id.is_not(None), owned)
        # Its lease goes too: a sender holding the row can no longer hand it over (``deliveries``: start needs the lease).
        .values(state="skipped", next_attempt_at=None, lease_owner=None, lease_expires_at=None, last_reply=SKIPPED_ELSEWHERE,
                updated_at=func.current_timestamp())
    ).rowcount


def lock_issue(conn: Connection, campaign: Campaign) -> list[int]:
    """Lock every campaign row of the campaign's issue (its own included, in id order); return the other campaigns' ids.

    Every queueing of an issue takes these locks before it reads who has
    the issue already, so queueings of one issue never overlap (PostgreSQL
    ``SELECT … FOR UPDATE``; on SQLite the clause is dropped and the write
    transaction's database lock does the same). Two queueings always share
    a row: each campaign row is committed before its queueing starts, so
    whichever locks second sees both. Ordered by id, so they never deadlock.
    """
    ids = conn.execute(select(_C.c.id).where(_C.c.issue_slug == campaign.issue_slug).order_by(_C.c.id).with_for_update()).scalars().all()
    return [i for i in ids if i != campaign.id]


def not_delivered_in(others: Collection[int], subscriber_id: Any) -> Any:
    """SQL: the subscriber has no delivery in any of the campaigns ``others`` (the unique key's index answers it)."""
    theirs = _D.alias("theirs")  # an alias: never correlated with a delivery table of the enclosing statement
    return ~select(theirs.c.id).where(theirs.c.subscriber_id == subscriber_id, theirs.c.campaign_id.in_(sorted(others))).exists()


def other_campaigns(conn: Connection, issue_slug: str, campaign_id: int | None) -> list[int]:
    """Ids of the issue's campaigns other than ``campaign_id`` (read only: for counts, not queueing)."""
    return list(conn.execute(select(_C.c.id).where(_C.c.issue_slug == issue_slug, _C.c.id != (campaign_id or 0))).scalars())


def taken_elsewhere(conn: Connection, campaign: Campaign) -> set[int]:
    """Subscribers with a delivery of the campaign's issue in another campaign, read under the issue's lock (``lock_issue``)."""
    others = lock_issue(conn, campaign)
    return set(conn.execute(select(_D.c.subscriber_id).where(_D.c.campaign_id.in_(others))).scalars()) if others else set()
