"""Index deliveries by sent_at: the rate limiter counts recent sends across campaigns on every start.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("delivery") as batch:
        batch.create_index("ix_delivery_sent_at", ["sent_at"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("delivery") as batch:
        batch.drop_index("ix_delivery_sent_at")
