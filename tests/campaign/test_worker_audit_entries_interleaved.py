"""The audit log records only what each actor did, however a worker's round interleaves with a person's send or cancel.

The finding: a held schedule, corrected, then "Send now" in the studio while
a worker ran. Nobody got the issue twice, but the worker -- whose round had
read the schedule before the person's send replaced it -- still wrote
``send {"recipients": 0}`` and ``send_finished … "sent": 51`` (the
campaign's totals, all of them the person's), so the log showed two people
each sending the issue to everyone. Now a worker starts (or resumes) a
scheduled send only in the transaction that finds its schedule row still
there, unmoved, with something left to send, and writes its ``send`` there
(``store.schedule.claim``); a ``send_finished`` entry's figures are its own
run's (``campaign.audit.run_counts``), never the campaign's.

Each case is a real worker round (``run_worker(once=True)``) with the other
actor's step injected at the point of the interleaving through the round's
own calls (``load``, which the round makes after reading its work; the
``starting``/``resuming`` event, which it says once it goes). SQLite and
PostgreSQL, the outbox transport, times injected.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Callable

import pytest
from campaign_helpers import ISSUE

from leadex_mail.campaign.audit import confirm, record_finished
from leadex_mail.campaign.runner import plan_campaign, send_campaign
from leadex_mail.campaign.scheduler import WorkerEvent, run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.content.model import Issue
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.accounts import Entry, audit_log

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)
WORKER = "worker:ops"
PERSON = "local:maja"
TARGET = f"{ISSUE} -> newsletter"


def entries(store) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(actor, action, details) of every send entry, oldest first."""
    return [(e.actor, e.action, e.detail) for e in reversed(audit_log(store)) if e.action.startswith("send")]


def sent_files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    return sorted(Path(settings.outbox_dir).rglob("*.eml"))


def send_now(store, settings, issue: Issue, *, expect_new: bool = True) -> str | None:  # type: ignore[no-untyped-def]
    """The studio's "Send now" as it runs it: the confirmation decided where the campaign opens, then the send by hand, then its end."""
    plan = plan_campaign(store, issue, settings, list_name="newsletter")
    decided = confirm(store, issue, settings, plan, PERSON, expect_new=expect_new)
    if not decided.go:
        return decided.reason
    report = send_campaign(store, issue, settings, list_name="newsletter", by_hand=PERSON, resume=not expect_new, now=lambda: AT + timedelta(minutes=1))
    record_finished(store, PERSON, ISSUE, "newsletter", report)
    return None


def worker_round(store, settings, now: datetime, *, before: Callable[[], None] | None = None,  # type: ignore[no-untyped-def]
                 on_go: Callable[[], None] | None = None) -> tuple[int, list[WorkerEvent]]:
    """One real worker round at ``now``; ``before`` runs once when it first loads the issue (it has read its work), ``on_go`` when it says it goes."""
    events: list[WorkerEvent] = []
    pending = [before] if before else []

    def load(slug: str) -> Issue:
        while pending:
            pending.pop()()
        return load_issue(slug, settings)

    def said(event: WorkerEvent) -> None:
        events.append(event)
        if on_go is not None and event.kind in ("starting", "resuming"):
            on_go()

    runs = run_worker(store, settings, load, stop=threading.Event(), once=True, now=lambda: now, on_event=said, actor=WORKER)
    return runs, events


@pytest.fixture
def scheduled(store, settings, people):  # type: ignore[no-untyped-def]
    people(5)
    issue = load_issue(ISSUE, settings)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1), actor=PERSON)
    return issue


def test_send_now_between_the_rounds_read_and_its_start_leaves_the_worker_no_entry(store, settings, scheduled) -> None:
    """The finding: the round read the schedule; the person's send replaced it and sent everyone; then the round went on."""
    runs, events = worker_round(store, settings, AT + timedelta(minutes=1), before=lambda: send_now(store, settings, scheduled))

    assert runs == 0 and events == []  # before: "starting", then "sent" with 0 sent
    assert len(sent_files(settings)) == 5  # each once
    said = entries(store)
    assert [(actor, action) for actor, action, _ in said] == [
        (PERSON, "send_schedule"), (PERSON, "send"), (PERSON, "send_unschedule"), (PERSON, "send_finished"),
    ]  # before: also ("worker:ops", "send") with 0 recipients and ("worker:ops", "send_finished") with the person's 5
    assert said[1][2]["recipients"] == 5 and said[3][2]["counts"] == {"sent": 5, "failed": 0, "skipped": 0}
    assert schedule.waiting(store) == [] and schedule.waiting(store, started=True) == []


