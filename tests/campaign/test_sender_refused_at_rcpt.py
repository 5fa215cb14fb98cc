"""A refusal of the sender that arrives at RCPT suppresses nobody (tester's finding i8/a8 #1).

Postfix with ``reject_unlisted_sender`` (or ``reject_unverified_sender``)
and ``smtpd_delay_reject = yes`` (its default) refuses the *sender* in reply
to each RCPT, with a 5.1.x code: ``550 5.1.0 <from>: Sender address
rejected: User unknown in virtual mailbox table``. Every recipient got that
answer, so it was read as "the recipient does not exist": the whole list was
marked bounced and suppressed, and the campaign ended "done". Now it is a
rejection about the sender: the campaign pauses with the hint, nobody
bounces, and every delivery waits in the queue.
"""

from __future__ import annotations

import pytest
from campaign_helpers import ISSUE, smtp_env
from faulty_smtp import FaultPolicy, faulty_server
from sinks import Policy, Session
from sqlalchemy import func, select

from leadex_mail.store.models import Delivery, Event, Subscriber, Suppression

SENDER_REFUSALS = [
    "550 5.1.0 <newsletter@example.org>: Sender address rejected: User unknown in virtual mailbox table",
    "550 5.1.1 <newsletter@example.org>: Sender address rejected: undeliverable address: host example.org said: 550 User unknown",
    "550 HELO host does not exist",
]


def _count(store, table, *where) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(select(func.count()).select_from(table.__table__).where(*where)).scalar_one()


@pytest.mark.parametrize("refusal", SENDER_REFUSALS)
def test_sender_refused_at_rcpt_pauses_and_suppresses_nobody(cli, store, people, refusal: str) -> None:
    people(25)
    server = faulty_server(FaultPolicy(rejection=refusal))
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_PAUSE_AFTER_FAILURES="5", **smtp_env(server))
        status = cli("status", ISSUE).output
    finally:
        server.stop()
    assert result.exit_code == 4, result.output  # paused, not "done" with 25 failures
    assert "nobody was suppressed" in result.output and refusal.split(":")[0] in result.output
    assert _count(store, Subscriber, Subscriber.status == "active") == 25
    assert _count(store, Suppression) == 0 and _count(store, Event, Event.kind == "bounced") == 0
    assert _count(store, Delivery, Delivery.state == "failed") == 0 and _count(store, Delivery, Delivery.state == "queued") == 25
    assert "paused" in status


class RefuseSender(Policy):
    """Refuses the sender at MAIL FROM (Postfix with smtpd_delay_reject = no)."""

    def on_mail(self, session: Session, sender: str) -> str | None:
        return "550 5.1.1 <newsletter@example.org>: Sender address rejected: undeliverable address"


def test_sender_refused_at_mail_from_is_shown_as_a_refusal_with_its_hint(cli, store, people) -> None:
    """Finding i8/a8 #11: it was listed as "retry_wait (temporary)" with no hint."""
    people(4)
    server = faulty_server(RefuseSender())
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_PAUSE_AFTER_FAILURES="2", **smtp_env(server))
        status = cli("status", ISSUE).output
    finally:
        server.stop()
    assert result.exit_code == 4, result.output  # paused: the server refuses us, not them
    assert _count(store, Suppression) == 0 and _count(store, Event, Event.kind == "bounced") == 0
    assert "(refused: sender)" in status and "(temporary)" not in status, status
    assert "hint (sender): the server refused the sender address: check from_address" in status, status


class TwoWordings(Policy):
    """One relay refusal in two wordings and basic codes, alternating (the tester's sink: ``alt:``)."""

    def __init__(self) -> None:
        self.n = 0

    def on_rcpt(self, session: Session, rcpt: str) -> str | None:
        self.n += 1
        return f"554 5.7.1 <{rcpt}>: Relay access denied" if self.n % 2 else "550 5.7.1 Unable to relay"


def test_one_relay_refusal_in_two_wordings_pauses(cli, store, people) -> None:
    """Finding i8/a8 #8: 30 recipients, done with 30 failed and no pause (the key held the basic code)."""
    people(30)
    server = faulty_server(TwoWordings())
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_PAUSE_AFTER_FAILURES="5", **smtp_env(server))
    finally:
        server.stop()
    assert result.exit_code == 4, result.output
    assert "recipients in a row the same way" in result.output and "nobody was suppressed" in result.output
    assert _count(store, Delivery, Delivery.state == "failed") == 0 and _count(store, Delivery, Delivery.state == "queued") == 30
