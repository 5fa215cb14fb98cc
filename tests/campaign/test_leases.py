"""Leases between senders on one campaign: a sender that dies, one that outlives it, and what ``status`` says (finding a11 #1, #2, #11).

- A claimed row stays queued under the claimer's lease; only the message a
  worker hands to the server is ``sending``. So a dead sender's claim comes
  back as it was, and only its message in hand comes back uncertain, whether
  its lease ran out (another host) or it is seen dead here (``/proc``).
- A sender whose own claims run dry waits for the rows other senders hold:
  it ends only when nothing is left that nobody will do.
- ``status`` tells a campaign some sender is working on from one every
  sender of which stopped or was killed, and never writes to do so.

Real ``send`` processes are killed with SIGKILL where that is the point; the
order of events is forced with the sink's hooks, never with sleeps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from campaign_helpers import ISSUE, REPO, email_of
from faulty_smtp import FaultPolicy, faulty_server
from sqlalchemy import select
from test_runner import FakeTime, smtp_settings

from leadex_mail.campaign.runner import campaign_status, send_campaign
from leadex_mail.store import campaigns, deliveries, senders
from leadex_mail.store.models import Campaign, Delivery, Meta, Subscriber, utcnow

KEY = "lease-test-secret-key-0123456789abcdef"
WAIT = 120  # bounds a wait that would otherwise hang; reaching it is a failure


def rows(store) -> dict[str, object]:
    d, s = Delivery.__table__, Subscriber.__table__
    with store.begin(write=False) as conn:
        return {r.email: r for r in conn.execute(select(s.c.email, d).join(s, s.c.id == d.c.subscriber_id))}


@pytest.mark.parametrize("policy", ["resend", "hold"])
def test_a_sender_outlives_another_hosts_dead_sender_and_takes_over_only_its_message_in_hand(tmp_path, store, people, issue, policy) -> None:
    """Reported: the survivor ended saying the dead one "finishes the rest"; once its lease ran out all its batch was uncertain."""
    people(12)
    server = faulty_server(FaultPolicy())
    settings = smtp_settings(tmp_path, server, store, send_concurrency=1, send_lease_seconds=30, send_uncertain=policy)
    fake = FakeTime()
    try:
        opened = send_campaign(store, issue, settings, list_name="newsletter", limit=0, now=fake.now)  # queued, nothing sent
        # A sender on another machine claimed 5 and had handed the first to its server when it died.
        remote = "machine-b.example.org:4242:cafebabe/0"
        claimed = deliveries.claim(store, opened.campaign_id, remote, 5, fake.now(), timedelta(seconds=30))
        with deliveries.open_deliveries(store) as rec:
            assert rec.start(claimed[0].delivery_id, remote, fake.now(), timedelta(seconds=30))
        [live] = campaign_status(store, ISSUE, now=lambda: fake.wall + timedelta(seconds=29))
        assert not live.interrupted and [(s.where, s.leased) for s in live.live_senders] == [("machine-b.example.org pid 4242", 5)]
        [gone] = campaign_status(store, ISSUE, now=lambda: fake.wall + timedelta(seconds=31))  # its lease ran out
        assert gone.interrupted and not gone.live_senders
        fake.wall += timedelta(seconds=1)
        report = send_campaign(store, issue, settings, list_name="newsletter", resume=True, now=fake.now, clock=fake.clock, sleep=fake.sleep)
    finally:
        server.stop()
    assert report.status == "done" and report.held_elsewhere == 0
    got = rows(store)
    in_hand, *never_started = sorted(claimed, key=lambda c: c.delivery_id)
    assert [e for e, r in got.items() if r.uncertain] == [in_hand.email]
    assert all(got[c.email].state == "sent" for c in never_started)
    if policy == "resend":
        assert got[in_hand.email].state == "sent" and server.total == 12
    else:
        assert (got[in_hand.email].state, got[in_hand.email].error_kind) == ("failed", "uncertain") and server.total == 11
    assert not campaign_status(store, ISSUE, now=fake.now)[0].live_senders  # the run's heartbeat is gone with it


class HoldTheVictimsFirst(FaultPolicy):
    """Holds the first message sent with EHLO ``victim`` before its reply until ``release``; counts everyone else's."""

    def __init__(self, victim: str, others: int) -> None:
        super().__init__()
        self.victim, self.others = victim, others
        self.in_flight, self.release, self.others_done = threading.Event(), threading.Event(), threading.Event()
        self.seen = 0

    def on_data_end(self, session, data):  # noqa: ANN001, ANN201 (the sink's hook)
        if session.helo == self.victim:
            if not self.in_flight.is_set():
                self.in_flight.set()
                assert self.release.wait(WAIT), "never released"
            return None
        with self.lock:
            self.seen += 1
            if self.seen >= self.others:
                self.others_done.set()
        return None


def send_process(tmp_path, settings, server, helo: str, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "LEADEX_DATABASE_URL": settings.database_url, "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_IMAGES_URL": "https://images.example.org", "LEADEX_SMTP_HOST": server.host, "LEADEX_SMTP_PORT": str(server.port),
        "LEADEX_SMTP_SECURITY": "none", "LEADEX_SECRET_KEY": KEY, "LEADEX_PUBLIC_URL": "https://news.example.org",
        "LEADEX_SMTP_HELO_NAME": helo,
    }  # fmt: skip
    cmd = [sys.executable, "-m", "leadex_mail", "send", ISSUE, "--list", "newsletter", "--yes", "--no-deep", "--concurrency", "1", *extra]
    return subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait(event: threading.Event, proc: subprocess.Popen) -> None:
    while not event.wait(0.05):  # an event, checked for the process's death in between
        assert proc.poll() is None, proc.communicate()[0]


