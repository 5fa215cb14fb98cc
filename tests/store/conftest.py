"""Fixtures for the store tests: a fresh SQLite store file per test.

Migrating a new database costs a few hundred milliseconds, so one migrated
template is made per session and copied for each test (it is still a real
file that ``open_store`` opens and checks).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from leadex_mail.config import Settings
from leadex_mail.store.db import Store, open_store


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty store file to copy."""
    path = tmp_path_factory.mktemp("template") / "subscribers.db"
    store = open_store(Settings(database_url=f"sqlite:///{path}"))
    store.checkpoint()
    store.close()
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose database is a file in the test's temp dir."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'subscribers.db'}")


@pytest.fixture
def store(settings: Settings, template_db: Path, tmp_path: Path) -> Iterator[Store]:
    """An open, migrated store on a real SQLite file."""
    shutil.copyfile(template_db, tmp_path / "subscribers.db")
    st = open_store(settings)
    yield st
    st.close()
