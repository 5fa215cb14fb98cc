"""STARTTLS, implicit TLS and login against real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from delivery_helpers import free_port, make_settings

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


@pytest.fixture
def server(certificate, smtp_server) -> Iterator:
    """Start an aiosmtpd server with TLS and/or AUTH options; stop it after the test."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    started = []
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(cert), str(key))

    def authenticator(server, session, envelope, mechanism, data):
        ok = (data.login, data.password) == (b"urednik", b"pravo-geslo")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def start(*, mode: str, auth: bool = False):
        port = free_port()
        kwargs = {"authenticator": authenticator, "auth_require_tls": True} if auth else {}
        if mode == "starttls":
            controller = Controller(smtp_server, hostname="127.0.0.1", port=port, tls_context=server_ctx, require_starttls=True, **kwargs)
        else:
            controller = Controller(smtp_server, hostname="127.0.0.1", port=port, ssl_context=server_ctx, **kwargs)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


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

