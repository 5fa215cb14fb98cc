"""What "resume" sends to: the list as it is now, and the confirmation says how many joined since (brief s8-sched #6).

Decided (docs/decisions.md, "A resume sends to the list as it is now"):
resuming a campaign -- ``send --resume``, ``send`` again, the worker taking
over a scheduled one -- finishes sending the issue to the list, so people
who joined since it started get it too and people who left do not, as
eligibility is read with every claim. Before, that happened silently: the
resume's confirmation counted the newcomers among its recipients without
saying so. Now it says how many of them joined since the campaign started.
Real store (SQLite and PostgreSQL), the outbox transport, the real CLI.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign_helpers import ISSUE, add_people, email_of

from leadex_mail.campaign.runner import plan_campaign, send_campaign
from leadex_mail.campaign.scheduler import run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.lists import get_list
from leadex_mail.store.subscribers import get_subscriber, unsubscribe

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)


def recipients(settings) -> list[str]:
    """The addresses of the messages in the outbox (one file per message)."""
    found = []
    for path in Path(settings.outbox_dir).rglob("*.eml"):
        to = next(line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.lower().startswith("to:"))
        found.append(to.split("<")[-1].rstrip(">").strip())
    return sorted(found)


def test_send_resume_says_how_many_joined_since_and_sends_them_too(store, people, issue, settings, cli) -> None:
    people(4)
    send_campaign(store, issue, settings, list_name="newsletter", limit=2)  # `send --limit 2`
    add_people(store, 3, start=4)  # joined while the campaign waited
    left = next(get_subscriber(store, email_of(i)) for i in range(4) if email_of(i) not in recipients(settings))  # still queued
    unsubscribe(store, left.id, source="test", list_id=get_list(store, "newsletter").id)  # left the list since

    plan = plan_campaign(store, issue, settings, list_name="newsletter")
    assert plan.total == 4 and plan.joined == 3  # 1 of the first 4 still queued, 3 newcomers

    resumed = cli("send", ISSUE, "--list", "newsletter", "--resume", "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "of them joined the list since the campaign started: 3 (they get it too; people who left since do not)" in resumed.output
    got = recipients(settings)
    assert len(got) == 6 and len(set(got)) == 6
    assert {email_of(i) for i in range(4, 7)} <= set(got) and left.email not in got


def test_a_new_campaign_says_nothing_of_people_joining(store, people, cli) -> None:
    people(2)
    sent = cli("send", ISSUE, "--list", "newsletter", "--yes")
    assert sent.exit_code == 0, sent.output
    assert "joined the list since" not in sent.output


def test_the_worker_resuming_a_scheduled_campaign_sends_to_those_who_joined_since(store, people, issue, settings) -> None:
    """The worker's resume is the same resume: the decision holds for it too."""
    people(4)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    send_campaign(store, issue, settings, list_name="newsletter", limit=2, now=lambda: AT)  # a worker died after 2
    add_people(store, 2, start=4)
    assert plan_campaign(store, issue, settings, list_name="newsletter").joined == 2
    events: list = []
    run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: AT + timedelta(minutes=5),
               on_event=events.append)
    assert [e.kind for e in events] == ["resuming", "sent"]
    assert recipients(settings) == sorted(email_of(i) for i in range(6))
