"""Scheduled campaigns: ``send ISSUE --list L --at TIME`` and the worker that starts them (after privacy 0009).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "scheduled_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_slug", sa.String(length=200), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["mailing_list.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issue_slug", "list_id", name="uq_scheduled_send_issue_list"),
    )
    op.create_index("ix_scheduled_send_send_at", "scheduled_send", ["send_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_scheduled_send_send_at", table_name="scheduled_send")
    op.drop_table("scheduled_send")
