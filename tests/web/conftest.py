"""The web app running for real: uvicorn in a thread on a free loopback port,
a SQLite store in tmp_path, confirmation mail through SMTP to the
``smtp_server`` fixture, and a clock the test moves by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.store.db import open_store
from leadex_mail.web.app import create_app
from leadex_mail.web.server import bind, make_server
from web.web_helpers import Clock, Site, site_settings


@pytest.fixture
def subscribe_limit() -> tuple[int, float]:
    """Sign-ups allowed per IP and window; a test may override this fixture."""
    return (50, 3600.0)


@pytest.fixture
def site(tmp_path: Path, smtp_server, subscribe_limit) -> Iterator[Site]:
    """The app served by uvicorn on 127.0.0.1, one per test."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    settings = site_settings(tmp_path, port, smtp_server.port)
    store = open_store(settings)
    from leadex_mail.store.lists import create_list

    create_list(store, "newsletter", title="LeadEx novice")
    clock = Clock()
    app = create_app(settings, store=store, clock=clock, subscribe_limit=subscribe_limit)
    server = make_server(settings, app=app, sock=sock)
    thread = server.start_in_thread()
    try:
        yield Site(f"http://127.0.0.1:{port}", settings, store, clock, smtp_server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
