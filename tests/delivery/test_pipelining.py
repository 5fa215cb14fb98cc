"""PIPELINING (RFC 2920) and the per-process TLS context, against the fast sink on loopback.

Every reply of a pipelined envelope is classified as on the one-by-one path;
each case runs against a sink that offers PIPELINING and one that does not.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from pathlib import Path

import pytest
from delivery_helpers import smtp_settings

from leadex_mail.delivery import smtp
from leadex_mail.delivery.smtp import SmtpTransport
from leadex_mail.errors import PermanentFailure, ServerFailure, TemporaryFailure, UncertainDelivery

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from sinks import ACCEPT_THEN_DROP, DROP, Policy, Session, SinkServer  # noqa: E402

MESSAGE = b"From: a@example.org\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n"


class Scripted(Policy):
    """Answers scripted per stage for the recipient ``bad@example.org`` (or every sender ``bad@...``)."""

    def __init__(self, *, mail=None, rcpt=None, data_command=None, data_end=None) -> None:  # noqa: ANN001
        self.mail, self.rcpt, self.data_command, self.data_end = mail, rcpt, data_command, data_end
        self.current: list[str] = []

    def on_mail(self, session: Session, sender: str) -> str | None:
        return self.mail if sender.startswith("bad@") else None

    def on_rcpt(self, session: Session, rcpt: str) -> str | None:
        self.current = [rcpt]
        return self.rcpt if rcpt == "bad@example.org" else None

    def on_data_command(self, session: Session) -> str | None:
        return self.data_command if self.current == ["bad@example.org"] else None

    def on_data_end(self, session: Session, data: bytes) -> str | None:
        return self.data_end if session.rcpts == ["bad@example.org"] else None


@pytest.fixture(params=[True, False], ids=["pipelined", "one-by-one"])
def sink(request):
    """A factory of started sinks (offering PIPELINING or not), stopped after the test."""
    started = []

    def start(policy: Policy | None = None) -> SinkServer:
        server = SinkServer(policy=policy, keep=True, pipelining=request.param).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_envelope_goes_in_one_write_when_offered(sink):
    server = sink()
    transport = SmtpTransport(smtp_settings(server.port))
    results = [transport.send("a@example.org", [f"r{i}@example.org"], MESSAGE) for i in range(3)]
    transport.close()
    assert all(r.reply.startswith("250 2.0.0 Ok") for r in results)
    assert server.pipelined == (3 if server.pipelining else 0)  # MAIL arrived with RCPT and DATA behind it
    assert [m[2] for m in server.messages] == [smtp.dot_stuff(MESSAGE)] * 3 and server.connections == 1


@pytest.mark.parametrize(
    ("script", "sender", "error", "reply"),
    [
        ({"mail": "553 5.7.1 Sender not allowed"}, "bad@example.org", ServerFailure, "553 5.7.1 Sender not allowed"),
        ({"rcpt": "550 5.1.1 No such user"}, "a@example.org", PermanentFailure, "550 5.1.1 No such user"),
        ({"rcpt": "451 4.3.0 Try later"}, "a@example.org", TemporaryFailure, "451 4.3.0 Try later"),
        ({"data_command": "554 5.7.1 Not from here"}, "a@example.org", PermanentFailure, "554 5.7.1 Not from here"),
        ({"data_command": "451 4.3.0 Busy"}, "a@example.org", TemporaryFailure, "451 4.3.0 Busy"),
        ({"data_end": "552 5.3.4 Too big"}, "a@example.org", PermanentFailure, "552 5.3.4 Too big"),
        # A server that lets DATA through after refusing the only recipient: a lone "." ends it, no content goes out.
        ({"rcpt": "550 5.1.1 No such user", "data_command": "354 go ahead"}, "a@example.org", PermanentFailure, "550 5.1.1 No such user"),
    ],
)
def test_refusals_are_classified_alike_and_the_connection_goes_on(sink, script, sender, error, reply):
    server = sink(Scripted(**script))
    transport = SmtpTransport(smtp_settings(port=server.port))
    with pytest.raises(error) as err:
        transport.send(sender, ["bad@example.org"], MESSAGE)
    assert err.value.reply == reply
    if error is TemporaryFailure:
        assert not isinstance(err.value, (PermanentFailure, ServerFailure))
    assert transport.send("a@example.org", ["ok@example.org"], MESSAGE).reply.startswith("250")  # in step
    transport.close()
    assert transport.connections == 1
    assert [(m[1], m[2]) for m in server.messages] == [(["ok@example.org"], smtp.dot_stuff(MESSAGE))]
    # Only a pipelined DATA can meet that 354 (one by one, DATA is never sent without a recipient).
    assert server.unaddressed == ([b""] if server.pipelining and "data_command" in script and "rcpt" in script else [])


def test_connection_dropped_after_the_final_dot_is_uncertain_and_not_resent(sink):
    server = sink(Scripted(data_end=ACCEPT_THEN_DROP))
    transport = SmtpTransport(smtp_settings(server.port))
    with pytest.raises(UncertainDelivery) as err:
        transport.send("a@example.org", ["bad@example.org"], MESSAGE)
    assert "connection was lost" in err.value.reply and server.total == 1
    assert transport.send("a@example.org", ["ok@example.org"], MESSAGE).reply.startswith("250")
    transport.close()
    assert server.total == 2 and transport.connections == 2


@pytest.mark.parametrize("stage", ["rcpt", "data_command"])
def test_drop_or_421_before_the_content_is_tried_once_more_on_a_new_connection(sink, stage):
    for answer in (DROP, "421 4.3.2 Shutting down"):
        server = sink(Scripted(**{stage: answer}))
        transport = SmtpTransport(smtp_settings(server.port))
        with pytest.raises(ServerFailure) as err:
            transport.send("a@example.org", ["bad@example.org"], MESSAGE)
        assert not isinstance(err.value, UncertainDelivery) and "new connection" in err.value.message
        assert transport.connections == 2 and server.total == 0
        transport.close()


def test_an_address_cannot_smuggle_a_command_in(sink):
    """A line break inside an address never starts a command of its own, pipelined or not (as smtplib)."""
    server = sink()
    transport = SmtpTransport(smtp_settings(server.port))
    transport.send("a@example.org", ["b@example.org\r\nRCPT TO:<c@example.org>"], MESSAGE)
    transport.close()
    assert [len(m[1]) for m in server.messages] == [1]
    with pytest.raises(ValueError):
        smtp._command_bytes(["MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>\r\nRSET"], False)


@pytest.mark.parametrize(
    "address",
    ["a@example.org", "a.b+tag@sub.example.org", "o'neil@example.org", "Name <a@example.org>", '"a b"@example.org', "", "<a@example.org>", "žiga@example.org"],
)
def test_addresses_are_quoted_as_smtplib_quotes_them(address):
    assert smtp._quote(address) == smtplib.quoteaddr(address)


def test_no_tls_context_is_made_for_plain_sessions(sink, monkeypatch):
    """Reading the CA store costs ~0.1 s: a process that sends without TLS never does it."""

    def forbidden(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("a TLS context was made for a session without TLS")

    monkeypatch.setattr(ssl, "create_default_context", forbidden)
    server = sink()
    transport = SmtpTransport(smtp_settings(server.port))
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")
    transport.close()


def test_one_tls_context_per_process(monkeypatch):
    made = []
    smtp.client_tls_context.cache_clear()  # contexts made by earlier tests with the real function
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(object()) or made[-1])
    try:
        contexts = {id(SmtpTransport(smtp_settings(1, smtp_security=security)).ssl_context) for security in ("starttls", "tls", "starttls")}
    finally:
        smtp.client_tls_context.cache_clear()  # no stand-in context outlives the test
    assert len(made) == 1 and contexts == {id(made[0])}


def test_internationalised_addresses_go_pipelined_as_utf8(start_smtp):
    """SMTPUTF8 (RFC 6531) in a pipelined envelope: the commands are UTF-8, the server gets the addresses intact."""
    from delivery_helpers import FaultySink

    handler = FaultySink(pipelining=True)
    transport = SmtpTransport(smtp_settings(start_smtp(handler, enable_SMTPUTF8=True)))
    assert transport.send("žiga@example.org", ["zoë@example.org"], MESSAGE).reply.startswith("250")
    transport.close()
    assert [(rcpt, data) for _, rcpt, data in handler.received] == [("zoë@example.org", MESSAGE)]
