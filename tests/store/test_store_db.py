"""Opening the store: created on first use, connection settings, migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from leadex_mail.config import Settings
from leadex_mail.errors import StoreError
from leadex_mail.store import db, schema
from leadex_mail.store.models import Meta, Subscriber

FIRST_RELEASED = "0001"


def test_created_on_first_use_with_every_table(settings, tmp_path, backend):
    if backend == "sqlite":
        assert not (tmp_path / "subscribers.db").exists()
    store = db.open_store(settings)
    names = set(inspect(store.engine).get_table_names())
    assert {"subscriber", "mailing_list", "subscription", "event", "suppression", "meta", "campaign", "delivery", "test_send", "alembic_version"} <= names
    status = db.migration_status(store)
    assert status.up_to_date and status.current == status.head


def test_models_match_migrations(store):
    # A model change without a migration (or the reverse) shows up here.
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


@pytest.mark.sqlite_only_reason("SQLite's pragmas; PostgreSQL has no per-connection equivalents to check")
def test_connection_settings_on_every_connection(store, sqlite_only):
    with store.engine.connect() as a, store.engine.connect() as b:
        for conn in (a, b):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_session_commits_and_rolls_back(store):
    with store.session() as s:
        s.add(Subscriber(email="a@example.org"))
    with pytest.raises(RuntimeError), store.session() as s:
        s.add(Subscriber(email="b@example.org"))
        s.flush()
        raise RuntimeError("boom")
    with store.session(write=False) as s:
        assert [x.email for x in s.exec(select(Subscriber))] == ["a@example.org"]


def test_times_come_back_utc_aware(store):
    local = datetime(2026, 4, 1, 12, 0, tzinfo=UTC).astimezone()
    with store.session() as s:
        s.add(Subscriber(email="a@example.org", confirmed_at=local))
    with store.session() as s:
        sub = s.exec(select(Subscriber)).one()
    assert sub.confirmed_at == local and sub.confirmed_at.tzinfo == UTC
    assert sub.created_at.tzinfo == UTC


def test_suppression_key_is_random_per_store(tmp_path, sqlite_only):
    keys = []
    for name in ("a.db", "b.db"):
        store = db.open_store(Settings(database_url=f"sqlite:///{tmp_path / name}"))
        with store.session() as s:
            keys.append(s.get(Meta, "suppression_key").value)
        store.close()
    assert len(keys[0]) == 64 and keys[0] != keys[1]


def _build_first_release(path) -> None:
    """A store at the first released schema, filled with raw SQL (not today's models)."""
    store = db.Store(db.make_engine(f"sqlite:///{path}"))
    with store.engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), FIRST_RELEASED)
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO subscriber (id, email, name, language, status, attributes, created_at, updated_at)"
            " VALUES (1, 'ana@example.org', 'Ana Novak', 'sl', 'active', '{\"country\": \"SI\"}', '2026-04-01 10:00:00', '2026-04-01 10:00:00')"
        ))
        conn.execute(text("INSERT INTO mailing_list (id, name, title, description, created_at) VALUES (1, 'news', 'News', '', '2026-04-01 10:00:00')"))
        conn.execute(text("INSERT INTO subscription (subscriber_id, list_id, status, created_at, updated_at) VALUES (1, 1, 'active', '2026-04-01 10:00:00', '2026-04-01 10:00:00')"))
        conn.execute(text(
            "INSERT INTO event (subscriber_id, kind, at, source, consent_version, detail) VALUES (1, 'confirmed', '2026-04-01 10:00:00', 'web', '2026-04', '{}')"
        ))
        conn.execute(text(
            "INSERT INTO campaign (id, issue_slug, list_id, content_hash, subject, status, created_at, updated_at)"
            " VALUES (1, '2026-04-leadex-01', 1, '{}', 'LeadEx novice št. 1', 'done', '2026-04-02 09:00:00', '2026-04-02 09:05:00')"
        ))
        conn.execute(text(
            "INSERT INTO delivery (id, campaign_id, subscriber_id, language, state, attempts, uncertain, last_reply, message_id, created_at, updated_at, sent_at)"
            " VALUES (1, 1, 1, 'sl', 'sent', 1, 0, '250 2.0.0 Ok', '<1@example.org>', '2026-04-02 09:00:00', '2026-04-02 09:01:00', '2026-04-02 09:01:00')"
        ))
    store.close()


def test_upgrade_from_first_release_keeps_data(tmp_path, sqlite_only):
    path = tmp_path / "old.db"
    _build_first_release(path)
    settings = Settings(database_url=f"sqlite:///{path}")
    before = db.migration_status(db.open_store(settings, migrate=False))
    assert before.current == FIRST_RELEASED

    store = db.open_store(settings)  # upgrades automatically
    assert db.migration_status(store).up_to_date
    with store.session() as s:
        ana = s.exec(select(Subscriber)).one()
    assert (ana.email, ana.name, ana.attributes, ana.status) == ("ana@example.org", "Ana Novak", {"country": "SI"}, "active")
    assert ana.created_at == datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM event WHERE kind='confirmed' AND subscriber_id=1")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM subscription")).scalar() == 1
        assert conn.execute(text("SELECT state, last_reply FROM delivery WHERE id = 1")).one() == ("sent", "250 2.0.0 Ok")
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("delivery")}
        assert "ix_delivery_sent_at" in indexes  # added by 0002
    # Upgrading again is a no-op.
    assert db.upgrade(store) == ()


def test_unknown_newer_revision_is_refused(tmp_path, sqlite_only):
    path = tmp_path / "future.db"
    db.open_store(Settings(database_url=f"sqlite:///{path}")).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="does not know"):
        db.open_store(Settings(database_url=f"sqlite:///{path}"))


def test_not_a_database_is_a_store_error(tmp_path, sqlite_only):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as err:
        db.open_store(Settings(database_url=f"sqlite:///{path}"))
    assert err.value.hint


def test_missing_folder_is_a_store_error(tmp_path, sqlite_only):
    with pytest.raises(StoreError, match="does not exist"):
        db.open_store(Settings(database_url=f"sqlite:///{tmp_path / 'nope' / 'x.db'}"))


@pytest.mark.sqlite_only_reason("holds SQLite's file lock with the sqlite3 module")
def test_database_failures_become_store_errors(store, settings, sqlite_only):
    # A real lock held by another connection, with a short timeout so the test stays quick.
    path = settings.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 50")
        with pytest.raises(StoreError, match="locked") as err, store.session() as s:
            s.add(Subscriber(email="a@example.org"))
        assert "30 s" in (err.value.hint or "")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_head_from_file_names_is_alembics_head():
    """The fast "up to date?" check reads file names; it must agree with alembic."""
    assert db.head_revision() == schema.script_directory().get_current_head()
