"""The web app running for real: uvicorn in a thread on a free loopback port,
a SQLite store in tmp_path, confirmation mail through SMTP to the
``smtp_server`` fixture, and a clock the test moves by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from web.web_helpers import Clock, Site, serve_site, site_settings


@pytest.fixture
def subscribe_limit() -> tuple[int, float]:
    """Sign-ups allowed per IP and window; a test may override this fixture."""
    return (50, 3600.0)


@pytest.fixture
def site_overrides() -> dict[str, Any]:
    """Settings a test module changes from ``site_settings`` (e.g. ``smtp_timeout``)."""
    return {}


@pytest.fixture
def site(tmp_path: Path, smtp_server, subscribe_limit, site_overrides) -> Iterator[Site]:
    """The app served by uvicorn on 127.0.0.1, one per test."""
    settings = replace(site_settings(tmp_path, 0, smtp_server.port), **site_overrides)
    store = open_store(settings)
    create_list(store, "newsletter", title="LeadEx novice", public=True)
    try:
        with serve_site(settings, store, Clock(), smtp_server, subscribe_limit=subscribe_limit) as running:
            yield running
    finally:
        store.close()
