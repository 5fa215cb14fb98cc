"""Run the web app under uvicorn, ready for a reverse proxy in front.

The socket is bound before uvicorn starts, so a busy port is a clear error
and ``--port 0`` tells the real port up front (the tests and the benchmark
use that). ``proxy_headers`` is on: behind a proxy listed in
``forwarded_allow_ips`` (loopback by default) the client address and scheme
come from ``X-Forwarded-For``/``-Proto``, so the rate limit and consent
records see the visitor's IP, not the proxy's.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from leadex_mail.config import Settings
from leadex_mail.serving import WebServer, WebServerError, bind

__all__ = ["WebServer", "WebServerError", "bind", "make_server", "serve"]


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
    Raises ``ConfigError`` before listening when the app would serve others
    (or mail them) without an https public URL and a real secret key (``preflight``).
    """
    from leadex_mail.preflight import check_serving

    check_serving(settings, host or settings.web_host)
    sock = bind(host or settings.web_host, settings.web_port if port is None else port)
    if not settings.public_url:  # a local preview: the links in its mail must reach this server, on its real port
        name, real_port = sock.getsockname()[:2]
        shown = f"[{name}]" if ":" in name else name
        settings = dataclasses.replace(settings, public_url=f"http://{shown}:{real_port}")
    server = make_server(
        settings, sock=sock, forwarded_allow_ips=forwarded_allow_ips, access_log=access_log, log_level="info"
    )
    if on_ready:
        on_ready(server.url)
    server.serve_forever()
