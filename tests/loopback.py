"""Servers on 127.0.0.1 for the tests: a free port, and aiosmtpd servers with the TLS or AUTH a test needs.

A module, not fixtures in ``tests/conftest.py``, so that helper modules of
every folder import the same code (``from conftest import`` would find
whichever folder's conftest came first in the whole suite). The fixture
``start_smtp`` in ``tests/conftest.py`` wraps ``SmtpServers``.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_tls_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS context presenting ``certificate`` (certificate file, key file; PEM)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


class SmtpServers:
    """aiosmtpd servers started for one test, stopped together by ``stop_all``."""

    def __init__(self) -> None:
        self.started: list[Any] = []

    def start(
        self, handler: object, *, certificate: tuple[Path, Path] | None = None, security: str = "none", controller: type | None = None,
        **options: Any,
    ) -> int:
        """Start an aiosmtpd server on 127.0.0.1 for ``handler`` on a free port; return the port.

        ``security`` as the ``smtp_security`` setting names it: ``"none"``
        (plain text), ``"starttls"`` (STARTTLS offered and required, RFC 3207)
        or ``"tls"`` (TLS from the first byte, RFC 8314); the last two present
        ``certificate`` (certificate file, key file). ``controller`` is a
        subclass of aiosmtpd's ``Controller`` (e.g. with its own SMTP
        ``factory``); ``options`` go to it (an ``authenticator``,
        ``auth_required``, ``enable_SMTPUTF8``...).
        """
        from aiosmtpd.controller import Controller

        if security != "none":
            assert certificate is not None, f"security={security!r} needs a certificate"
            context = server_tls_context(certificate)
            options = {**options, **({"tls_context": context, "require_starttls": True} if security == "starttls" else {"ssl_context": context})}
        port = free_port()
        server = (controller or Controller)(handler, hostname="127.0.0.1", port=port, **options)
        server.start()
        self.started.append(server)
        return port

    def stop_all(self) -> None:
        """Stop every server this object started."""
        for server in self.started:
            server.stop()
        self.started.clear()
