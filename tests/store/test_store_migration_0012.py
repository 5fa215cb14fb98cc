"""Migration 0012 (a scheduled send's --force, --deep and hold), on SQLite and PostgreSQL.

A store with a send scheduled before 0012 is upgraded: the schedule keeps
its time and is neither forced nor held; the worker checks it with the
``send_deep_check`` setting. Down to 0011 and up again leaves it as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from leadex_mail.store import db, schedule, schema

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)


def _upgrade(store: db.Store, revision: str) -> None:
    with store.connect(write=True) as conn, schema.foreign_keys_off(conn), conn.begin():  # as schema.upgrade migrates
        command.upgrade(schema.alembic_config(conn), revision)


def _downgrade(store: db.Store, revision: str) -> None:
    with store.connect(write=True) as conn, schema.foreign_keys_off(conn), conn.begin():
        command.downgrade(schema.alembic_config(conn), revision)


def test_a_send_scheduled_before_0012_is_kept_neither_forced_nor_held(settings, backend) -> None:
    store = db.Store(db.make_engine(settings.database_url))
    try:
        _upgrade(store, "0011")
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO mailing_list (id, name, title, description, created_at, public) VALUES (1, 'news', 'News', '', :at, true)"),
                         {"at": AT})
            conn.execute(text("INSERT INTO scheduled_send (issue_slug, list_id, language, send_at, created_at) VALUES ('2026-04-leadex-01', 1, NULL, :at, :at)"),
                         {"at": AT})
        _upgrade(store, "0012")
        columns = {c["name"] for c in inspect(store.engine).get_columns("scheduled_send")}
        assert {"forced", "deep", "held_at", "held_reason", "held_detail"} <= columns
        [kept] = schedule.waiting(store)
        assert (kept.issue_slug, kept.list_name, kept.send_at, kept.forced, kept.deep, kept.held) == ("2026-04-leadex-01", "news", AT, False, None, None)

        held = schedule.Held("check_errors", AT, 1, ("draft.marked",))
        assert schedule.hold(store, kept, held)
        assert schedule.waiting(store)[0].held == held

        _downgrade(store, "0011")
        columns = {c["name"] for c in inspect(store.engine).get_columns("scheduled_send")}
        assert not {"forced", "deep", "held_at", "held_reason", "held_detail"} & columns
        _upgrade(store, "head")
        assert db.migration_status(store).up_to_date
        assert [(s.issue_slug, s.send_at, s.forced, s.held) for s in schedule.waiting(store)] == [("2026-04-leadex-01", AT, False, None)]
    finally:
        store.close()
