"""A campaign's rate covers the time spent sending, each run, never the time a stopped send stood still before its resume.

The finding: after a resume the live rate said "16 of 52 handled, 0.2 a
second" at a limit of 60/min: it was taken between the campaign's first and
last message, the stop included. Now the runs (split at each run's ``send``
entry: ``store.sendruns``) each count from their first to their last
message, in ``status`` and in the studio's figures (``campaign_figures``,
one function for both). Real sends through the outbox, SQLite and
PostgreSQL; the messages' and entries' times set as a clock would have
written them (a first run of 2, a resume of 3 a day later, one second apart).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign_helpers import ISSUE
from sqlalchemy import select, update

from leadex_mail.campaign.runner import campaign_figures, send_campaign
from leadex_mail.store import campaigns
from leadex_mail.store.accounts import Entry
from leadex_mail.store.models import Delivery

T0 = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)
RESUMED = T0 + timedelta(days=1)
TARGET = f"{ISSUE} -> newsletter"


def _timed(store, at: dict[int, datetime]) -> None:  # type: ignore[no-untyped-def]
    table = Delivery.__table__
    with store.begin() as conn:
        for delivery_id, when in at.items():
            conn.execute(update(table).where(table.c.id == delivery_id).values(sent_at=when))
        Entry("cli:ops", "send", TARGET, detail={"recipients": 5}).write(conn, T0 - timedelta(seconds=1))
        Entry("cli:ops", "send", TARGET, detail={"recipients": 3}).write(conn, RESUMED - timedelta(seconds=1))


def test_a_resumed_send_is_rated_over_its_runs_not_the_stop_between(store, settings, people, issue, cli) -> None:
    people(5)
    send_campaign(store, issue, settings, list_name="newsletter", limit=2)  # stopped after 2
    campaign = campaigns.find_campaign(store, ISSUE, "newsletter")
    table = Delivery.__table__
    with store.begin(write=False) as conn:
        first = list(conn.execute(select(table.c.id).where(table.c.campaign_id == campaign.id, table.c.state == "sent").order_by(table.c.id)).scalars())
    send_campaign(store, issue, settings, list_name="newsletter", resume=True)  # the resume sends the other 3
    with store.begin(write=False) as conn:
        rest = list(conn.execute(select(table.c.id).where(table.c.campaign_id == campaign.id, table.c.id.not_in(first)).order_by(table.c.id)).scalars())
    at = {d: T0 + timedelta(seconds=i) for i, d in enumerate(first)} | {d: RESUMED + timedelta(seconds=i) for i, d in enumerate(rest)}
    _timed(store, at)

    figures = campaign_figures(store, campaign.id)  # type: ignore[arg-type]
    assert figures.handled == 5
    assert figures.rate == 1.0  # 3 gaps of a second in 3 seconds of sending; before: 4 / 86 402 s, "0.0"
    assert figures.shown()["rate"] == 1.0
    shown = cli("status", ISSUE)
    assert shown.exit_code == 0, shown.output
    assert "average rate: 1.0 msg/s" in shown.output
