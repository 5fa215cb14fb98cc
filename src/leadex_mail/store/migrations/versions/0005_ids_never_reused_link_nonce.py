"""Ids that leave the store are never reused; every subscriber row gets a random link_nonce.

SQLite gives a new row max(rowid) + 1, so after the last subscriber was
erased the next one got the same id, and the erased person's links (which
carried only the id) acted on her. Now:

- ``subscriber``, ``campaign`` and ``delivery`` are rebuilt with
  ``AUTOINCREMENT`` on SQLite (batch mode copies each table; SQLite cannot
  add it in place). The copy keeps every id, and the sequence starts at the
  highest one. PostgreSQL's ``SERIAL`` sequences never hand out a value
  twice already: nothing to do there but the column.
- ``subscriber.link_nonce``: a random value per row, signed into every new
  personal link; existing rows get one here.
- ``meta.legacy_links_max_subscriber_id``: the highest subscriber id now.
  Links sent before this upgrade carry no nonce; they stay valid only for
  rows up to this id, which exist today and whose ids are never given out
  again. A link with a higher id was made for a row erased before the
  upgrade, whose id a new person may get: it is refused. See
  docs/decisions.md, "Links are bound to the row they were made for".

Run with foreign keys off (``store.db.upgrade`` does that on SQLite, then
checks them): dropping the old ``subscriber`` table with them on would
cascade to every subscription.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from leadex_mail.errors import StoreError

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LEGACY_KEY = "legacy_links_max_subscriber_id"
TABLES = ("subscriber", "campaign", "delivery")
_subscriber = sa.table("subscriber", sa.column("id", sa.Integer), sa.column("link_nonce", sa.String))
_meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def _require_foreign_keys_off(bind: sa.Connection) -> None:
    """Refuse to rebuild SQLite tables with foreign keys on: the old table's DROP would cascade."""
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise StoreError(
            "migration 0005 rebuilds tables and needs SQLite's foreign keys off on its connection",
            hint="migrate through leadex-mail (`leadex-mail db upgrade`), which does that, not with alembic directly",
        )


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    _require_foreign_keys_off(bind)
    op.add_column("subscriber", sa.Column("link_nonce", sa.String(length=16), nullable=True))
    ids = bind.execute(sa.select(_subscriber.c.id)).scalars().all()
    if ids:
        fill = _subscriber.update().where(_subscriber.c.id == sa.bindparam("b_id")).values(link_nonce=sa.bindparam("b_nonce"))
        # Frozen here rather than imported: migrations must not depend on today's models.
        bind.execute(fill, [{"b_id": i, "b_nonce": secrets.token_urlsafe(8)} for i in ids])
    newest = max(ids, default=0)
    op.bulk_insert(_meta, [{"key": LEGACY_KEY, "value": str(newest)}])
    if bind.dialect.name == "sqlite":
        for name in TABLES:
            with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
                if name == "subscriber":
                    batch.alter_column("link_nonce", existing_type=sa.String(length=16), nullable=False)
    else:
        op.alter_column("subscriber", "link_nonce", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    """Revert this revision (ids may then be reused again)."""
    bind = op.get_bind()
    _require_foreign_keys_off(bind)
    op.execute(_meta.delete().where(_meta.c.key == LEGACY_KEY))
    if bind.dialect.name == "sqlite":
        for name in TABLES:
            # Reflection does not see AUTOINCREMENT, so the copy is made without it.
            with op.batch_alter_table(name, recreate="always") as batch:
                if name == "subscriber":
                    batch.drop_column("link_nonce")
    else:
        op.drop_column("subscriber", "link_nonce")
