"""Serving the studio: on 127.0.0.1 single-user, anywhere else only with accounts.

``make_server`` decides the mode before any socket is opened: an address
that is not loopback (or ``require_login``) needs accounts, and with no
account in the store it refuses to start (``StudioRefused``), saying how to
make one. Beyond loopback the studio must be reached over HTTPS (a reverse
proxy in front, trusted through ``forwarded_allow_ips``): its cookies are
``Secure``, and a request over plain HTTP gets a page saying so
(``web.page``); ``leadex-mail studio`` warns at start-up when it listens
beyond loopback.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable

import uvicorn

from leadex_mail.config import Settings
from leadex_mail.errors import ConfigError
from leadex_mail.serving import WebServer, bind

DEFAULT_PORT = 8025
log = logging.getLogger(__name__)


class StudioRefused(ConfigError):
    """The studio would be reachable by others without accounts."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class StudioServer(WebServer):
    """uvicorn that ends the pages' event streams when it stops (else shutdown waits for every open tab)."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close the event streams and ask running sends to stop, then shut down as uvicorn does."""
        studio = getattr(self.config.app, "state", None)
        if studio is not None and hasattr(studio, "studio"):
            studio.studio.workspace.close()
            # At once, not after uvicorn's grace period: no send starts another message once the studio is stopping.
            for job in studio.studio.jobs.stop_sending():
                log.warning("Stopping: the send of %s to the list %s finishes the messages being sent; the rest stay in the queue.", job.slug, job.list_name)
        await super().shutdown(sockets)


def make_server(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    require_login: bool = False,
    forwarded_allow_ips: str | None = None,
    store=None,  # type: ignore[no-untyped-def]
    clock=None,  # type: ignore[no-untyped-def]
    watch: bool = True,
) -> StudioServer:
    """The studio app and a server bound to ``host:port`` (0: any free port).

    Raises ``StudioRefused`` when accounts are needed (an address that is
    not loopback, or ``require_login``) and none exists.
    """
    from leadex_mail.store.accounts import has_users
    from leadex_mail.studio.app import create_app

    accounts = require_login or not is_loopback(host)
    if accounts:
        from leadex_mail.store.db import open_store

        checked = store or open_store(settings)
        try:
            if not has_users(checked):
                where = f"on {host}" if not is_loopback(host) else "with --require-login"
                raise StudioRefused(
                    f"the studio served {where} needs accounts, and there are none: it would let anyone who reaches it send to your lists",
                    hint="create one with `leadex-mail users add NAME --role sender` (or editor), or serve on 127.0.0.1 for yourself only",
                )
        finally:
            if store is None:
                checked.close()
    app = create_app(settings, accounts=accounts, store=store, clock=clock, watch=watch, host=host)
    sock = bind(host, port)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=3,
        proxy_headers=accounts, forwarded_allow_ips=forwarded_allow_ips, server_header=False,
    )
    return StudioServer(config, sock)


def serve(
    settings: Settings,
    *,
    on_ready: Callable[[str, bool], None] = lambda url, accounts: None,
    on_stopped: Callable[[list], None] = lambda interrupted: None,
    **options: object,
) -> None:
    """Run the studio until Ctrl-C; ``on_ready(url, accounts)`` is called once it listens.

    ``on_stopped(jobs)`` is called once it stopped (its sends given back,
    Ctrl-C or not) with the sends it interrupted (``SendJobs.interrupted``).
    """
    server = make_server(settings, **options)  # type: ignore[arg-type]
    studio = server.config.app.state.studio
    on_ready(server.url + "/", bool(studio.access.accounts))
    try:
        server.serve_forever()
    finally:
        on_stopped(studio.jobs.interrupted())
