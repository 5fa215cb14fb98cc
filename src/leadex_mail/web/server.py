"""Run the web app under uvicorn, ready for a reverse proxy in front.

The socket is bound before uvicorn starts, so a busy port is a clear error
and ``--port 0`` tells the real port up front (the tests and the benchmark
use that). ``proxy_headers`` is on: behind a proxy listed in
``forwarded_allow_ips`` (loopback by default) the client address and scheme
come from ``X-Forwarded-For``/``-Proto``, so the rate limit and consent
records see the visitor's IP, not the proxy's.
"""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from leadex_mail.config import Settings
from leadex_mail.errors import LeadexError


class WebServerError(LeadexError):
    """The web server could not start (e.g. its port is taken)."""


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: any free port), ready for uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose
    # proto is IPPROTO_TCP, and without it every response (headers, then body:
    # two writes) waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        hint = "choose another --port, or stop what listens there"
        if exc.errno == errno.EADDRINUSE:
            raise WebServerError(f"port {port} on {host} is already in use", hint=hint) from None
        raise WebServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint=hint) from None
    return sock


class WebServer(uvicorn.Server):
    """A uvicorn server on a socket bound in advance."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        super().__init__(config)
        self.sock = sock

    @property
    def url(self) -> str:
        """Where it listens, e.g. ``http://127.0.0.1:8000``."""
        host, port = self.sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def serve_forever(self) -> None:
        """Serve until interrupted or ``should_exit`` is set."""
        self.run(sockets=[self.sock])

    def start_in_thread(self) -> threading.Thread:
        """Serve from a daemon thread; return once the server accepts connections."""
        thread = threading.Thread(target=self.serve_forever, name="leadex-web", daemon=True)
        thread.start()
        while not self.started and thread.is_alive():
            threading.Event().wait(0.01)
        if not self.started:
            raise WebServerError("the web server did not start", hint="see the log above")
        return thread


def make_server(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    forwarded_allow_ips: str | None = None,
    app: Starlette | None = None,
    sock: socket.socket | None = None,
    log_level: str = "warning",
    access_log: bool = False,
) -> WebServer:
    """Build the app (unless given) and a uvicorn server on ``sock`` or bound to ``host:port``."""
    from leadex_mail.web.app import create_app

    if sock is None:
        sock = bind(host or settings.web_host, settings.web_port if port is None else port)
    config = uvicorn.Config(
        app or create_app(settings),
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
    )
    return WebServer(config, sock)


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    forwarded_allow_ips: str | None = None,
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run the web app in the foreground until Ctrl-C.

    The access log is off by default: its lines carry the personal tokens of
    unsubscribe and preferences links, and the reverse proxy keeps a log
    anyway (measured: on or off makes no difference to the one-click rate).
    """
    server = make_server(
        settings, host=host, port=port, forwarded_allow_ips=forwarded_allow_ips, access_log=access_log, log_level="info"
    )
    if on_ready:
        on_ready(server.url)
    server.serve_forever()
