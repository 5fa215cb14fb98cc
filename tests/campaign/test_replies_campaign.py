"""What a campaign does with each kind of refusal and with lost replies, against real SMTP servers on loopback.

- A relay refusing every recipient the same way (``550 5.7.1 Relaying
  denied``) pauses the campaign with the server's words and a hint; nobody
  is suppressed and every delivery waits in the queue for the fix.
- Only a hard bounce (5.1.x) suppresses; a full mailbox (5.2.2) and a
  content or size refusal fail the delivery and keep the person.
- A reply lost after the whole message went out: re-sent and marked
  uncertain, or held unsent with ``send_uncertain = "hold"``.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from campaign_helpers import ISSUE, email_of, make_settings, smtp_env
from faulty_smtp import FaultPolicy, faulty_server
from sinks import ACCEPT_THEN_DROP, Policy, Session
from sqlalchemy import func, insert, select

from leadex_mail.store import campaigns, deliveries
from leadex_mail.campaign.runner import retry_campaign, send_campaign
from leadex_mail.campaign.workers import RECLAIMED_REPLY
from leadex_mail.store.lists import get_list
from leadex_mail.store.models import Delivery, Event, Subscriber, Subscription, Suppression, utcnow

KEY = "campaign-test-secret-key-0123456789abcdef"  # pre-flight: >= 32 characters for SMTP


class Relay:
    """An aiosmtpd handler: answers every RCPT with ``refusal`` while it is set, else keeps each message."""

    def __init__(self, refusal: str | None) -> None:
        self.refusal = refusal
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's hook name)
        if self.refusal:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.received.update(envelope.rcpt_tos)
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def relay(start_smtp):
    handler = Relay("550 5.7.1 Relaying denied")
    handler.host, handler.port = "127.0.0.1", start_smtp(handler)
    return handler


def rows(store, campaign_id):
    d, s = Delivery.__table__, Subscriber.__table__
    with store.begin(write=False) as conn:
        query = select(s.c.email, s.c.status, d).join(s, s.c.id == d.c.subscriber_id).where(d.c.campaign_id == campaign_id)
        return {r.email: r for r in conn.execute(query)}


def count(store, table, *where):
    with store.begin(write=False) as conn:
        return conn.execute(select(func.count()).select_from(table.__table__).where(*where)).scalar_one()


def test_relay_denied_for_everyone_pauses_and_suppresses_nobody(cli, store, people, relay) -> None:
    people(30)
    result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_PAUSE_AFTER_FAILURES="5", **smtp_env(relay))
    assert result.exit_code == 4, result.output  # paused
    assert "Paused: the server refused 5 recipients in a row the same way: 550 5.7.1 Relaying denied" in result.output
    assert "smtp_user" in result.output and "nobody was suppressed" in result.output  # the hint, in plain words
    assert f"To continue once the server is fine: leadex-mail send {ISSUE} --list newsletter --resume" in result.output
    campaign = campaigns.find_campaign(store, ISSUE)
    assert campaign.status == "paused" and "Relaying denied" in campaign.paused_reason
    # Nobody bounced, nobody suppressed, and every delivery waits for the fix (none "failed", none "sending").
    assert count(store, Subscriber, Subscriber.status == "active") == 30
    assert count(store, Suppression) == 0 and count(store, Event, Event.kind == "bounced") == 0
    counts = campaigns.state_counts(store, campaign.id)
    assert (counts["queued"], counts["failed"], counts["sending"], counts["sent"]) == (30, 0, 0, 0)
    assert "paused: the server refused 5 recipients" in cli("status", ISSUE).output

    relay.refusal = None  # the operator fixed the relay
    again = cli("send", ISSUE, "--list", "newsletter", "--resume", "--yes", **smtp_env(relay))
    assert again.exit_code == 0, again.output
    assert dict(relay.received) == {email_of(i): 1 for i in range(30)}
    assert campaigns.find_campaign(store, ISSUE).status == "done"


def test_each_refusal_kind_does_what_it_means(tmp_path, store, people, issue) -> None:
    people(12)
    s, sub = Subscriber.__table__, Subscription.__table__
    with store.begin() as conn:  # an internationalised address; the sink offers no SMTPUTF8
        zoe = conn.execute(insert(s).values(email="zoë@example.org", language="sl", status="active", attributes={})).inserted_primary_key[0]
        conn.execute(insert(sub).values(subscriber_id=zoe, list_id=get_list(store, "newsletter").id, status="active"))
    answers = {
        email_of(2): "550 5.1.1 <person00002@example.org>: Recipient address rejected: User unknown in local recipient table",
        email_of(3): "554 5.7.1 Message blocked due to spam content in the message.",
        email_of(5): "552 5.2.2 <person00005@example.org> Quota exceeded (mailbox for user is full)",
        email_of(7): "552 5.3.4 Message size exceeds fixed limit",
        email_of(9): "550 No Such User Here",
    }
    server = faulty_server(RcptAnswers(answers))
    settings = make_settings(
        tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none",
        secret_key=KEY, public_url="https://news.example.org", send_pause_after_failures=3,
    )
    try:
        report = send_campaign(store, issue, settings, list_name="newsletter")
    finally:
        server.stop()
    got = rows(store, report.campaign_id)
    assert report.status == "done" and report.failed_now == 6 and report.sent_now == 7  # scattered rejections do not pause
    expected = {  # delivery's error kind, subscriber's status
        email_of(2): ("permanent", "bounced"),
        email_of(9): ("permanent", "bounced"),  # no enhanced code, but the words are clear
        email_of(3): ("rejected", "active"),
        email_of(7): ("rejected", "active"),
        "zoë@example.org": ("rejected", "active"),  # the server's limit, not the person's address
        email_of(5): ("soft", "active"),
    }
    assert {e: (r.error_kind, r.status) for e, r in got.items() if r.state == "failed"} == expected
    assert count(store, Suppression) == 2
    soft = [e.detail for e in _events(store, "bounced")]
    assert sorted(d["hard"] for d in soft) == [False, True, True]  # the full mailbox is logged as a soft bounce
    # `retry` brings back what may work another day, never an address that does not exist.
    assert retry_campaign(store, issue.slug) == ("newsletter", 4)


class RcptAnswers(Policy):
    """Answers RCPT for some recipients with a fixed reply."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def on_rcpt(self, session: Session, rcpt: str) -> str | None:
        return self.answers.get(rcpt)


