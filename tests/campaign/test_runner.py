"""The campaign runner against real SMTP servers on loopback (the fault-injecting sink)."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from campaign_helpers import email_of, make_settings
from faulty_smtp import FaultPolicy, faulty_server
from sqlalchemy import select

from leadex_mail import tokens
from leadex_mail.store import campaigns
from leadex_mail.campaign.runner import backoff_delay, plan_campaign, send_campaign
from leadex_mail.errors import CampaignError, NotFound
from leadex_mail.store.models import Delivery, Subscriber
from leadex_mail.store.subscribers import get_subscriber_by_id, unsubscribe


def smtp_settings(tmp_path, server, store, **overrides):
    return make_settings(tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none", secret_key="runner-test-secret-key-0123456789abcdef", public_url="https://news.example.org", **overrides)


def rows_by_email(store, campaign_id):
    d, s = Delivery.__table__, Subscriber.__table__
    with store.begin(write=False) as conn:
        query = select(s.c.email, s.c.status, d).join(s, s.c.id == d.c.subscriber_id).where(d.c.campaign_id == campaign_id)
        return {r.email: r for r in conn.execute(query)}


def test_outbox_send_then_second_run_sends_nothing(store, settings, people, issue) -> None:
    ids = people(12)
    report = send_campaign(store, issue, settings, list_name="newsletter")
    assert report.status == "done" and report.sent_now == 12 and report.counts["sent"] == 12
    files = sorted(report.outbox.glob("*.eml"))
    assert len(files) == 12
    again = send_campaign(store, issue, settings, list_name="newsletter")
    assert again.sent_now == 0 and again.status == "done" and len(list(report.outbox.glob("*.eml"))) == 12
    # Each subscriber got their own language's edition with their own signed links.
    by_to = {}
    for f in files:
        msg = message_from_bytes(f.read_bytes(), policy=policy.default)
        by_to[msg["To"].addresses[0].addr_spec] = msg
    assert set(by_to) == {email_of(i) for i in range(12)}
    sl = by_to[email_of(0)]
    assert sl["Subject"] == issue.editions["sl"].subject
    assert by_to[email_of(1)]["Subject"] == issue.editions["en"].subject
    token = sl["List-Unsubscribe"].split("/unsubscribe/")[1].split(">")[0]
    nonce = get_subscriber_by_id(store, ids[0]).link_nonce
    assert tokens.verify("unsubscribe", token, settings.signing_key()) == {"s": ids[0], "c": report.campaign_id, "n": nonce}
    row = rows_by_email(store, report.campaign_id)[email_of(0)]
    assert sl["Message-ID"] == row.message_id
    # Derived from key, campaign and delivery (stable across retries and resends): the documented formula.
    created = campaigns.get_campaign(store, report.campaign_id).created_at.isoformat()
    digest = hashlib.sha256(settings.signing_key() + f"{report.campaign_id}:{created}:{row.id}".encode()).hexdigest()[:16]
    assert row.message_id.startswith(f"<lx.{report.campaign_id}.{row.id}.{digest}@")


def test_plan_counts_what_is_left(store, settings, people, issue) -> None:
    people(9)
    plan = plan_campaign(store, issue, settings, list_name="newsletter", rate="600/min")
    assert plan.per_language == {"en": 4, "sl": 5} and plan.total == 9 and plan.campaign_status is None
    assert plan.rate == "600/min" and plan.transport.startswith("outbox")
    send_campaign(store, issue, settings, list_name="newsletter", limit=4)
    plan = plan_campaign(store, issue, settings, list_name="newsletter")
    assert plan.total == 5 and plan.already_sent == 4 and plan.campaign_status == "running"


def test_dry_run_builds_every_message_and_writes_nothing(store, settings, people, issue) -> None:
    people(7)
    report = send_campaign(store, issue, settings, list_name="newsletter", dry_run=True)
    assert report.status == "dry-run" and report.built == 7 and report.counts == {"sl": 4, "en": 3}
    assert campaigns.list_campaigns(store) == [] and not settings.outbox_dir.exists()


def test_resume_and_language_checks(store, settings, people, issue) -> None:
    people(2)
    with pytest.raises(NotFound):
        send_campaign(store, issue, settings, list_name="newsletter", resume=True)
    with pytest.raises(CampaignError, match="no 'de' edition"):
        send_campaign(store, issue, settings, list_name="newsletter", language="de")
    report = send_campaign(store, issue, settings, list_name="newsletter", language="en")
    assert report.sent_now == 1 and report.status == "running"  # the sl delivery waits
    report = send_campaign(store, issue, settings, list_name="newsletter", resume=True)
    assert report.sent_now == 1 and report.status == "done"


def test_fault_injection_end_state_is_exact(tmp_path, store, people, issue) -> None:
    people(60)
    rejected = {email_of(3), email_of(17), email_of(44)}
    busy = {email_of(8)}
    fault = FaultPolicy(seed=42, rate=0.35, reject=frozenset(rejected), always_busy=frozenset(busy))
    server = faulty_server(fault)
    settings = smtp_settings(tmp_path, server, store, send_max_attempts=4, send_pause_after_failures=1000, send_concurrency=3)
    try:
        report = send_campaign(store, issue, settings, list_name="newsletter")
    finally:
        server.stop()
    rows = rows_by_email(store, report.campaign_id)
    everyone = {email_of(i) for i in range(60)}
    ok = everyone - rejected - busy
    # A message whose reply was lost after it went out whole may have arrived: it
    # is sent again, and that delivery (only that one) is marked uncertain.
    lost_reply = {r: faults.count("drop-after-data") for r, faults in fault.faulted.items() if "drop-after-data" in faults}
    assert lost_reply
    assert report.status == "done"
    assert report.counts["sent"] == 56 and report.counts["failed"] == 4 and report.counts["uncertain"] == len(lost_reply)
    # The server kept each deliverable recipient's message once, plus once per lost reply, and nothing for the others.
    assert {r: n for r, n in server.counts.items()} == {r: 1 + lost_reply.get(r, 0) for r in ok}
    for email in ok:
        assert rows[email].state == "sent" and rows[email].last_reply.startswith("250")
        assert rows[email].uncertain == (email in lost_reply)
    for email in rejected:
        r = rows[email]
        assert (r.state, r.error_kind, r.attempts, r.status) == ("failed", "permanent", 1, "bounced")
        assert r.last_reply.startswith("550 5.1.1")
    [b] = busy
    assert (rows[b].state, rows[b].error_kind, rows[b].attempts) == ("failed", "temporary", 4)
    assert rows[b].last_reply.startswith("451 4.7.1")
    # Every kind of fault happened, and the ones hit were retried.
    assert set(fault.injected) == {"451-rcpt", "421-rcpt", "drop-after-data", "451-end-of-data"}
    retried = [e for e in ok if rows[e].attempts > 1]
    assert len(retried) >= 10
    print(f"\nfault injection: {dict(fault.injected)}; sent {report.counts['sent']}, "
          f"failed permanent {len(rejected)}, failed temporary {len(busy)}, retried {len(retried)}, received once each: {len(ok)}")


def test_campaign_pauses_when_the_server_is_down_and_resumes(tmp_path, store, people, issue) -> None:
    people(30)
    fault = FaultPolicy(down=True)
    server = faulty_server(fault)
    settings = smtp_settings(tmp_path, server, store, send_pause_after_failures=5, send_concurrency=1)
    try:
        report = send_campaign(store, issue, settings, list_name="newsletter")
        assert report.status == "paused" and "5 connection or server failures in a row" in report.paused_reason
        assert "421 4.3.2" in report.paused_reason and server.total == 0
        assert campaigns.find_campaign(store, issue.slug).status == "paused"
        assert report.counts["retry_wait"] == 5 and report.counts["queued"] == 25 and report.counts["sending"] == 0
        fault.down = False
        report = send_campaign(store, issue, settings, list_name="newsletter", resume=True)
    finally:
        server.stop()
    assert report.status == "done" and report.counts["sent"] == 30 and server.total == 30


def test_never_sends_to_someone_who_unsubscribed_after_queueing(tmp_path, store, people, issue) -> None:
    ids = people(20)
    server = faulty_server(FaultPolicy())
    settings = smtp_settings(tmp_path, server, store)
    try:
        first = send_campaign(store, issue, settings, list_name="newsletter", limit=5)
        assert first.sent_now == 5 and first.counts["queued"] == 15
        gone = ids[10:14]
        for sid in gone:
            unsubscribe(store, sid, source="web")
        report = send_campaign(store, issue, settings, list_name="newsletter")
    finally:
        server.stop()
    rows = rows_by_email(store, report.campaign_id)
    assert report.status == "done" and report.counts["sent"] == 16 and report.counts["skipped"] == 4
    for i in range(10, 14):
        assert server.counts[email_of(i)] == 0
        assert (rows[email_of(i)].state, rows[email_of(i)].error_kind) == ("skipped", "suppressed")
    assert sum(server.counts.values()) == 16


class FakeTime:
    """Wall clock and monotonic clock that move only when the runner sleeps."""

    def __init__(self, on_sleep=None) -> None:
        self.wall = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)
        self.mono = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def now(self) -> datetime:
        return self.wall

    def clock(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mono += seconds
        self.wall += timedelta(seconds=seconds)
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


def test_retries_back_off_exponentially_on_an_injected_clock(tmp_path, store, people, issue) -> None:
    people(1)
    fault = FaultPolicy(rate=1.0, faulty_attempts=3, faults=("451-rcpt",))
    server = faulty_server(fault)
    settings = smtp_settings(tmp_path, server, store, send_backoff_seconds=60.0, send_concurrency=1, send_max_attempts=5)
    fake = FakeTime()
    try:
        report = send_campaign(store, issue, settings, list_name="newsletter", now=fake.now, clock=fake.clock, sleep=fake.sleep, rng=random.Random(5))
    finally:
        server.stop()
    row = rows_by_email(store, report.campaign_id)[email_of(0)]
    assert (row.state, row.attempts) == ("sent", 4) and server.total == 1
    rng = random.Random(5)
    expected = [backoff_delay(n, 60.0, rng) for n in (1, 2, 3)]
    # The runner slept (on the fake clock) exactly until each retry was due.
    assert sum(fake.sleeps) == pytest.approx(sum(expected), abs=0.05)
    assert 30 <= expected[0] <= 60 and 60 <= expected[1] <= 120 and 120 <= expected[2] <= 240
    assert row.sent_at == fake.wall


def test_rate_limit_is_honoured_on_an_injected_clock(tmp_path, store, people, issue) -> None:
    people(25)
    server = faulty_server(FaultPolicy())
    settings = smtp_settings(tmp_path, server, store, send_concurrency=2)
    fake = FakeTime()
    try:
        report = send_campaign(store, issue, settings, list_name="newsletter", rate="60/min", now=fake.now, clock=fake.clock, sleep=fake.sleep)
    finally:
        server.stop()
    assert report.counts["sent"] == 25
    assert sum(fake.sleeps) == pytest.approx(24.0, abs=0.01)  # one per second after the first
    # A restart within the minute, now at 20/min, is seeded from the 25 already
    # sent in the last minute: it owes 5 plus its own first message before sending.
    people(5, start=100)
    server = faulty_server(FaultPolicy())
    settings = smtp_settings(tmp_path, server, store, send_concurrency=1)
    fake2 = FakeTime()
    fake2.wall = fake.wall
    try:
        again = send_campaign(store, issue, settings, list_name="newsletter", rate="20/min", now=fake2.now, clock=fake2.clock, sleep=fake2.sleep)
    finally:
        server.stop()
    assert again.sent_now == 5
    assert fake2.sleeps[0] == pytest.approx(18.0)  # (5 + 1) / (20/60 per s)
    assert sum(fake2.sleeps) == pytest.approx(18.0 + 4 * 3.0)


def test_unsubscribe_between_claim_and_send_is_honoured(tmp_path, store, people, issue) -> None:
    """At a slow rate a claimed batch waits; whoever unsubscribes meanwhile is skipped."""
    ids = people(5)
    server = faulty_server(FaultPolicy())
    settings = smtp_settings(tmp_path, server, store, send_concurrency=1)
    # While the rate limiter makes the 2nd message wait (the batch of 5 is already claimed),
    # person 3 unsubscribes.
    fake = FakeTime(on_sleep=lambda n: n == 1 and unsubscribe(store, ids[3], source="one-click"))
    try:
        report = send_campaign(store, issue, settings, list_name="newsletter", rate="60/min", now=fake.now, clock=fake.clock, sleep=fake.sleep)
    finally:
        server.stop()
    rows = rows_by_email(store, report.campaign_id)
    assert (rows[email_of(3)].state, rows[email_of(3)].error_kind) == ("skipped", "suppressed")
    assert server.counts[email_of(3)] == 0 and server.total == 4
    assert report.counts["sent"] == 4 and report.skipped_now == 1


def test_the_report_says_done_when_another_sender_finished_between_settling_and_counting(store, settings, people, issue, monkeypatch) -> None:
    """The interleaving forced: this run settles "running" (another sender still holds a row), that sender then
    finishes it and settles "done", and only then does this run count. Its report must say done, not
    "Not finished" with everything sent (seen with two `send` processes on PostgreSQL)."""
    from leadex_mail.campaign import runner

    people(3)
    real = campaigns.settle_status
    calls = []

    def settle(store_, campaign_id, reason, *, now):
        calls.append(campaign_id)
        if len(calls) > 1:
            return real(store_, campaign_id, reason, now=now)
        with store_.begin() as conn:  # the other sender's row, still on the wire
            last = conn.execute(select(Delivery.id).where(Delivery.campaign_id == campaign_id).order_by(Delivery.id.desc())).scalars().first()
            conn.execute(Delivery.__table__.update().where(Delivery.id == last).values(state="sending"))
        mine = real(store_, campaign_id, reason, now=now)
        with store_.begin() as conn:  # ... which it then finishes, and settles after us
            conn.execute(Delivery.__table__.update().where(Delivery.id == last).values(state="sent"))
        assert real(store_, campaign_id, None, now=now) == "done"
        return mine

    monkeypatch.setattr(runner.campaigns, "settle_status", settle)
    report = send_campaign(store, issue, settings, list_name="newsletter")
    assert report.counts["sent"] == 3 and report.status == "done"
    assert campaigns.find_campaign(store, "2026-04-leadex-01").status == "done"
