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
