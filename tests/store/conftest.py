"""Fixtures for the store tests: a fresh SQLite store file per test."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from leadex_mail.config import Settings
from leadex_mail.store.db import Store, open_store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose database is a file in the test's temp dir."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'subscribers.db'}")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """An open, migrated store on a real SQLite file."""
    st = open_store(settings)
    yield st
    st.close()
