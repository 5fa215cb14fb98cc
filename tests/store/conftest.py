"""Fixtures for the store tests: a fresh SQLite store file per test.

Migrating a new database costs a few hundred milliseconds, so one migrated
template is made per session and copied for each test (it is still a real
file that ``open_store`` opens and checks).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from leadex_mail.cli import main

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


@pytest.fixture
def cli(settings: Settings) -> Callable[..., Result]:
    """``cli("subscribers", "list")`` runs leadex-mail against this test's store.

    The result's ``output`` holds stdout and stderr as a terminal shows them.
    """

    def run(*args: str, input: str | None = None) -> Result:
        env = {"LEADEX_DATABASE_URL": settings.database_url, "LEADEX_CONFIG": None}
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return run
