"""Scheduled campaigns and the worker (issue 11 item 5), on SQLite and PostgreSQL.

Times are injected into the worker (``now``); the one process test stops a
real ``leadex-mail worker`` with SIGTERM while a message is on the wire.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from campaign_helpers import ISSUE, REPO, add_people, email_of, make_settings, smtp_env
from faulty_smtp import faulty_server
from test_interrupt import WAIT, HoldAtEndOfData, Output

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.campaign.scheduler import run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.db import open_store

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)  # 09:00 in Ljubljana (summer time)
SOON = f"{datetime.now(UTC) + timedelta(days=30):%Y-%m-%d} 09:00"  # typed times must be within a year (sendtime.MAX_AHEAD)


def next_day(month: int, day: int) -> datetime:
    """The next ``month``/``day`` at 09:00 after today: within a year, whenever the test runs."""
    today = datetime.now(UTC)
    at = datetime(today.year, month, day, 9, 0)
    return at if at.date() > today.date() else at.replace(year=today.year + 1)


def outbox_files(settings) -> list[Path]:
    return sorted(Path(settings.outbox_dir).rglob("*.eml"))


def worker_once(store, settings, now: datetime, events: list | None = None) -> int:
    return run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now,
                      on_event=(events.append if events is not None else lambda e: None))


def test_send_at_reads_the_time_in_the_timezone_setting_and_stores_utc(cli, store, people) -> None:
    people(3)
    may, january = next_day(5, 4), next_day(1, 10)
    summer = cli("send", ISSUE, "--list", "newsletter", "--at", f"{may:%Y-%m-%d} 09:00", LEADEX_TIMEZONE="Europe/Ljubljana")
    assert summer.exit_code == 0, summer.output
    assert f"Scheduled: 2026-04-leadex-01 to newsletter at {may:%Y-%m-%d} 09:00 CEST ({may:%Y-%m-%d} 07:00 UTC)." in summer.output
    assert [s.send_at for s in schedule.waiting(store)] == [may.replace(hour=7, tzinfo=UTC)]
    winter = cli("send", ISSUE, "--list", "newsletter", "--at", f"{january:%Y-%m-%d} 09:00", LEADEX_TIMEZONE="Europe/Ljubljana")
    assert f"Moved: 2026-04-leadex-01 to newsletter at {january:%Y-%m-%d} 09:00 CET ({january:%Y-%m-%d} 08:00 UTC)." in winter.output
    assert [s.send_at for s in schedule.waiting(store)] == [january.replace(hour=8, tzinfo=UTC)]
    assert campaigns.list_campaigns(store) == []  # nothing started


def test_status_shows_it_and_unschedule_cancels_it(cli, store, people) -> None:
    people(2)
    day = f"{next_day(5, 4):%Y-%m-%d}"
    cli("send", ISSUE, "--list", "newsletter", "--at", f"{day}T07:00+00:00", LEADEX_TIMEZONE="UTC")
    shown = cli("status", LEADEX_TIMEZONE="UTC")
    assert f"2026-04-leadex-01 -> newsletter: scheduled for {day} 07:00 UTC\n" in shown.output  # once when the zone is UTC (a11c #3)
    assert f"UTC ({day}" not in shown.output
    assert "No campaigns yet" not in shown.output
    assert "scheduled for" in cli("status", ISSUE).output
    gone = cli("unschedule", ISSUE, "--list", "newsletter", LEADEX_TIMEZONE="UTC")
    assert gone.exit_code == 0 and f"Cancelled: 2026-04-leadex-01 to newsletter, which was scheduled for {day} 07:00 UTC." in gone.output
    assert schedule.waiting(store) == []
    again = cli("unschedule", ISSUE, "--list", "newsletter")
    assert again.exit_code == 1 and "nothing is scheduled for 2026-04-leadex-01 to newsletter" in again.output and "Traceback" not in again.output


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("--at", "2020-01-01 09:00"), 1, "is not in the future"),
        (("--at", "next monday"), 1, "cannot read the time 'next monday'"),
        (("--at", SOON, "--limit", "5"), 2, "--at schedules the whole campaign"),
        (("--at", SOON, "--list", "nosuchlist"), 1, "nosuchlist"),
        (("--at", "9999-12-31 23:59"), 1, "is more than a year ahead"),  # tester's finding a11 #8
    ],
)
def test_bad_schedules_are_clear_errors(cli, store, people, args, code, words) -> None:
    people(1)
    result = cli("send", ISSUE, "--list", "newsletter", *args)
    assert result.exit_code == code, result.output
    assert words in result.output and "Traceback" not in result.output
    assert schedule.waiting(store) == []


def test_bad_timezone_setting_is_a_clear_error(cli, store) -> None:
    result = cli("send", ISSUE, "--list", "newsletter", "--at", SOON, LEADEX_TIMEZONE="Europe/Atlantis")
    assert result.exit_code != 0 and "unknown time zone 'Europe/Atlantis'" in result.output and "Traceback" not in result.output


def test_the_worker_sends_a_campaign_when_it_is_due_and_not_before(settings, store, people, issue) -> None:
    people(6)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    assert worker_once(store, settings, AT - timedelta(seconds=1)) == 0
    assert campaigns.list_campaigns(store) == [] and outbox_files(settings) == []
    events: list = []
    assert worker_once(store, settings, AT, events) == 1
    assert [e.kind for e in events] == ["starting", "sent"] and events[1].report.status == "done"
    assert len(outbox_files(settings)) == 6
    assert schedule.waiting(store) == []  # started: no longer waiting, and not started twice
    assert worker_once(store, settings, AT + timedelta(hours=1)) == 0
    assert len(outbox_files(settings)) == 6


def test_the_worker_resumes_a_scheduled_campaign_left_unfinished(settings, store, people, issue) -> None:
    """A worker died after 2 messages (the campaign is open, 4 queued): the next worker sends exactly the rest."""
    people(6)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    send_campaign(store, issue, settings, list_name="newsletter", limit=2, now=lambda: AT)  # as the dead worker did
    events: list = []
    assert worker_once(store, settings, AT + timedelta(minutes=5), events) == 1
    assert [e.kind for e in events] == ["resuming", "sent"] and events[1].report.sent_now == 4
    recipients = sorted(f.name.split("-", 2)[2] for f in outbox_files(settings))
    assert len(recipients) == 6 and len(set(recipients)) == 6  # each person once


def test_the_worker_leaves_campaigns_started_by_hand_alone(settings, store, people, issue) -> None:
    people(6)
    send_campaign(store, issue, settings, list_name="newsletter", limit=2)  # `send --limit 2`: the officer looks first
    assert worker_once(store, settings, AT) == 0
    assert len(outbox_files(settings)) == 2


def test_two_workers_starting_one_campaign_send_each_message_once(settings, store, people, issue) -> None:
    people(40)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    stores = [open_store(settings) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list = []

    def worker(st) -> None:
        start.wait()
        try:
            worker_once(st, settings, AT)
        except BaseException as exc:  # noqa: BLE001 (checked below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    for st in stores:
        st.close()
    assert errors == []  # before insert-or-get: an IntegrityError on uq_campaign_issue_list
    assert len(campaigns.list_campaigns(store)) == 1
    recipients = [f.name.split("-", 2)[2] for f in outbox_files(settings)]
    assert len(recipients) == 40 and len(set(recipients)) == 40
    assert campaigns.find_campaign(store, ISSUE).status == "done"


def test_sigterm_stops_the_worker_cleanly_and_the_next_one_finishes(tmp_path, settings, store, people, issue) -> None:
    people(10)
    schedule_campaign(store, issue, "newsletter", datetime.now(UTC) + timedelta(seconds=1), now=datetime.now(UTC))
    policy = HoldAtEndOfData()
    server = faulty_server(policy)
    env = {**os.environ, "LEADEX_DATABASE_URL": settings.database_url, "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
           "LEADEX_IMAGES_URL": "https://images.example.org", "LEADEX_SEND_CONCURRENCY": "2", **smtp_env(server)}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "leadex_mail", "worker", "--poll", "0.2"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = Output(proc)
        out.wait_for("started")
        policy.wait_in_hand(2)  # due within a second: both connections have a message on the wire
        proc.terminate()
        out.wait_for("Stopping")
        policy.release.set()
        assert proc.wait(WAIT) == 0, out.text()
        text = out.text()
        assert "Stopped on request." in text and "Worker stopped." in text and "Traceback" not in text
        counts = campaigns.state_counts(store, campaigns.find_campaign(store, ISSUE).id)
        assert counts["sending"] == 0 and counts["sent"] == server.total and counts["uncertain"] == 0

        again = subprocess.run([sys.executable, "-m", "leadex_mail", "worker", "--once"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=WAIT)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Resuming 2026-04-leadex-01 to newsletter." in again.stdout
    finally:
        policy.release.set()
        server.stop()
    assert dict(server.counts) == {email_of(i): 1 for i in range(10)}


class HoldList(HoldAtEndOfData):
    """Holds the final reply of messages to ``held`` recipients only; everyone else is answered at once."""

    def __init__(self, held: set[str]) -> None:
        super().__init__()
        self.held = held

    def on_data_end(self, session, data: bytes) -> str | None:
        if not self.held.intersection(session.rcpts):
            return None
        return super().on_data_end(session, data)


def test_a_campaign_held_at_the_relay_does_not_delay_another_due_with_it(tmp_path, store, people, issue) -> None:
    """Two campaigns due at one time: the first's messages wait at the relay; the second is sent meanwhile, in full."""
    people(4)  # "newsletter": its messages are held
    add_people(store, 3, list_name="partners", start=100)
    policy = HoldList({email_of(i) for i in range(4)})
    server = faulty_server(policy)
    settings = make_settings(tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none",
                             secret_key="k" * 32, public_url="https://news.example.org")
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    schedule_campaign(store, issue, "partners", AT + timedelta(seconds=1), now=AT - timedelta(days=1))
    partners_sent = threading.Event()
    events: list = []

    def seen(event) -> None:
        events.append(event)
        if event.kind == "sent" and event.list_name == "partners":
            partners_sent.set()

    worker = threading.Thread(target=run_worker, args=(store, settings, lambda slug: load_issue(slug, settings)), daemon=True,
                              kwargs=dict(stop=threading.Event(), once=True, now=lambda: AT + timedelta(minutes=1), on_event=seen))
    try:
        worker.start()
        policy.wait_in_hand(2)  # both connections of "newsletter" hold a message at the relay
        assert partners_sent.wait(WAIT), f"the partners campaign waited for the held one: {[(e.kind, e.list_name) for e in events]}"
        assert sorted(server.counts) == [email_of(i) for i in range(100, 103)]  # only the partners so far
    finally:
        policy.release.set()
        worker.join(WAIT)
        server.stop()
    assert not worker.is_alive()
    assert dict(server.counts) == {email_of(i): 1 for i in [*range(4), *range(100, 103)]}
    assert {e.list_name: e.report.status for e in events if e.kind == "sent"} == {"newsletter": "done", "partners": "done"}
