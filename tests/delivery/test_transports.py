"""Transports against real SMTP servers on 127.0.0.1 and a real outbox folder."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from delivery_helpers import make_settings, parse, smtp_settings
from loopback import free_port

from leadex_mail.delivery.outbox import OutboxTransport
from leadex_mail.delivery.smtp import ServerFailure, SmtpTransport, is_loopback
from leadex_mail.delivery.transport import make_transport
from leadex_mail.errors import ConfigError, PermanentFailure, TemporaryFailure, UncertainDelivery

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n"


def test_smtp_sends_and_keeps_the_reply(smtp_server):
    transport = make_transport(smtp_settings(smtp_server.port))
    assert isinstance(transport, SmtpTransport)
    result = transport.send("a@example.org", ["b@example.org"], MESSAGE)
    transport.close()
    transport.close()  # harmless twice
    assert result.reply == "250 2.0.0 OK: queued" and result.ok
    (got,) = smtp_server.to("b@example.org")
    assert got.mail_from == "a@example.org"
    assert parse(got.data)["Subject"] == "hi" and b"\r\n.leading dot\r\n" in got.data


def test_one_connection_renewed_after_the_configured_count(faulty):
    sink, port = faulty()
    transport = SmtpTransport(smtp_settings(port, smtp_max_per_connection=2))
    for i in range(5):
        transport.send("a@example.org", [f"r{i}@example.org"], MESSAGE)
    transport.close()
    assert transport.connections == 3
    assert [s for s, _, _ in sink.received] == [1, 1, 2, 2, 3]


def test_452_too_many_messages_reconnects_and_goes_on(faulty):
    sink, port = faulty(on_mail=lambda s, n, a: "452 4.5.3 Too many messages on this session" if n >= 3 else None)
    transport = SmtpTransport(smtp_settings(port))
    results = [transport.send("a@example.org", [f"r{i}@example.org"], MESSAGE) for i in range(7)]
    transport.close()
    assert all(r.reply.startswith("250 2.0.0 Ok") for r in results)
    assert [rcpt for _, rcpt, _ in sink.received] == [f"r{i}@example.org" for i in range(7)]
    assert [s for s, _, _ in sink.received] == [1, 1, 1, 2, 2, 2, 3]


def test_421_at_mail_reconnects_once_then_reports_a_server_failure(faulty):
    sink, port = faulty(on_mail=lambda s, n, a: "421 4.3.2 Service shutting down")
    transport = SmtpTransport(smtp_settings(port))
    with pytest.raises(ServerFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert err.value.reply == "421 4.3.2 Service shutting down"
    assert "127.0.0.1" in err.value.message and "new connection" in err.value.message
    assert transport.connections == 2 and sink.received == []


def test_451_is_temporary_and_550_permanent_per_recipient(faulty):
    sink, port = faulty(
        on_rcpt=lambda s, n, a: {"later@example.org": "451 4.3.0 Try again later", "nobody@example.org": "550 5.1.1 No such user"}.get(a)
    )
    transport = SmtpTransport(smtp_settings(port))
    with pytest.raises(TemporaryFailure) as temp:
        transport.send("a@example.org", ["later@example.org"], MESSAGE)
    assert not isinstance(temp.value, (PermanentFailure, ServerFailure))
    assert temp.value.reply == "451 4.3.0 Try again later"
    with pytest.raises(PermanentFailure) as perm:
        transport.send("a@example.org", ["nobody@example.org"], MESSAGE)
    assert perm.value.reply == "550 5.1.1 No such user"
    ok = transport.send("a@example.org", ["ok@example.org", "nobody@example.org"], MESSAGE)
    assert ok.refused == {"nobody@example.org": "550 5.1.1 No such user"} and not ok.ok
    transport.close()
    assert transport.connections == 1  # refusals do not cost the connection
    assert [rcpt for _, rcpt, _ in sink.received] == ["ok@example.org"]


def test_5xx_after_data_is_permanent_and_sender_refusal_is_a_server_failure(faulty):
    _sink, port = faulty(
        on_data=lambda s, n, a: "552 5.3.4 Message too big" if a == "big@example.org" else None,
        on_mail=lambda s, n, a: "553 5.7.1 Sender not allowed" if a == "bad@example.org" else None,
    )
    transport = SmtpTransport(smtp_settings(port))
    with pytest.raises(PermanentFailure) as perm:
        transport.send("a@example.org", ["big@example.org"], MESSAGE)
    assert perm.value.reply == "552 5.3.4 Message too big"
    with pytest.raises(ServerFailure) as sender:
        transport.send("bad@example.org", ["b@example.org"], MESSAGE)
    assert sender.value.reply == "553 5.7.1 Sender not allowed" and "from_address" in sender.value.hint
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")


def test_dropped_connection_before_the_message_is_retried_on_a_new_one(faulty):
    sink, port = faulty(on_mail=lambda s, n, a: "drop" if s == 1 else None)
    transport = SmtpTransport(smtp_settings(port))
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")
    assert transport.connections == 2 and len(sink.received) == 1


def test_connection_dropped_after_the_message_before_its_reply_is_uncertain_and_not_resent(faulty):
    sink, port = faulty(on_data=lambda s, n, a: "drop" if s == 1 else None)
    transport = SmtpTransport(smtp_settings(port))
    with pytest.raises(UncertainDelivery) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert isinstance(err.value, ServerFailure)  # campaigns count it toward pausing, like other server failures
    assert "may have been delivered" in err.value.message and "connection was lost" in err.value.reply
    assert transport.connections == 1 and sink.received == []  # not re-sent on a new connection
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")  # goes on afterwards
    assert transport.connections == 2


def test_no_reply_in_time_after_the_message_is_uncertain(faulty):
    sink, port = faulty(hold_at="data")  # the whole message arrives; the answer never comes in time
    transport = SmtpTransport(smtp_settings(port, smtp_timeout=0.3))
    try:
        with pytest.raises(UncertainDelivery) as err:
            transport.send("a@example.org", ["b@example.org"], MESSAGE)
    finally:
        sink.hold.set()
    assert err.value.reply == "no reply after the end of the message (no answer within 0.3 s)"
    assert transport.connections == 1


def test_timeout_before_the_message_went_out_is_a_plain_server_failure(faulty):
    sink, port = faulty(hold_at="rcpt")
    transport = SmtpTransport(smtp_settings(port, smtp_timeout=0.3))
    try:
        with pytest.raises(ServerFailure) as err:
            transport.send("a@example.org", ["b@example.org"], MESSAGE)
    finally:
        sink.hold.set()
    assert not isinstance(err.value, UncertainDelivery)
    assert err.value.reply == "timeout" and "0.3 s" in err.value.message


def test_smtp_refusals_are_classified_by_enhanced_code(faulty):
    replies = {
        "relay@example.org": "550 5.7.1 Relaying denied",
        "full@example.org": "552 5.2.2 Mailbox full",
        "big@example.org": "552 5.3.4 Message size exceeds fixed limit",
        "later@example.org": "450 4.2.0 Greylisted",
    }
    _sink, port = faulty(on_rcpt=lambda s, n, a: replies.get(a))
    transport = SmtpTransport(smtp_settings(port))
    for address in ("relay@example.org", "full@example.org", "big@example.org"):
        with pytest.raises(PermanentFailure) as err:
            transport.send("a@example.org", [address], MESSAGE)
        assert err.value.reply == replies[address] and err.value.hint  # the hint says what to do
    assert "relay" in transport_hint(transport, "relay@example.org", PermanentFailure)
    with pytest.raises(TemporaryFailure):
        transport.send("a@example.org", ["later@example.org"], MESSAGE)
    transport.close()


def transport_hint(transport, address, error) -> str:
    with pytest.raises(error) as err:
        transport.send("a@example.org", [address], MESSAGE)
    return err.value.hint or ""


def test_connection_refused_is_wrapped_with_host_and_port():
    port = free_port()  # nothing listens here
    transport = SmtpTransport(smtp_settings(port))
    with pytest.raises(ServerFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert f"127.0.0.1:{port}" in err.value.message and err.value.hint


def test_plaintext_to_a_remote_host_is_refused_without_connecting(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("must not connect")

    monkeypatch.setattr(socket, "create_connection", no_network)
    settings = make_settings(transport="smtp", smtp_host="mail.example.org", smtp_security="none")
    with pytest.raises(ConfigError) as err:
        make_transport(settings)
    assert "mail.example.org:25" in err.value.message and "smtp_allow_insecure" in err.value.hint
    allowed = make_transport(make_settings(transport="smtp", smtp_host="mail.example.org", smtp_security="none", smtp_allow_insecure=True))
    assert allowed.name == "smtp"


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("mail.example.org")


def test_starttls_refused_by_a_plain_server_is_a_server_failure(smtp_server):
    transport = SmtpTransport(make_settings(transport="smtp", smtp_host="127.0.0.1", smtp_port=smtp_server.port))
    with pytest.raises(ServerFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert "STARTTLS" in err.value.message.upper() and smtp_server.messages == []


# -- outbox -------------------------------------------------------------------


def test_outbox_writes_one_complete_file_per_message(tmp_path):
    transport = make_transport(make_settings(outbox_dir=tmp_path / "outbox"), outbox_subdir="2026-04-leadex-01")
    assert isinstance(transport, OutboxTransport)
    results = [transport.send("a@example.org", ["žiga/../x@example.org"], MESSAGE + bytes([i])) for i in range(3)]
    folder = tmp_path / "outbox" / "2026-04-leadex-01"
    files = sorted(folder.iterdir())
    assert [Path(r.reply) for r in results] == files  # names sort in sending order
    assert all(f.suffix == ".eml" and f.parent == folder and "/" not in f.name[:-4].split("-", 2)[2] for f in files)
    assert [f.read_bytes() for f in files] == [MESSAGE + bytes([i]) for i in range(3)]


def test_outbox_temp_files_never_look_like_messages(tmp_path, monkeypatch):
    import os

    transport = OutboxTransport(tmp_path)
    seen_during_write: list[list[str]] = []
    real_link = os.link

    def spy_link(src, dst, *args, **kwargs):
        seen_during_write.append(sorted(p.name for p in tmp_path.iterdir()))
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", spy_link)
    transport.send("a@example.org", ["b@example.org"], MESSAGE)
    (before,) = seen_during_write
    assert len(before) == 1 and not before[0].endswith(".eml")  # the temp file, complete, not yet a message
    assert [p.suffix for p in tmp_path.iterdir()] == [".eml"]  # and no temp file left behind


def test_outbox_failure_is_temporary_with_a_hint(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TemporaryFailure) as err:
        OutboxTransport(blocker / "sub").send("a@example.org", ["b@example.org"], MESSAGE)
    assert "outbox" in err.value.message and "LEADEX_OUTBOX_DIR" in err.value.hint


@pytest.mark.parametrize(
    "data",
    [
        b"Subject: x\r\n\r\n.leading dot\r\nmiddle\r\n..two\r\n.\r\nend",
        b".first line\r\n\r\nbody\r\n",
        b"Subject: bare\n\n.dot after bare LF\r\n.and CRLF\r\n",
        b"Subject: lone CR\r\n\r\na\rb\r\n.x\r\n",
        b"",
    ],
)
def test_dot_stuffing_matches_smtplib(data):
    """The fast dot-stuffing gives byte for byte what smtplib's DATA would send."""
    import smtplib as _smtplib

    from leadex_mail.delivery.smtp import dot_stuff

    expected = _smtplib._quote_periods(data)
    if expected[-2:] != b"\r\n":
        expected += b"\r\n"
    assert dot_stuff(data) == expected


def test_lines_starting_with_a_dot_arrive_intact(smtp_server):
    """Through a real server: the receiver un-stuffs what we stuffed."""
    from leadex_mail.config import load_settings
    from leadex_mail.delivery.smtp import SmtpTransport

    settings = load_settings(environ={"LEADEX_SMTP_HOST": "127.0.0.1", "LEADEX_SMTP_PORT": str(smtp_server.port), "LEADEX_SMTP_SECURITY": "none"})
    body = b"Subject: dots\r\n\r\n.one\r\n..two\r\nplain\r\n"
    transport = SmtpTransport(settings)
    try:
        transport.send("a@example.org", ["b@example.org"], body)
    finally:
        transport.close()
    assert smtp_server.to("b@example.org")[0].data.replace(b"\r\n", b"\n") == body.replace(b"\r\n", b"\n")
