"""Alembic environment for the subscriber store.

Run programmatically by ``leadex_mail.store.schema.upgrade``, which passes an
open connection (already inside its locked transaction) in
``config.attributes["connection"]``; no alembic.ini is needed.

To write a new revision during development run
``python -m leadex_mail.store.migrations.new "message"`` (see ``new.py``),
which autogenerates against a scratch database at head.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from leadex_mail.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite can only change most things by copying the table: batch mode does that.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///dev-migrations.db")
    with engine.begin() as conn:
        _run(conn)
