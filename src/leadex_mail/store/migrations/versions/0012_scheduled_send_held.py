"""Scheduled sends: what ``send --at`` was told (``--force``, ``--deep``) and a send held at its time.

At a scheduled send's time the worker checks the issue as ``send`` does,
with the options it was scheduled with (``forced``, ``deep``); an issue the
check refuses is not started but held (``held_at``, ``held_reason``,
``held_detail``: the error count and codes) and tried again each round
(docs/decisions.md, "a scheduled send is checked at its time").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _columns() -> tuple[sa.Column, ...]:  # type: ignore[type-arg]
    return (
        sa.Column("forced", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("deep", sa.Boolean(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_reason", sa.String(length=32), nullable=True),
        sa.Column("held_detail", sa.JSON(), nullable=True),
    )


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD COLUMN on both (SQLite has it): existing schedules are not forced, keep the setting's deep check, are not held.
    for column in _columns():
        op.add_column("scheduled_send", column)


def downgrade() -> None:
    """Revert this revision."""
    for column in reversed(_columns()):
        op.drop_column("scheduled_send", column.name)  # SQLite 3.35+ drops a column in place
