"""A person's confirmation of a send, decided in the transaction that opens its campaign, with its audit entry.

    decision = confirm_send(store, slug, "newsletter", hashes, subject, expect_new=True, send=Entry(...), refused=Entry(...))

Two studios (two processes) or a studio and a terminal confirming one send
at once used to decide each on what it had read before: both saw no campaign
and both recorded ``send``. Here the decision is made where the campaign is
opened (``campaigns.open_campaign``'s insert-or-get: the SQLite write lock, on
PostgreSQL the unique key and the campaign row's lock, serialise them), and its audit entry
is written in that same transaction, so every confirmation has exactly one
entry and the store one campaign:

- it opened the campaign: ``send`` -- go;
- the campaign exists and nothing is left to send (every delivery over,
  nobody on the list not yet queued): ``send_refused`` (``reason: "nothing_left"``);
- it was a confirmation of a new send and the campaign exists: another
  confirmation opened it first: ``send_refused`` (``reason: "started_elsewhere"``);
- else (a resume with something left): ``send`` -- go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

from sqlalchemy import Connection, func, select

from leadex_mail.store.campaigns import ACTIVE_STATES, eligible_select, open_campaign
from leadex_mail.store.db import Store
from leadex_mail.store.issuelock import not_delivered_in, other_campaigns
from leadex_mail.store.models import Delivery, utcnow

if TYPE_CHECKING:
    from leadex_mail.store.accounts import Entry

_D = Delivery.__table__


@dataclass(frozen=True)
class Confirmed:
    """What a confirmation decided: ``go`` (its ``send`` is written) or not, and why not (``started_elsewhere`` | ``nothing_left``)."""

    go: bool
    reason: str | None = None
    campaign_id: int | None = None


def left_to_send(conn: Connection, campaign: Any) -> int:
    """In ``conn``: the campaign's deliveries not over, plus people on its list it never queued who may be mailed (and nobody else owns)."""
    active = conn.execute(select(func.count()).select_from(_D).where(_D.c.campaign_id == campaign.id, _D.c.state.in_(ACTIVE_STATES))).scalar_one()
    eligible = eligible_select(campaign.list_id).subquery()
    owners = [campaign.id, *other_campaigns(conn, campaign.issue_slug, campaign.id)]
    joined = conn.execute(select(func.count()).select_from(eligible).where(not_delivered_in(owners, eligible.c.id))).scalar_one()
    return int(active) + int(joined)


def confirm_send(
    store: Store, issue_slug: str, list_name: str, content_hash: Mapping[str, str], subject: str, *, expect_new: bool,
    send: Entry, refused: Entry, by_hand: Entry | None = None, now: datetime | None = None,
) -> Confirmed:
    """Decide a person's confirmation of sending ``issue_slug`` to ``list_name`` and write its one audit entry (see the module).

    ``expect_new``: the confirmed page showed no campaign (a new send, not
    "Resume the send"). ``send``/``refused``: the entries written for go or
    not (``reason`` added to the refusal's details). ``by_hand``: the
    ``send_unschedule`` written when a go replaces a scheduled send
    (``open_campaign``). Raises what ``open_campaign`` raises
    (``ChangedAfterSend``, ``RecordsAnonymised``, ``NotFound``); then nothing is written.
    """
    now = now or utcnow()
    said: list[Confirmed] = []

    def decide(conn: Connection, row: Any, created: bool) -> bool:
        if created:
            reason = None
        elif not left_to_send(conn, row):
            reason = "nothing_left"
        else:
            reason = "started_elsewhere" if expect_new else None
        (send if reason is None else refused.with_detail(reason=reason)).write(conn, now)
        said.append(Confirmed(reason is None, reason, row.id))
        return reason is None

    open_campaign(store, issue_slug, list_name, content_hash, subject, now=now, by_hand=by_hand, decide=decide)
    return said[0]