def waits_for_the_victim(store, proc: subprocess.Popen) -> None:
    """Return once ``proc``'s heartbeat says it waits for rows another sender holds (it says so at once), or fail."""
    campaign_id = campaigns.find_campaign(store, ISSUE).id
    deadline = time.monotonic() + WAIT
    while not any(s.waiting and f":{proc.pid}:" in s.owner for s in senders.live(store, campaign_id, utcnow())):
        assert proc.poll() is None, "it ended while the victim held rows: " + proc.communicate()[0]
        assert time.monotonic() < deadline, "it never said it waits"
        threading.Event().wait(0.02)  # the store has no notification for a heartbeat: poll it, bounded by WAIT


def test_a_survivor_finishes_what_a_killed_sender_held(tmp_path, settings, store, people) -> None:
    """kill -9 of one of two senders, after the other's own claims ran dry: the other must wait and finish it (a11 #1)."""
    people(60)
    policy = HoldTheVictimsFirst("victim.example.org", others=10)
    server = faulty_server(policy)
    victim = survivor = None
    try:
        victim = send_process(tmp_path, settings, server, "victim.example.org")
        wait(policy.in_flight, victim)  # it claimed 50 and handed the first to the server
        survivor = send_process(tmp_path, settings, server, "survivor.example.org")
        wait(policy.others_done, survivor)  # the other 10 are sent: its claims run dry while the victim lives...
        waits_for_the_victim(store, survivor)  # ...and it waits for the victim's rows (before: it ended, leaving them)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        policy.release.set()  # the server got the whole message: it is in the mailbox, the victim never knew
        out, _ = survivor.communicate(timeout=WAIT)
    finally:
        policy.release.set()
        for proc in (victim, survivor):
            if proc is not None and proc.poll() is None:
                proc.kill()
        server.stop()
    assert survivor.returncode == 0, out
    assert "Campaign done" in out and "finishes the rest" not in out and "--resume" not in out, out
    got = rows(store)
    assert {e: r.state for e, r in got.items()} == {email_of(i): "sent" for i in range(60)}
    twice = [e for e, n in server.counts.items() if n > 1]
    assert [e for e, r in got.items() if r.uncertain] == twice and len(twice) == 1  # the victim's message in hand, and only it
    assert campaigns.find_campaign(store, ISSUE).status == "done"


def snapshot(store) -> list:
    """Everything ``status`` could write: campaigns, deliveries, meta rows."""
    with store.begin(write=False) as conn:
        return [conn.execute(select(t).order_by(*t.primary_key.columns)).all() for t in (Campaign.__table__, Delivery.__table__, Meta.__table__)]


def test_status_says_interrupted_once_every_sender_is_gone_and_writes_nothing(tmp_path, settings, store, people, cli) -> None:
    """Reported: `status` said "running" after the only sender was killed with -9 (a11 #11)."""
    people(6)
    policy = HoldTheVictimsFirst("victim.example.org", others=1)
    server = faulty_server(policy)
    victim = None
    try:
        victim = send_process(tmp_path, settings, server, "victim.example.org")
        wait(policy.in_flight, victim)
        alive = cli("status", ISSUE)
        assert f"{ISSUE} -> newsletter: running" in alive.output and f"being sent by {os.uname().nodename}" in alive.output, alive.output
        assert f"pid {victim.pid}" in alive.output and "interrupted" not in alive.output
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        before = snapshot(store)
        gone = cli("status", ISSUE)
    finally:
        policy.release.set()
        if victim is not None and victim.poll() is None:
            victim.kill()
        server.stop()
    assert f"{ISSUE} -> newsletter: interrupted" in gone.output, gone.output
    assert "no sender is working on it" in gone.output and f"send {ISSUE} --list newsletter" in gone.output and "--resume" in gone.output
    assert "being sent by" not in gone.output
    assert snapshot(store) == before  # shown, not stored
    assert campaigns.find_campaign(store, ISSUE).status == "running"


def test_a_send_that_stops_early_says_truly_who_holds_the_rest(store, people, cli) -> None:
    """`send --limit` ends with rows under another live sender's lease: it says so, and how to send the rest from here too."""
    people(4)
    assert cli("send", ISSUE, "--list", "newsletter", "--yes", "--no-deep", "--limit", "0").exit_code == 0  # opened and queued
    campaign = campaigns.find_campaign(store, ISSUE)
    deliveries.claim(store, campaign.id, "machine-b.example.org:4242:cafebabe/0", 2, utcnow(), timedelta(seconds=300))
    result = cli("send", ISSUE, "--list", "newsletter", "--yes", "--no-deep", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "Campaign running" in result.output
    assert "another sender, running now, holds 2 deliveries of this campaign" in result.output, result.output
    assert f"To send the rest from here too: leadex-mail send {ISSUE} --list newsletter --no-deep --resume" in result.output
    shown = cli("status", ISSUE).output
    assert "being sent by machine-b.example.org pid 4242, 2 claimed" in shown and "interrupted" not in shown, shown
