"""Fixtures for the campaign engine: a store with people, the real issue, SMTP sinks.

People are inserted with one bulk statement (the store's own ``add_subscriber``
is tested by the store's tests; here hundreds are needed per test, fast).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy import func, insert, select

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.store.db import Store, open_store
from leadex_mail.store.models import MailingList, Subscriber, Subscription

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))  # the fast sink (bench/sinks.py) is shared with the benchmark
ISSUE = "2026-04-leadex-01"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings on a store file and outbox in ``tmp_path``, the repo's newsletters, fast retries."""
    values: dict[str, object] = dict(
        database_url=f"sqlite:///{tmp_path / 'subscribers.db'}",
        newsletters_dir=REPO / "newsletters",
        outbox_dir=tmp_path / "outbox",
        images_url="https://images.example.org",
        send_backoff_seconds=0.01,
        send_concurrency=2,
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Outbox transport, store and outbox under ``tmp_path``."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store file with the schema applied, made once and copied per test."""
    folder = tmp_path_factory.mktemp("template")
    open_store(make_settings(folder)).close()
    return folder / "subscribers.db"


@pytest.fixture
def store(settings: Settings, migrated_db: Path) -> Iterator[Store]:
    """A migrated store on a real SQLite file of its own."""
    target = Path(settings.database_url.removeprefix("sqlite:///"))
    shutil.copyfile(migrated_db, target)
    st = open_store(settings)
    yield st
    st.close()


@pytest.fixture(scope="session")
def issue() -> Issue:
    """Issue No. 1 as the content layer loads it (sl and en editions)."""
    from leadex_mail.content.loader import load_issue

    return load_issue(ISSUE, make_settings(Path("/nonexistent")))


def email_of(i: int) -> str:
    """The address of test person ``i``."""
    return f"person{i:05d}@example.org"


def add_people(store: Store, n: int, *, list_name: str = "newsletter", languages: tuple[str, ...] = ("sl", "en"), start: int = 0) -> list[int]:
    """Insert ``n`` active subscribers on ``list_name`` (created if needed); return their ids."""
    s, sub, lists = Subscriber.__table__, Subscription.__table__, MailingList.__table__
    with store.begin() as conn:
        list_id = conn.execute(select(lists.c.id).where(lists.c.name == list_name)).scalar()
        if list_id is None:
            list_id = conn.execute(insert(lists).values(name=list_name, title=list_name, description="")).inserted_primary_key[0]
        before = conn.execute(select(func.coalesce(func.max(s.c.id), 0))).scalar()
        rows = [
            dict(email=email_of(i), name=f"Oseba Čžš {i}", language=languages[i % len(languages)], status="active", attributes={})
            for i in range(start, start + n)
        ]
        conn.execute(insert(s), rows)
        ids = list(conn.execute(select(s.c.id).where(s.c.id > before).order_by(s.c.id)).scalars())
        conn.execute(insert(sub), [dict(subscriber_id=i, list_id=list_id, status="active") for i in ids])
    return ids


@pytest.fixture
def people(store: Store) -> Callable[..., list[int]]:
    """``people(n, ...)`` adds n subscribers to the store."""
    return lambda n, **kw: add_people(store, n, **kw)
