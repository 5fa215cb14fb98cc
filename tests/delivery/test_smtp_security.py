"""STARTTLS, implicit TLS and login against real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from delivery_helpers import make_settings

from leadex_mail.delivery.smtp import ServerFailure, SmtpTransport

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: tls\r\n\r\nhello\r\n"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file), made by the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def client_context(cert: Path) -> ssl.SSLContext:
    """A verifying client context that trusts only the test certificate."""
    return ssl.create_default_context(cafile=str(cert))


def authenticator(server, session, envelope, mechanism, data):
    ok = (data.login, data.password) == (b"urednik", b"pravo-geslo")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def server(certificate, smtp_server, start_smtp) -> Callable[..., int]:
    """``server(mode=, auth=)``: the sink behind TLS (``starttls`` or ``tls``), with AUTH when asked; its port."""

    def start(*, mode: str, auth: bool = False) -> int:
        options = {"authenticator": authenticator, "auth_require_tls": True} if auth else {}
        return start_smtp(smtp_server, certificate=certificate, security=mode, **options)

    return start


def test_starttls_with_login(server, certificate, smtp_server):
    port = server(mode="starttls", auth=True)
    settings = make_settings(transport="smtp", smtp_host="127.0.0.1", smtp_timeout=5.0, smtp_port=port, smtp_user="urednik", smtp_password="pravo-geslo")
    transport = SmtpTransport(settings, ssl_context=client_context(certificate[0]))
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")
    transport.close()
    assert len(smtp_server.to("b@example.org")) == 1


def test_implicit_tls(server, certificate, smtp_server):
    port = server(mode="tls")
    settings = make_settings(transport="smtp", smtp_host="127.0.0.1", smtp_timeout=5.0, smtp_port=port, smtp_security="tls")
    transport = SmtpTransport(settings, ssl_context=client_context(certificate[0]))
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")
    transport.close()


def test_wrong_password_is_a_server_failure_with_a_hint(server, certificate, smtp_server):
    port = server(mode="starttls", auth=True)
    settings = make_settings(transport="smtp", smtp_host="127.0.0.1", smtp_timeout=5.0, smtp_port=port, smtp_user="urednik", smtp_password="narobe")
    transport = SmtpTransport(settings, ssl_context=client_context(certificate[0]))
    with pytest.raises(ServerFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert "urednik" in err.value.message and "535" in err.value.reply and "LEADEX_SMTP_PASSWORD" in err.value.hint
    assert "narobe" not in err.value.message + (err.value.reply or "")
    assert smtp_server.messages == []


def test_untrusted_certificate_is_refused(server, smtp_server):
    port = server(mode="starttls")
    transport = SmtpTransport(make_settings(transport="smtp", smtp_host="127.0.0.1", smtp_timeout=5.0, smtp_port=port))  # system CAs only
    with pytest.raises(ServerFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert "TLS" in err.value.message and "certificate" in err.value.hint
    assert smtp_server.messages == []