class LoseReplyOnce(Policy):
    """Keeps the message, then drops the connection without a reply, the first time for each of ``who``."""

    def __init__(self, who: set[str]) -> None:
        self.who = who
        self.lost: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_data_end(self, session: Session, data: bytes) -> str | None:
        rcpt = session.rcpts[0]
        with self.lock:
            if rcpt in self.who and not self.lost[rcpt]:
                self.lost[rcpt] += 1
                return ACCEPT_THEN_DROP
        return None


def _events(store, kind):
    e = Event.__table__
    with store.begin(write=False) as conn:
        return list(conn.execute(select(e).where(e.c.kind == kind)))


def test_lost_reply_is_resent_and_marked_uncertain_by_default(cli, store, people) -> None:
    people(6)
    server = faulty_server(LoseReplyOnce({email_of(2)}))
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", **smtp_env(server))
        status = cli("status", ISSUE).output
    finally:
        server.stop()
    assert result.exit_code == 0, result.output  # every delivery of the run was sent
    assert server.counts[email_of(2)] == 2 and all(server.counts[email_of(i)] == 1 for i in (0, 1, 3, 4, 5))
    got = rows(store, campaigns.find_campaign(store, ISSUE).id)
    assert got[email_of(2)].state == "sent" and got[email_of(2)].uncertain
    assert not any(r.uncertain for e, r in got.items() if e != email_of(2))
    assert "(uncertain 1:" in result.output and "may have received it twice" in result.output
    assert f"sent, possibly twice: {email_of(2)}" in status


def test_lost_reply_is_held_unsent_with_send_uncertain_hold(cli, store, people) -> None:
    people(6)
    server = faulty_server(LoseReplyOnce({email_of(2)}))
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_UNCERTAIN="hold", **smtp_env(server))
        assert result.exit_code == 3, result.output  # not every delivery was sent
        assert server.counts[email_of(2)] == 1  # the server has it once; we did not send it again
        # Held, not re-sent: never "twice"; the way to send it anyway is printed (finding i8/a8 #3).
        assert "held 1:" in result.output and "may have received it twice" not in result.output
        assert f"leadex-mail retry {ISSUE} --list newsletter --uncertain" in result.output
        assert "hint (refused)" not in result.output  # our own note about a lost reply is no server refusal
        campaign = campaigns.find_campaign(store, ISSUE)
        row = rows(store, campaign.id)[email_of(2)]
        assert (row.state, row.error_kind, row.uncertain) == ("failed", "uncertain", True)
        assert row.last_reply.startswith("no reply after the end of the message")
        assert campaign.status == "done"
        status = cli("status", ISSUE).output
        assert f"failed (uncertain): {email_of(2)}" in status and "--uncertain" in status
        assert "Re-queued 0" in cli("retry", ISSUE).output  # a plain retry leaves held ones alone
        assert "Re-queued 1" in cli("retry", ISSUE, "--uncertain").output
        again = cli("send", ISSUE, "--resume", "--yes", LEADEX_SEND_UNCERTAIN="hold", **smtp_env(server))
        assert again.exit_code == 0, again.output
    finally:
        server.stop()
    assert server.counts[email_of(2)] == 2
    row = rows(store, campaign.id)[email_of(2)]
    assert (row.state, row.uncertain) == ("sent", True)


@pytest.mark.parametrize("policy", ["resend", "hold"])
def test_delivery_of_a_crashed_send_follows_send_uncertain(tmp_path, store, people, issue, policy) -> None:
    people(4)
    server = faulty_server(FaultPolicy())
    settings = make_settings(
        tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none",
        secret_key=KEY, public_url="https://news.example.org", send_uncertain=policy,
    )
    try:
        first = send_campaign(store, issue, settings, list_name="newsletter", limit=0)  # opened and queued, nothing sent
        # Another host's send took one delivery and died mid-message: its lease has run out.
        [c] = deliveries.claim(store, first.campaign_id, "elsewhere:1:dead/0", 1, utcnow() - timedelta(hours=1), timedelta(seconds=1))
        with deliveries.open_deliveries(store) as rec:  # handed to its server: "sending"
            assert rec.start(c.delivery_id, "elsewhere:1:dead/0", utcnow() - timedelta(hours=1), timedelta(seconds=1))
        report = send_campaign(store, issue, settings, list_name="newsletter", resume=True)
    finally:
        server.stop()
    got = {r.id: r for r in rows(store, report.campaign_id).values()}
    crashed = got[c.delivery_id]
    assert crashed.uncertain
    if policy == "resend":
        assert crashed.state == "sent" and server.total == 4
    else:
        assert (crashed.state, crashed.error_kind, crashed.last_reply) == ("failed", "uncertain", RECLAIMED_REPLY) and server.total == 3
