"""Bulk inserts through the database driver, for imports of 100 000 rows.

SQLAlchemy's executemany processes every parameter of every row through
its type machinery (datetime formatting, JSON) and costs several times the
database's own work. Here the statement is still compiled by SQLAlchemy for
the connection's dialect (so it stays portable: qmark for SQLite, named for
psycopg, with the dialect's casts), values are converted with each column's
own bind processor (constants once, per-row values once each), and the rows
go to the driver's ``executemany`` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert

CHUNK_ROWS = 5000


def bulk_insert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    constants: Mapping[str, Any] | None = None,
    *,
    encoded: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Insert ``rows`` (same keys each) plus ``constants`` (same value in every row) into ``table``.

    Columns named in ``encoded`` already hold the database form (e.g. JSON
    text made by the caller) and skip their type's conversion.
    """
    if not rows:
        return
    constants = dict(constants or {})
    per_row = list(rows[0].keys())
    columns = per_row + list(constants)
    compiled = insert(table).values({name: bindparam(name) for name in columns}).compile(dialect=conn.dialect)
    procs = {name: None if name in encoded else _processor(table, name, conn) for name in columns}
    fixed = {name: _apply(procs[name], value) for name, value in constants.items()}
    names = list(compiled.positiontup or []) if compiled.positional else columns
    if compiled.positional and names == columns and not any(procs[name] for name in per_row):
        # The common case (SQLite, values ready): C-level itemgetter plus the constants.
        pick = itemgetter(*per_row)
        tail = tuple(fixed[name] for name in constants)
        make: Callable[[Mapping[str, Any]], Any] = (lambda row: (pick(row),) + tail) if len(per_row) == 1 else (lambda row: pick(row) + tail)
    else:
        # One getter per parameter, in the driver's order: a constant, a plain
        # value, or a value through its column's processor (e.g. JSON).
        getters = [_getter(name, fixed, procs[name]) for name in names]
        if compiled.positional:
            make = lambda row: tuple([get(row) for get in getters])
        else:
            make = lambda row: {name: get(row) for name, get in zip(names, getters)}
    for start in range(0, len(rows), CHUNK_ROWS):
        conn.exec_driver_sql(compiled.string, [make(row) for row in rows[start : start + CHUNK_ROWS]])


def _getter(name: str, fixed: dict[str, Any], proc: Callable[[Any], Any] | None) -> Callable[[Mapping[str, Any]], Any]:
    if name in fixed:
        value = fixed[name]
        return lambda row: value
    if proc is None:
        return lambda row: row[name]
    return lambda row: _apply(proc, row[name])


def _apply(proc: Callable[[Any], Any] | None, value: Any) -> Any:
    return proc(value) if proc is not None and value is not None else value


def _processor(table: Table, name: str, conn: Connection) -> Callable[[Any], Any] | None:
    # dialect_impl: a TypeDecorator's own bind_processor would skip the
    # dialect's conversion (SQLite's datetime-to-text) after its own.
    return table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
