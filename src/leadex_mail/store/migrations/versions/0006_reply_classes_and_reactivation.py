"""Delivery error kinds for classified replies and held deliveries; the "reactivated" event.

``delivery.error_kind`` gains ``rejected`` (policy, relay, content, size or
protocol refusal: the subscriber is kept), ``soft`` (mailbox full or
unavailable) and ``uncertain`` (held unsent after a lost reply, with
``send_uncertain = "hold"``). ``event.kind`` gains ``reactivated`` (an
operator lifted a wrong bounce suppression).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_EVENTS_OLD = "'subscribed', 'confirmed', 'unsubscribed', 'bounced', 'complained', 'erased', 'imported', 'preferences'"
_ERRORS_OLD = "'temporary', 'permanent', 'suppressed'"


# SQLite rebuilds a table to change a CHECK constraint: these keep AUTOINCREMENT
# (0005), and their place in sqlite_sequence, so no id is ever given out twice.
_AUTOINCREMENT = ("delivery",)


def _replace(table: str, name: str, column: str, values: str) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite" and table in _AUTOINCREMENT
    seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}).scalar() if sqlite else None
    with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True} if sqlite else {}) as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, f"{column} IN ({values})")
    if seq is not None:
        now = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}).scalar()
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :seq)"), {"t": table, "seq": max(seq, now or 0)})


def upgrade() -> None:
    """Apply this revision."""
    _replace("event", "ck_event_kind", "kind", _EVENTS_OLD + ", 'reactivated'")
    _replace("delivery", "ck_delivery_error_kind", "error_kind", _ERRORS_OLD + ", 'rejected', 'soft', 'uncertain'")


def downgrade() -> None:
    """Revert this revision (fails while rows use the new values: that is data to look at first)."""
    _replace("event", "ck_event_kind", "kind", _EVENTS_OLD)
    _replace("delivery", "ck_delivery_error_kind", "error_kind", _ERRORS_OLD)
