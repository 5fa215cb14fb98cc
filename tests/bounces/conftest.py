"""Fixtures for the bounce tests: a store on SQLite and on PostgreSQL, seeded for the corpus.

Helpers live in ``bounce_helpers.py`` (importable by name, unlike a conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.store.db import Store, open_store


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    """Settings naming the test's own, migrated database (a SQLite file, or a new PostgreSQL database)."""
    if backend == "postgresql":
        return Settings(database_url=request.getfixturevalue("pg_cluster").new_database(migrated=True))
    return Settings(database_url=f"sqlite:///{tmp_path / 'subscribers.db'}")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """The open store of ``settings``."""
    st = open_store(settings)
    yield st
    st.close()


@pytest.fixture
def cli(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``cli("bounces", "status")`` runs leadex-mail against this test's store (from ``tmp_path``; ``env`` adds variables)."""
    from click.testing import CliRunner

    from leadex_mail.cli import main

    monkeypatch.chdir(tmp_path)

    def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        environment = {"LEADEX_DATABASE_URL": settings.database_url, "LEADEX_CONFIG": None, **(env or {})}
        return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)

    return run
