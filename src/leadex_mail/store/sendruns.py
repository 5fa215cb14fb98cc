"""The runs of a campaign as its messages' times show them: for a rate over the time spent sending, never the time it stood still.

A campaign stopped (Ctrl-C, a kill, a store lost) and resumed later is
sent in several runs. Its average rate between the first and the last
message sent counted the hours it stood still (a15 M11: "0.2 a second" at a
limit of 60/min). Each run of any face starts with its ``send`` entry in the
audit log (``campaign.audit``), so those entries' times split the
campaign's sent messages into runs:

    windows = sent_runs(store, campaign_id)   # [SentRun(first, last, count), ...], oldest first

A send with no audit entry (a library caller without an actor) is one run
with the run before it. Read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from leadex_mail.store.db import Store
from leadex_mail.store.models import AuditEvent, Campaign, Delivery, MailingList

_D = Delivery.__table__
_A = AuditEvent.__table__
_C = Campaign.__table__
_L = MailingList.__table__


@dataclass(frozen=True)
class SentRun:
    """The messages one run sent: when its first and last went out (UTC), and how many."""

    first: datetime
    last: datetime
    count: int

    @property
    def seconds(self) -> float:
        return (self.last - self.first).total_seconds()


def sent_runs(store: Store, campaign_id: int) -> list[SentRun]:
    """The sent messages of the campaign, split at the times its runs started (its ``send`` entries); runs with nothing sent left out."""
    with store.begin(write=False) as conn:
        row = conn.execute(select(_C.c.issue_slug, _L.c.name).join(_L, _L.c.id == _C.c.list_id).where(_C.c.id == campaign_id)).first()
        if row is None:
            return []
        target = f"{row.issue_slug} -> {row.name}"  # campaign.audit.send_target
        starts = sorted(conn.execute(select(_A.c.at).where(_A.c.action == "send", _A.c.target == target)).scalars())
        bounds: list[datetime | None] = [None, *starts[1:], None]  # the first run: everything before the second start
        runs = []
        for since, until in zip(bounds, bounds[1:]):
            query = select(func.min(_D.c.sent_at), func.max(_D.c.sent_at), func.count()).where(_D.c.campaign_id == campaign_id, _D.c.sent_at.is_not(None))
            if since is not None:
                query = query.where(_D.c.sent_at >= since)
            if until is not None:
                query = query.where(_D.c.sent_at < until)
            first, last, count = conn.execute(query).one()
            if count:
                runs.append(SentRun(first, last, int(count)))
    return runs


def sending_rate(runs: list[SentRun]) -> float:
    """Messages a second over the time spent sending: each run's gaps between its first and last message, summed; 0.0 when none."""
    seconds = sum(r.seconds for r in runs)
    return sum(r.count - 1 for r in runs) / seconds if seconds > 0 else 0.0
