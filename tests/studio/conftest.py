"""Fixtures of the studio tests: the studio served by uvicorn over a copy of the issues."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, serve_studio, studio_settings


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[RunningStudio]:
    """The single-user studio on 127.0.0.1 over a copy of issue No. 1."""
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path), root=tmp_path) as running:
        yield running


@pytest.fixture
def studio_page(browser):
    """A wide browser page (the form beside the preview), its own cookies."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"
