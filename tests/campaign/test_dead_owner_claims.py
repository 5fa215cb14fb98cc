"""A send killed with ``kill -9``: of its claimed rows only the one in hand may have reached the server (finding i8/a8 #3).

A worker sends its claim in id order and records each outcome before the
next message, so of a dead worker's rows still "sending" only the lowest id
can have been handed over. Reported: when the resume came after the lease
had run out (``send_lease_seconds = 5``, resumed 6 s after ``kill -9``), all
30 claimed rows came back uncertain; with ``send_uncertain = hold`` the 28
never handed over were failed and never sent. The dead process is a real
one that has ended; its lease is either still running or long over.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from campaign_helpers import make_settings
from faulty_smtp import FaultPolicy, faulty_server
from sqlalchemy import select

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store import deliveries
from leadex_mail.store.models import Delivery, utcnow

KEY = "campaign-test-secret-key-0123456789abcdef"


def _dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _rows(store, campaign_id: int) -> dict[int, Delivery]:
    d = Delivery.__table__
    with store.begin(write=False) as conn:
        return {r.id: r for r in conn.execute(select(d).where(d.c.campaign_id == campaign_id))}


@pytest.mark.parametrize("lease", ["ran out", "still running"])
@pytest.mark.parametrize("policy", ["resend", "hold"])
def test_only_the_message_in_hand_of_a_dead_send_is_uncertain(tmp_path, store, people, issue, policy, lease) -> None:
    people(12)
    server = faulty_server(FaultPolicy())
    settings = make_settings(
        tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none",
        secret_key=KEY, public_url="https://news.example.org", send_uncertain=policy,
    )  # fmt: skip
    try:
        first = send_campaign(store, issue, settings, list_name="newsletter", limit=0)  # opened and queued, nothing sent
        owner = f"{socket.gethostname()}:{_dead_pid()}:deadbeef/0"
        claimed_at = utcnow() - (timedelta(hours=1) if lease == "ran out" else timedelta(0))
        claimed = deliveries.claim(store, first.campaign_id, owner, 8, claimed_at, timedelta(seconds=300))
        assert len(claimed) == 8
        with deliveries.open_deliveries(store) as rec:  # the first was in hand when it died
            assert rec.start(claimed[0].delivery_id, owner, claimed_at, timedelta(seconds=300))
        report = send_campaign(store, issue, settings, list_name="newsletter", resume=True)
    finally:
        server.stop()
    got = _rows(store, report.campaign_id)
    in_hand, *never_tried = sorted(c.delivery_id for c in claimed)
    assert got[in_hand].uncertain
    assert [i for i, r in got.items() if r.uncertain] == [in_hand]
    assert all(got[i].state == "sent" for i in never_tried)
    if policy == "resend":
        assert got[in_hand].state == "sent" and server.total == 12
    else:
        assert (got[in_hand].state, got[in_hand].error_kind) == ("failed", "uncertain") and server.total == 11
