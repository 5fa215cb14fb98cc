"""Fixtures for the campaign engine: a store with people, the real issue, SMTP sinks.

Every test that uses ``settings`` (or ``store``, ``people``, ``cli``) runs on
a real SQLite file and on a database of its own in the session's throwaway
PostgreSQL server (``backend`` and ``pg_cluster`` in ``tests/conftest.py``).
A test about SQLite itself takes ``sqlite_only`` and says why.

Helpers live in ``campaign_helpers.py`` (importable by name from tests and
the benchmark, unlike a conftest).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Iterator

import pytest
from campaign_helpers import ISSUE, REPO, add_people, make_settings
from click.testing import CliRunner, Result

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.store.db import Store, open_store


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    """Outbox transport and outbox under ``tmp_path``; the store a SQLite file there or a new, migrated PostgreSQL database."""
    if backend == "postgresql":
        return make_settings(tmp_path, database_url=request.getfixturevalue("pg_cluster").new_database(migrated=True))
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store file with the schema applied, made once and copied per test."""
    folder = tmp_path_factory.mktemp("template")
    open_store(make_settings(folder)).close()
    return folder / "subscribers.db"


@pytest.fixture
def store(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A migrated store of the test's own (a copy of a migrated template: file or ``CREATE DATABASE … TEMPLATE``)."""
    if backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("migrated_db"), Path(settings.database_url.removeprefix("sqlite:///")))
    st = open_store(settings)
    yield st
    st.close()


@pytest.fixture(scope="session")
def issue() -> Issue:
    """Issue No. 1 as the content layer loads it (sl and en editions)."""
    from leadex_mail.content.loader import load_issue

    return load_issue(ISSUE, make_settings(Path("/nonexistent")))


@pytest.fixture
def newsletters(tmp_path: Path) -> Path:
    """A copy of the repository's issues (brand and issue No. 1) that the test may change: put faults in, schedule, correct."""
    folder = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", folder)
    return folder


@pytest.fixture
def people(store: Store) -> Callable[..., list[int]]:
    """``people(n, ...)`` adds n subscribers to the store."""
    return lambda n, **kw: add_people(store, n, **kw)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Callable[..., Result]:
    """Run the CLI in ``tmp_path`` against the test's store, outbox and the repo's issues."""
    monkeypatch.chdir(tmp_path)
    env = {
        "LEADEX_DATABASE_URL": settings.database_url,
        "LEADEX_OUTBOX_DIR": str(settings.outbox_dir),
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_IMAGES_URL": "https://images.example.org",
        "LEADEX_SEND_BACKOFF_SECONDS": "0.01",
    }

    def run(*args: str, input: str | None = None, **extra_env: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **extra_env}, input=input, catch_exceptions=False)

    return run
