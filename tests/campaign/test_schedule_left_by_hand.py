"""A schedule left behind by a send started by hand is not taken over by a worker (brief s8-sched #3).

Since "Send now replaces the schedule", a send started by a person removes
the send scheduled for that issue and list (``store.schedule.replace_by_hand``).
A store made before that fix can still hold both: the person's campaign and
the scheduled row it should have replaced. Before: the worker took that
campaign over as its own at the row's time -- a ``send --limit 2`` the
officer meant to look at first went to everyone. Now a campaign opened
before its row's time is the person's (a worker never opens one before it
is due): the worker leaves it, ``status`` lists nothing scheduled, and
``send --resume`` continues it. The store is built as the old code left it:
the row written before the campaign, and never removed. SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign_helpers import ISSUE
from sqlalchemy import insert, select

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.campaign.scheduler import outlook, run_worker
from leadex_mail.content.loader import load_issue
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.models import MailingList, ScheduledSend

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)


def old_schedule(store, at: datetime, made: datetime) -> None:
    """The row ``send --at`` wrote before sessions 7 and 8 (no forced/deep/held values: their defaults)."""
    lists = MailingList.__table__
    with store.begin() as conn:
        list_id = conn.execute(select(lists.c.id).where(lists.c.name == "newsletter")).scalar_one()
        conn.execute(insert(ScheduledSend.__table__).values(issue_slug=ISSUE, list_id=list_id, send_at=at, created_at=made))


def outbox_files(settings) -> list[Path]:
    return sorted(Path(settings.outbox_dir).rglob("*.eml"))


def worker_once(store, settings, now: datetime, events: list) -> int:
    return run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now, on_event=events.append)


def test_a_campaign_started_by_hand_before_its_time_is_left_to_its_owner(settings, store, people, issue, cli) -> None:
    people(6)
    old_schedule(store, AT, made=AT - timedelta(days=2))
    # `send --limit 2` a day before the time, by the old code: no `by_hand`, so the row stayed.
    send_campaign(store, issue, settings, list_name="newsletter", limit=2, now=lambda: AT - timedelta(days=1))
    assert len(outbox_files(settings)) == 2
    assert outlook(store, AT + timedelta(minutes=1)).unfinished == 0  # the worker's opening count: nothing of its own

    for later in (timedelta(minutes=1), timedelta(days=1)):
        events: list = []
        assert worker_once(store, settings, AT + later, events) == 0
        assert events == []  # before: "resuming", and the other 4 got it
    assert len(outbox_files(settings)) == 2
    campaign = campaigns.find_campaign(store, ISSUE, "newsletter")
    assert campaign.status == "running" and campaigns.unfinished(campaigns.state_counts(store, campaign.id)) == 4
    assert schedule.waiting(store) == [] and schedule.waiting(store, started=True) == []
    assert "scheduled for" not in cli("status").output

    resumed = cli("send", ISSUE, "--list", "newsletter", "--resume", "--yes")  # the person continues it
    assert resumed.exit_code == 0, resumed.output
    assert len(outbox_files(settings)) == 6


def test_a_campaign_the_worker_started_at_its_time_is_still_taken_over(settings, store, people, issue) -> None:
    """The same old-shape row, its campaign opened at the time (by a worker that died): resumed, as before."""
    people(6)
    old_schedule(store, AT, made=AT - timedelta(days=2))
    send_campaign(store, issue, settings, list_name="newsletter", limit=2, now=lambda: AT)
    events: list = []
    assert worker_once(store, settings, AT + timedelta(minutes=5), events) == 1
    assert [e.kind for e in events] == ["resuming", "sent"] and len(outbox_files(settings)) == 6
