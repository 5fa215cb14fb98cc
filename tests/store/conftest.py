"""Fixtures for the store tests: a fresh store per test, on SQLite and on PostgreSQL.

Every test that uses ``settings`` (or ``store``/``cli``) runs twice: on a
real SQLite file and on a database of its own in the throwaway PostgreSQL
server the session starts (``pg_cluster`` in ``tests/conftest.py``).
Migrating a new database costs a few hundred milliseconds, so each backend
keeps one migrated template and copies it per test (a file copy for SQLite,
``CREATE DATABASE … TEMPLATE`` for PostgreSQL); ``open_store`` still opens
and checks the copy. Tests that inspect SQLite's own files or pragmas take
the ``sqlite_only`` fixture (``tests/conftest.py``), which skips them on
PostgreSQL with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

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
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    """Settings naming the test's own database, still empty: a file in its temp dir, or a new PostgreSQL database."""
    if backend == "postgresql":
        return Settings(database_url=request.getfixturevalue("pg_cluster").new_database(migrated=False))
    return Settings(database_url=f"sqlite:///{tmp_path / 'subscribers.db'}")


@pytest.fixture
def store(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An open store in the test's own database, made a copy of the migrated template first."""
    if backend == "postgresql":
        request.getfixturevalue("pg_cluster").reset_to_template(settings.database_url)
    else:
        shutil.copyfile(request.getfixturevalue("template_db"), settings.database_url.removeprefix("sqlite:///"))
    st = open_store(settings)
    yield st
    st.close()


@pytest.fixture
def cli(settings: Settings) -> Callable[..., Result]:
    """``cli("subscribers", "list")`` runs leadex-mail against this test's store.

    The result's ``output`` holds stdout and stderr as a terminal shows them.
    """

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        environment = {"LEADEX_DATABASE_URL": settings.database_url, "LEADEX_CONFIG": None, **(env or {})}
        return CliRunner().invoke(main, list(args), env=environment, input=input, catch_exceptions=False)

    return run
