"""Bounce and complaint reports read from the bounce mailbox (issue 10).

One row per message processed (``bounce import``/``fetch``), keyed by the
SHA-256 of its bytes and indexed by its Message-ID, so a message is never
processed twice. ``raw`` keeps messages that were not understood or not
matched, for a person to read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = "'bounce', 'delay', 'complaint', 'autoreply', 'unrecognised'"
ACTIONS = "'suppressed', 'soft', 'unsubscribed', 'rejected', 'ignored', 'unmatched', 'kept'"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "bounce_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("match", sa.String(length=16), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="ck_bounce_report_kind"),
        sa.CheckConstraint(f"action IN ({ACTIONS})", name="ck_bounce_report_action"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriber.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash", name="uq_bounce_report_content_hash"),
    )
    op.create_index("ix_bounce_report_message_id", "bounce_report", ["message_id"], unique=False)
    op.create_index("ix_bounce_report_campaign_id", "bounce_report", ["campaign_id"], unique=False)
    op.create_index("ix_bounce_report_subscriber_id", "bounce_report", ["subscriber_id"], unique=False)
    op.create_index("ix_bounce_report_delivery_id", "bounce_report", ["delivery_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("bounce_report")
