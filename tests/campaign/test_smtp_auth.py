"""SMTP AUTH with a non-ASCII password (``geslo-čšž``) against real aiosmtpd servers on 127.0.0.1.

smtplib encodes credentials as ASCII: the reported password was a
UnicodeEncodeError traceback, and the two deliveries in flight were later
marked "uncertain" although nothing had reached the server. Credentials
now go out as UTF-8 with each mechanism the server may offer.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword
from campaign_helpers import ISSUE, add_people, email_of, make_settings

from leadex_mail.content.loader import load_issue
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.delivery.smtp import ServerFailure, SmtpTransport

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only

USER, PASSWORD = "urednik@example.org", "geslo-čšž"
MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: auth\r\n\r\nhello\r\n"


class AuthSink:
    """An aiosmtpd handler that keeps (recipients, message) and offers CRAM-MD5 too (PLAIN and LOGIN are built in)."""

    def __init__(self) -> None:
        self.port = 0  # set once started
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        return "250 2.0.0 OK: queued"

    async def auth_CRAM__MD5(self, server, args):  # noqa: N802 (aiosmtpd derives "CRAM-MD5" from the name)
        challenge = b"<1896.697170952@example.org>"
        answer = await server.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False)
        user, _, digest = answer.rpartition(b" ")
        expected = hmac.new(PASSWORD.encode("utf-8"), challenge, "md5").hexdigest().encode("ascii")
        return AuthResult(success=user == USER.encode("utf-8") and hmac.compare_digest(digest, expected), handled=False)


def authenticator(server, session, envelope, mechanism, data):
    """Accept USER/PASSWORD compared as UTF-8 bytes, as a server stores them."""
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode("utf-8"), PASSWORD.encode("utf-8"))
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_server(start_smtp) -> Callable[[str], AuthSink]:
    """Start a loopback SMTP server requiring AUTH with only the given mechanism; stopped after the test."""

    def start(mechanism: str) -> AuthSink:
        sink = AuthSink()
        excluded = [m for m in ("PLAIN", "LOGIN", "CRAM-MD5") if m != mechanism]
        sink.port = start_smtp(sink, authenticator=authenticator, auth_required=True, auth_require_tls=False, auth_exclude_mechanism=excluded)
        return sink

    return start


def smtp(tmp_path, port: int, password: str = PASSWORD):
    """Settings for the loopback AUTH server (plain text is fine on loopback)."""
    return make_settings(
        tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_timeout=5.0, smtp_user=USER, smtp_password=password,
        secret_key="auth-test-secret-key-0123456789abcdef", public_url="https://news.example.org",
    )  # fmt: skip


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_non_ascii_password_logs_in(auth_server, mechanism, tmp_path):
    sink = auth_server(mechanism)
    transport = SmtpTransport(smtp(tmp_path, sink.port))
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")
    transport.close()
    assert [rcpts for rcpts, _ in sink.messages] == [["b@example.org"]]


def test_wrong_non_ascii_password_is_a_server_failure_without_the_password(auth_server, tmp_path):
    sink = auth_server("PLAIN")
    transport = SmtpTransport(smtp(tmp_path, sink.port, password="geslo-žšč-narobe"))
    with pytest.raises(ServerFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert "535" in (err.value.reply or "") and "LEADEX_SMTP_PASSWORD" in (err.value.hint or "")
    assert "narobe" not in err.value.message + (err.value.reply or "")
    assert sink.messages == []


def test_a_campaign_with_a_non_ascii_password_is_sent_with_nothing_uncertain(auth_server, tmp_path):
    """The reported case end to end: two connections at once, every delivery sent, none uncertain."""
    from leadex_mail.store.db import open_store

    sink = auth_server("PLAIN")
    settings = smtp(tmp_path, sink.port)
    with open_store(settings) as store:
        add_people(store, 4)
        report = send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter", concurrency=2)
    assert report.status == "done" and report.counts["sent"] == 4 and not report.counts.get("uncertain"), report
    assert sorted(r for rcpts, _ in sink.messages for r in rcpts) == [email_of(i) for i in range(4)]
    assert all(message_from_bytes(data, policy=policy.default)["Subject"] for _, data in sink.messages)
