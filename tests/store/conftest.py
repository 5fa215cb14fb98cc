"""Fixtures for the store tests: a fresh SQLite store file per test.

Migrating a new database costs a few hundred milliseconds, so one migrated
template is made per session and copied for each test (it is still a real
file that ``open_store`` opens and checks).

Set ``LEADEX_TEST_PG_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:55432/leadex``)
to run the same tests against PostgreSQL by hand; the schema ``public`` of
that database is dropped before each test. Tests that inspect SQLite files
use the ``sqlite_only`` fixture and are skipped then. CI does not set it.
"""

from __future__ import annotations

import os
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


PG_URL = os.environ.get("LEADEX_TEST_PG_URL")


@pytest.fixture
def sqlite_only() -> None:
    """Skip a test that inspects SQLite files when running against PostgreSQL."""
    if PG_URL:
        pytest.skip("inspects the SQLite file")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose database is a file in the test's temp dir (or the PostgreSQL test database)."""
    if PG_URL:
        _empty_postgres(PG_URL)
        return Settings(database_url=PG_URL)
    return Settings(database_url=f"sqlite:///{tmp_path / 'subscribers.db'}")


@pytest.fixture
def store(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An open, migrated store on a real SQLite file (or a freshly emptied PostgreSQL database)."""
    if not PG_URL:
        shutil.copyfile(request.getfixturevalue("template_db"), tmp_path / "subscribers.db")
    st = open_store(settings)
    yield st
    st.close()


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def cli(settings: Settings) -> Callable[..., Result]:
    """``cli("subscribers", "list")`` runs leadex-mail against this test's store.

    The result's ``output`` holds stdout and stderr as a terminal shows them.
    """

    def run(*args: str, input: str | None = None) -> Result:
        env = {"LEADEX_DATABASE_URL": settings.database_url, "LEADEX_CONFIG": None}
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return run
