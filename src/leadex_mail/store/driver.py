"""The raw-driver fast paths, in one place: SQLite statements run straight on the DB-API connection.

A few statements run once per message sent or per one-click unsubscribe,
where SQLAlchemy's execution layer (statement cache lookup, parameter
processing, transaction bookkeeping) costs several times SQLite's own work
(0.4 ms against 0.05 ms for a one-row read here). For those, this module:

- compiles a SQLAlchemy statement once per dialect (``compiled``), so the
  SQL text still comes from the one portable definition;
- converts values with each column's own bind processor (``bind_processor``),
  as SQLAlchemy would (SQLite's datetime text);
- runs a write transaction on a driver connection (``sqlite_transaction``):
  ``BEGIN IMMEDIATE`` (or at once ``StoreBusy`` with ``wait=False``),
  ``COMMIT``, ``ROLLBACK`` on any error, the driver's errors turned into
  ``StoreError`` by ``Store.errors``;
- reads one row on a pooled connection (``read_first``), through SQLAlchemy
  on other databases.

On PostgreSQL, ``postgres_autocommit`` and ``postgres_statement`` give a
driver connection of the caller's own in autocommit and a statement's SQL
for it, so that a one-statement write is one round trip (SQLAlchemy's
transaction adds BEGIN and COMMIT, two more).

The callers (``deliveries_db.SqliteDeliveries``, ``deliveries_db.PostgresDeliveries``, ``subscribers.unsubscribe_many``,
the web's link check) keep a portable path beside each fast one, and tests
compare the two.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql import Executable

from leadex_mail.errors import StoreError
from leadex_mail.store.db import BUSY_TIMEOUT_MS, Store


class StoreBusy(StoreError):
    """SQLite's write lock is held by another connection right now (``wait=False``); nothing was written."""


def compiled(store: Store, stmt: Executable) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """``stmt`` compiled once for the store's dialect: SQL text, positional parameter names, fixed values.

    Cached per open store and statement (module-level statements: the cache stays small).
    """
    key = ("compiled", id(stmt))
    found = store.cache.get(key)
    if found is None:
        done = stmt.compile(dialect=store.engine.dialect)  # type: ignore[attr-defined]
        found = store.cache[key] = (str(done), tuple(done.positiontup or ()), dict(done.params))
    return found  # type: ignore[no-any-return]


def bind_processor(store: Store, table: Table, column: str) -> Callable[[Any], Any]:
    """The function turning a Python value of ``table.column`` into what the driver takes (identity when none)."""
    key = ("bind", table.name, column)
    found = store.cache.get(key)
    if found is None:
        dialect = store.engine.dialect
        proc = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        found = store.cache[key] = (lambda value: proc(value) if value is not None else value) if proc else (lambda value: value)
    return found  # type: ignore[no-any-return]


def read_first(store: Store, stmt: Executable, params: Mapping[str, Any]) -> Any:
    """The first row of a read-only ``stmt`` (None when there is none), in a snapshot of its own.

    On SQLite on a pooled DB-API connection (never waits for a writer: WAL);
    elsewhere through SQLAlchemy.
    """
    if not store.is_sqlite:
        with store.errors(), store.engine.connect() as conn:
            return conn.execute(stmt, dict(params)).first()
    sql, names, fixed = compiled(store, stmt)
    values = tuple(params[name] if name in params else fixed[name] for name in names)
    with store.errors():
        raw = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                return cursor.execute(sql, values).fetchone()
            finally:
                cursor.close()
        finally:
            raw.close()


def postgres_statement(store: Store, stmt: Executable) -> tuple[str, dict[str, Any]]:
    """``stmt``'s SQL for the store's PostgreSQL driver (named ``%(name)s`` parameters) and its fixed values.

    The caller adds the values of the statement's ``bindparam``s to a copy of
    the dict, converted as the column types would (``bind_processor``).
    """
    sql, _, fixed = compiled(store, stmt)
    return sql, fixed


def postgres_autocommit(store: Store, **settings: str) -> Any:
    """A psycopg connection of the caller's own, out of the pool, in autocommit, with session ``settings``.

    ``settings`` are PostgreSQL parameters (``synchronous_commit="off"``) set
    for the connection's life; it is never handed to anyone else, so nothing
    needs resetting: the caller closes it. Raises ``StoreError`` when the
    server cannot be reached.
    """
    with store.errors():
        pooled = store.engine.raw_connection()
        conn = pooled.driver_connection
        pooled.detach()  # closed for good by the caller, never back in the pool with these settings
        conn.rollback()  # no transaction may be open while switching to autocommit
        conn.autocommit = True
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    return conn


@contextmanager
def sqlite_transaction(store: Store, raw: Any, *, wait: bool = True) -> Iterator[Any]:
    """A write transaction on the SQLite driver connection ``raw``; yields a cursor, commits at the end.

    ``raw`` is a DB-API connection in autocommit mode (``isolation_level``
    None, as ``db.make_engine`` sets up), not inside a SQLAlchemy
    transaction. With ``wait=False`` raise ``StoreBusy`` at once when another
    writer holds the lock. Any error rolls back; driver errors (locked past
    the busy timeout, disk full, file gone) become ``StoreError``.
    """
    with store.errors():
        store.check_file()
        cursor = raw.cursor()
        try:
            _begin(cursor, wait)
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException:
                if _in_transaction(raw):
                    cursor.execute("ROLLBACK")
                raise
        finally:
            cursor.close()
        # Checked again once committed: a file deleted or restored over between
        # the first check and the commit took this record where nobody sees it.
        store.check_file()


def _in_transaction(raw: Any) -> bool:
    driver = getattr(raw, "driver_connection", raw)  # a pool's proxy or the driver's own
    return bool(driver.in_transaction)


def _begin(cursor: Any, wait: bool) -> None:
    """BEGIN IMMEDIATE; with ``wait=False`` raise ``StoreBusy`` at once when another writer holds the lock."""
    if wait:
        cursor.execute("BEGIN IMMEDIATE")
        return
    cursor.execute("PRAGMA busy_timeout = 0")
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreBusy(f"the subscriber store is busy: {exc}") from exc
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
