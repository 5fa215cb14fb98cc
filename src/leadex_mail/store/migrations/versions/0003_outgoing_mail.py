"""Outgoing mail: sign-up confirmations queued with the sign-up, sent by the web app's background sender.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('confirmation')", name="ck_outgoing_mail_kind"),
        sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed', 'skipped')", name="ck_outgoing_mail_state"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriber.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outgoing_mail_state_due", "outgoing_mail", ["state", "next_attempt_at"], unique=False)
    op.create_index("ix_outgoing_mail_subscriber", "outgoing_mail", ["subscriber_id", "kind", "created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outgoing_mail_subscriber", table_name="outgoing_mail")
    op.drop_index("ix_outgoing_mail_state_due", table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
