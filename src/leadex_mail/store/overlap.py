"""One delivery per recipient per issue: who a campaign leaves to the issue's campaign to another list.

Someone on two lists gets an issue once: the first campaign of the issue
that queues them owns their delivery (``campaigns.queue_eligible`` leaves
them out of the others). These counts say so in the confirmation, the
report and ``status``, counted in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from leadex_mail.store.campaigns import ACTIVE_STATES, eligible_select
from leadex_mail.store.issuelock import other_campaigns
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, Delivery, MailingList

_D = Delivery.__table__
_C = Campaign.__table__


@dataclass(frozen=True)
class OtherList:
    """People on a campaign's list whose delivery of the issue belongs to the issue's campaign to another list."""

    list_name: str  # the other campaign's list
    received: int  # sent there
    pending: int  # queued, being sent or waiting to retry there
    not_sent: int  # failed or skipped there (its ``retry`` handles the failures)

    @property
    def total(self) -> int:
        """People this campaign leaves to the other one."""
        return self.received + self.pending + self.not_sent


def delivered_elsewhere(store: Store, issue_slug: str, list_id: int, campaign_id: int | None) -> list[OtherList]:
    """Per other list: how many eligible people of ``list_id`` have their delivery of the issue in that list's campaign.

    A person's delivery of an issue is their earliest (lowest id) in any of
    the issue's campaigns: queueing never adds a second, and rows queued
    before that rule wait skipped (``campaigns.queue_eligible``). Counted in
    the database; sorted by list name.
    """
    eligible = eligible_select(list_id).subquery()
    lists, owner = MailingList.__table__, _D.alias("owner")
    with store.begin(write=False) as conn:
        others = other_campaigns(conn, issue_slug, campaign_id)
        if not others:
            return []
        first = (
            select(func.min(owner.c.id))
            .join(eligible, eligible.c.id == owner.c.subscriber_id)
            .where(owner.c.campaign_id.in_([*others, campaign_id or 0]))
            .group_by(owner.c.subscriber_id)
        )
        query = (
            select(lists.c.name, _D.c.state, func.count())
            .select_from(_D.join(_C, _C.c.id == _D.c.campaign_id).join(lists, lists.c.id == _C.c.list_id))
            .where(_D.c.id.in_(first), _D.c.campaign_id.in_(others))
            .group_by(lists.c.name, _D.c.state)
        )
        rows = conn.execute(query).all()
    by_list: dict[str, list[int]] = {}
    for name, state, n in rows:
        counts = by_list.setdefault(name, [0, 0, 0])
        counts[0 if state == "sent" else 1 if state in ACTIVE_STATES else 2] += n
    return [OtherList(name, *counts) for name, counts in sorted(by_list.items())]


def owned_elsewhere(store: Store, issue_slug: str, campaign_id: int | None) -> set[int]:
    """Subscribers whose delivery of the issue (their earliest) is in another campaign (``send --dry-run`` leaves them out)."""
    with store.begin(write=False) as conn:
        others = other_campaigns(conn, issue_slug, campaign_id)
        if not others:
            return set()
        first = select(_D.c.subscriber_id, func.min(_D.c.id)).where(_D.c.subscriber_id.is_not(None)).group_by(_D.c.subscriber_id)
        theirs = dict(conn.execute(first.where(_D.c.campaign_id.in_(others))).all())
        ours = dict(conn.execute(first.where(_D.c.campaign_id == (campaign_id or 0))).all())
    return {sid for sid, first_id in theirs.items() if sid not in ours or first_id < ours[sid]}


def joined_since(store: Store, issue_slug: str, list_id: int, campaign_id: int) -> int:
    """How many people on ``list_id`` who may be mailed now that campaign ``campaign_id`` has never queued: those who
    joined the list (or came back to it) since it started, whom resuming it sends the issue to as well.

    People with a delivery of the issue in another campaign are not counted: that one owns them.
    """
    from leadex_mail.store.issuelock import not_delivered_in

    eligible = eligible_select(list_id).subquery()
    with store.begin(write=False) as conn:
        campaigns = [campaign_id, *other_campaigns(conn, issue_slug, campaign_id)]
        return int(conn.execute(select(func.count()).select_from(eligible).where(not_delivered_in(campaigns, eligible.c.id))).scalar_one())
