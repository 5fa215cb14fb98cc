"""Serving an ASGI app with uvicorn on a socket bound in advance.

Shared by the subscriber web app (``serve``) and the issue preview
(``preview``): binding first makes a busy port a clear error and lets
``--port 0`` report the real port before uvicorn starts.
"""

from __future__ import annotations

import errno
import socket
import threading

import uvicorn

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
    # Listen at once: a client told the URL (a browser, a test) may connect
    # before uvicorn's loop starts; it then waits in the backlog instead of
    # being refused. uvicorn's own listen() later is harmless.
    sock.listen(2048)
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
