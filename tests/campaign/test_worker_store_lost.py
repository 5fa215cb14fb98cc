"""A worker rides out its PostgreSQL server restarting (a11 #9), on the session's real throwaway server.

Reported: ``leadex-mail worker`` exited 1 when PostgreSQL was stopped and
started while it waited or sent. A worker is meant to run for weeks under
systemd: it must say the store is lost, try again with backoff (1, 2, 4 …
s; the clock is injected here), carry on once the server is back, and keep
the exactly-once guarantee for a send the restart cut: the message in
flight is taken over marked uncertain, nobody is lost.

The server is stopped as an operator does (``pg_ctl stop -m fast``), and
each test restarts it whatever happens. Tests wait on the worker's events,
its log lines and the relay's hooks, never on sleeps.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from campaign_helpers import REPO, email_of, make_settings
from faulty_smtp import faulty_server
from test_interrupt import WAIT, HoldAtEndOfData, Output

from leadex_mail.campaign.scheduler import run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.db import open_store
from leadex_mail.store.models import Delivery, Subscriber

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)
pytestmark = pytest.mark.parametrize("backend", ["postgresql"])  # a database server that restarts; a SQLite file has none


class Worker:
    """``run_worker`` in a thread with an injected clock and wait: each wait is reported, and lasts until the test says ``go``."""

    def __init__(self, settings, now) -> None:  # noqa: ANN001
        self.store = open_store(settings)
        self.stop = threading.Event()
        self.waits: queue.Queue[float] = queue.Queue()
        self.go_on = threading.Semaphore(0)
        self.events: list = []
        self.seen = threading.Condition()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(settings, now), daemon=True)
        self.thread.start()

    def _run(self, settings, now) -> None:  # noqa: ANN001
        try:
            run_worker(self.store, settings, lambda slug: load_issue(slug, settings), stop=self.stop, poll_seconds=30, now=now,
                       on_event=self._event, wait=self._wait)
        except BaseException as exc:  # noqa: BLE001 (checked by the test)
            self.error = exc

    def _event(self, event) -> None:  # noqa: ANN001
        with self.seen:
            self.events.append(event)
            self.seen.notify_all()

    def _wait(self, seconds: float) -> None:
        self.waits.put(seconds)
        self.go_on.acquire()

    def next_wait(self) -> float:
        """The seconds of the worker's next wait (it is waiting now)."""
        return self.waits.get(timeout=WAIT)

    def go(self) -> None:
        self.go_on.release()

    def wait_for_event(self, kind: str, list_name: str = "") -> None:
        with self.seen:
            assert self.seen.wait_for(lambda: any(e.kind == kind and e.list_name == list_name for e in self.events), WAIT), self.kinds()

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def end(self) -> None:
        self.stop.set()
        self.go()
        self.thread.join(WAIT)
        self.store.close()
        assert not self.thread.is_alive() and self.error is None, self.error


def test_a_waiting_worker_backs_off_while_the_server_is_down_and_sends_when_it_is_back(settings, store, people, issue, pg_cluster) -> None:
    people(5)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    clock = [AT - timedelta(minutes=1)]
    worker = Worker(settings, lambda: clock[0])
    try:
        assert worker.next_wait() == 30  # the first round: nothing due yet
        pg_cluster.shutdown()
        try:
            tries = []
            for _ in range(4):
                worker.go()
                tries.append(worker.next_wait())
            assert tries == [1, 2, 4, 8]  # backoff while the server is down, never the end of the worker
            assert worker.kinds() == ["store-lost"] * 4
            lost = worker.events[0]
            assert lost.attempt == 1 and "the subscriber store postgresql+psycopg://" in lost.error.message and lost.error.hint
        finally:
            pg_cluster.restart()
        clock[0] = AT + timedelta(seconds=1)  # and the campaign is due now
        worker.go()
        worker.wait_for_event("sent", "newsletter")
        assert worker.kinds() == ["store-lost"] * 4 + ["store-back", "starting", "sent"]
        assert worker.events[4].attempt == 4 and worker.events[-1].report.status == "done"
        assert worker.next_wait() == 30  # back to its poll
    finally:
        worker.end()
    sent = Counter(f.name.split("-", 2)[2] for f in settings.outbox_dir.rglob("*.eml"))
    assert len(sent) == 5 and set(sent.values()) == {1}


def test_a_send_cut_by_the_restart_is_resumed_and_only_the_message_in_flight_is_uncertain(tmp_path, settings, store, people, issue, pg_cluster) -> None:
    """The server stops while a message is on the wire: its record is lost; after the restart the worker resumes the campaign."""
    people(8)
    policy = HoldAtEndOfData()
    server = faulty_server(policy)
    settings = make_settings(tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none",
                             secret_key="k" * 32, public_url="https://news.example.org", send_concurrency=1)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    clock = [AT + timedelta(seconds=1)]
    worker = Worker(settings, lambda: clock[0])
    try:
        policy.wait_in_hand(1)  # the first message is on the wire
        pg_cluster.shutdown()
        try:
            policy.release.set()  # the relay takes it; recording it fails: the server is gone
            worker.wait_for_event("failed", "newsletter")
            assert "the subscriber store postgresql+psycopg://" in worker.events[-1].error.message
            assert worker.next_wait() == 30  # the worker is still there
            worker.go()
            assert worker.next_wait() == 1 and worker.kinds()[-1] == "store-lost"
        finally:
            pg_cluster.restart()
        clock[0] += timedelta(seconds=settings.send_lease_seconds + 1)  # the lost run's lease on the message in flight has run out
        worker.go()
        worker.wait_for_event("sent", "newsletter")
        assert worker.kinds()[-3:] == ["store-back", "resuming", "sent"], worker.kinds()
        assert worker.events[-1].report.status == "done"
    finally:
        policy.release.set()
        worker.end()
        server.stop()
    with open_store(settings) as fresh:  # the fixture's pooled connections died with the server
        d, p = Delivery.__table__, Subscriber.__table__
        with fresh.begin(write=False) as conn:
            rows = {r.email: r for r in conn.execute(select(p.c.email, d.c.state, d.c.uncertain).join(p, p.c.id == d.c.subscriber_id))}
    received = dict(server.counts)
    assert set(received) == set(rows) == {email_of(i) for i in range(8)}  # nobody lost
    assert {r.state for r in rows.values()} == {"sent"}
    twice = [e for e, n in received.items() if n > 1]
    assert len(twice) == 1 and received[twice[0]] == 2, received  # only the message in flight went out again ...
    assert rows[twice[0]].uncertain  # ... marked uncertain


def test_the_worker_process_says_the_store_is_lost_and_back_and_stops_cleanly(tmp_path, settings, store, pg_cluster) -> None:
    """The reported case, end to end: `leadex-mail worker` while PostgreSQL is stopped and started (it exited 1)."""
    env = {**os.environ, "LEADEX_DATABASE_URL": settings.database_url, "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters")}
    proc = subprocess.Popen([sys.executable, "-m", "leadex_mail", "worker", "--poll", "0.2"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        out.wait_for(" started")
        pg_cluster.shutdown()
        try:
            out.wait_for("The store cannot be reached (try 1); trying again in 1 s")
        finally:
            pg_cluster.restart()
        out.wait_for("The store answers again")
        proc.terminate()
        assert proc.wait(WAIT) == 0, out.text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = out.text()
    assert "Worker stopped." in text and "Traceback" not in text, text
