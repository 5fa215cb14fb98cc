"""The return path on the wire: envelope sender, VERP, the DSN request (RFC 3461) and the EHLO name.

A real aiosmtpd server on loopback that offers DSN and records the raw
MAIL and RCPT parameters (aiosmtpd itself knows no DSN parameters, so its
SMTP class is taught to accept and keep them).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import pytest
from campaign_helpers import make_settings


from leadex_mail.campaign.runner import send_campaign
from leadex_mail.verp import verp_address, verp_delivery

BOUNCES = "bounces@news.example.org"


@dataclass
class DsnSink:
    """Keeps each session's EHLO name and each message's raw MAIL/RCPT arguments and data."""

    offer_dsn: bool = True
    offer_pipelining: bool = False  # RFC 2920: the transport then sends MAIL, RCPT and DATA in one write
    ehlo: list[str] = field(default_factory=list)
    mail: list[str] = field(default_factory=list)
    rcpt: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 (aiosmtpd's hook name)
        session.host_name = hostname
        with self.lock:
            self.ehlo.append(hostname)
        if self.offer_dsn:
            responses.insert(len(responses) - 1, "250-DSN")
        if self.offer_pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return "250 2.0.0 OK: queued"


@pytest.fixture
def dsn_server(start_smtp):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    sink = DsnSink()

    class DsnSMTP(SMTP):
        async def smtp_MAIL(self, arg):  # noqa: N802
            with sink.lock:
                sink.mail.append(arg or "")
            await super().smtp_MAIL(re.sub(r"\s+(RET|ENVID)=\S+", "", arg or "", flags=re.I))

        async def smtp_RCPT(self, arg):  # noqa: N802
            with sink.lock:
                sink.rcpt.append(arg or "")
            await super().smtp_RCPT(re.sub(r"\s+(NOTIFY|ORCPT)=\S+", "", arg or "", flags=re.I))

    class DsnController(Controller):
        def factory(self):
            return DsnSMTP(self.handler)

    return sink, start_smtp(sink, controller=DsnController)


def _settings(tmp_path, port, store, **over):
    values = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", secret_key="return-path-test-secret-key-0123456789",
                  public_url="https://news.example.org", from_address="novice@news.example.org",
                  bounce_address=BOUNCES, verp=True, smtp_helo_name="mail.news.example.org")
    values.update(over)
    return make_settings(tmp_path, store=store, **values)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_verp_return_path_dsn_request_and_helo_name(tmp_path, store, people, issue, dsn_server, pipelining) -> None:
    sink, port = dsn_server
    sink.offer_pipelining = pipelining
    people(3)
    settings = _settings(tmp_path, port, store)
    report = send_campaign(store, issue, settings, list_name="newsletter", concurrency=1)
    assert report.counts["sent"] == 3, report.failures
    assert set(sink.ehlo) == {"mail.news.example.org"}
    key = settings.signing_key()
    senders = [re.match(r"FROM:<([^>]*)>", m, re.I).group(1) for m in sink.mail]
    assert sorted(verp_delivery(s, BOUNCES, [key]) for s in senders) == [1, 2, 3]  # each delivery its own signed return path
    assert senders[0] == verp_address(BOUNCES, verp_delivery(senders[0], BOUNCES, [key]), key)
    for raw in sink.mail:
        assert " RET=HDRS" in raw
        envid = re.search(r"ENVID=(\S+)", raw).group(1)
        assert re.fullmatch(r"lx\.\d+\.\d+\.[0-9a-f]{16}", envid)  # the Message-ID's local part
    assert all(r.endswith(" NOTIFY=FAILURE") for r in sink.rcpt) and len(sink.rcpt) == 3


def test_no_dsn_parameters_where_the_relay_does_not_offer_dsn(tmp_path, store, people, issue, dsn_server) -> None:
    sink, port = dsn_server
    sink.offer_dsn = False
    people(1)
    report = send_campaign(store, issue, _settings(tmp_path, port, store, verp=False), list_name="newsletter", concurrency=1)
    assert report.counts["sent"] == 1, report.failures
    assert [re.match(r"FROM:<([^>]*)>", m, re.I).group(1) for m in sink.mail] == [BOUNCES]  # fixed bounce address, no VERP
    assert "ENVID" not in sink.mail[0] and "NOTIFY" not in sink.rcpt[0]
