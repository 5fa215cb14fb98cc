"""``INSERT … ON CONFLICT DO NOTHING`` on the store's two databases, with the dialect imported on first use.

SQLAlchemy's PostgreSQL dialect package takes ~0.1 s to import (its asyncpg
and psycopg modules come with it); a command on SQLite never needs it, so it
is imported only when a PostgreSQL connection asks for an insert.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from leadex_mail.errors import StoreError


def insert_or_ignore(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT construct for ``table`` (call ``.on_conflict_do_nothing(...)`` on it).

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
