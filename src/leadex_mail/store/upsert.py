"""``INSERT … ON CONFLICT`` (do nothing / do update) on the store's two databases, the dialect imported on first use.

SQLAlchemy's PostgreSQL dialect package takes ~0.1 s to import (its asyncpg
and psycopg modules come with it); a command on SQLite never needs it, so it
is imported only when a PostgreSQL connection asks for an insert.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from leadex_mail.errors import StoreError


def upsert_insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT construct for ``table``, with ``.on_conflict_do_nothing`` / ``.on_conflict_do_update``.

    Raises ``StoreError`` on a database other than SQLite and PostgreSQL.
    """
    name = conn.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise StoreError(f"the {name} database is not supported", hint="use SQLite or PostgreSQL")
    return insert(table)
