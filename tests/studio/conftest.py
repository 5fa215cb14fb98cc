"""Fixtures of the studio tests: the studio served by uvicorn over a copy of the issues, browser pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from studio.studio_helpers import ISSUE, PHONE, RunningStudio, copy_newsletters, serve_studio, studio_settings, watched_page


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[RunningStudio]:
    """The single-user studio on 127.0.0.1 over a copy of issue No. 1."""
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path), root=tmp_path) as running:
        yield running


@pytest.fixture
def studio_page(browser) -> Iterator[Page]:
    """A wide browser page (the form beside the preview), its own cookies; no script error on it."""
    with watched_page(browser, 1400, 1000) as page:
        yield page


@pytest.fixture
def phone_frame(browser) -> Iterator[Page]:
    """A browser page ``PHONE`` (375) px wide, a phone held upright, its own cookies; no script error on it."""
    with watched_page(browser, PHONE, 800) as page:
        yield page