def test_send_now_after_the_worker_started_is_refused_and_the_worker_logs_what_it_sent(store, settings, scheduled) -> None:
    """The other order: the worker's round opened the campaign first; the person's "Send now" finds it started (one ``send_refused``)."""
    refused: list[str | None] = []
    runs, events = worker_round(store, settings, AT + timedelta(minutes=1), on_go=lambda: refused.append(send_now(store, settings, scheduled)))

    assert runs == 1 and [e.kind for e in events] == ["starting", "sent"] and refused == ["started_elsewhere"]
    assert len(sent_files(settings)) == 5
    said = entries(store)
    assert [(actor, action) for actor, action, _ in said] == [
        (PERSON, "send_schedule"), (WORKER, "send"), (PERSON, "send_refused"), (WORKER, "send_finished"),
    ]
    assert said[1][2]["recipients"] == 5 and said[3][2]["counts"] == {"sent": 5, "failed": 0, "skipped": 0}


def test_a_schedule_cancelled_or_moved_after_the_round_read_it_is_not_sent(store, settings, scheduled) -> None:
    """A cancel (or a new time) between the round's read and its start: nothing opened, nothing sent, no worker entry."""
    cancel = lambda: schedule.unschedule(store, ISSUE, "newsletter", audit=Entry(PERSON, "send_unschedule", TARGET))  # noqa: E731
    runs, events = worker_round(store, settings, AT + timedelta(minutes=1), before=cancel)
    assert runs == 0 and events == [] and sent_files(settings) == []  # before: the cancelled send went to all 5
    assert campaigns.list_campaigns(store) == []
    assert [(actor, action) for actor, action, _ in entries(store)] == [(PERSON, "send_schedule"), (PERSON, "send_unschedule")]

    later = AT + timedelta(days=1)
    schedule_campaign(store, scheduled, "newsletter", later, now=AT, actor=PERSON)
    move = lambda: schedule_campaign(store, scheduled, "newsletter", later + timedelta(days=1), now=AT, actor=PERSON)  # noqa: E731
    runs, events = worker_round(store, settings, later + timedelta(minutes=1), before=move)
    assert runs == 0 and events == [] and sent_files(settings) == []  # moved a day on: not due now
    assert [action for _, action, _ in entries(store)][-2:] == ["send_schedule", "send_schedule"]


def test_a_resume_a_person_finished_meanwhile_leaves_the_worker_no_entry(store, settings, scheduled) -> None:
    """The worker's campaign stopped half way; its round means to resume it, and the person's "Resume the send" finishes it first."""
    # Opened at its time and stopped after 2 of 5, as by a worker that died (no entries: the dead worker's are not the point).
    send_campaign(store, scheduled, settings, list_name="newsletter", limit=2, now=lambda: AT)
    before = len(entries(store))

    runs, events = worker_round(store, settings, AT + timedelta(minutes=30), before=lambda: send_now(store, settings, scheduled, expect_new=False))
    assert runs == 0 and events == []  # before: "resuming", and a worker send of 0 with the campaign's 5 as its own
    assert len(sent_files(settings)) == 5
    said = entries(store)[before:]
    assert [(actor, action) for actor, action, _ in said] == [(PERSON, "send"), (PERSON, "send_unschedule"), (PERSON, "send_finished")]
    assert said[0][2]["recipients"] == 3 and said[2][2]["counts"] == {"sent": 3, "failed": 0, "skipped": 0}
    campaign = campaigns.find_campaign(store, ISSUE, "newsletter")
    assert campaign.status == "done" and campaigns.unfinished(campaigns.state_counts(store, campaign.id)) == 0  # type: ignore[arg-type]


def test_a_worker_resuming_beside_a_person_logs_its_own_figures_only(store, settings, scheduled) -> None:
    """The worker resumes first; the person's "Resume the send" finds nothing left: each entry says only what its actor did."""
    send_campaign(store, scheduled, settings, list_name="newsletter", limit=2, now=lambda: AT)
    before = len(entries(store))
    refused: list[str | None] = []
    runs, events = worker_round(store, settings, AT + timedelta(minutes=30), on_go=lambda: None)
    assert runs == 1 and [e.kind for e in events] == ["resuming", "sent"] and len(sent_files(settings)) == 5
    refused.append(send_now(store, settings, scheduled, expect_new=False))
    assert refused == ["nothing_left"]
    said = entries(store)[before:]
    assert [(actor, action) for actor, action, _ in said] == [(WORKER, "send"), (WORKER, "send_finished"), (PERSON, "send_refused")]
    assert said[0][2]["recipients"] == 3 and said[1][2]["counts"] == {"sent": 3, "failed": 0, "skipped": 0}  # before: "sent": 5
