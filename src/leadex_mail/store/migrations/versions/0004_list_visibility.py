"""Lists are public (sign-up form, archive) or private (internal, tests, partners).

A new list is private unless created ``--public``. Lists that exist when
this runs were offered on the sign-up form and shown in the archive, so they
stay public: an upgrade must not empty a running sign-up form. Operators mark
internal lists private with ``leadex-mail lists update NAME --private``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # A plain ADD COLUMN (SQLite has it): a batch copy of the table would have to drop
    # mailing_list, which the foreign keys of subscriptions and campaigns forbid.
    op.add_column("mailing_list", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE mailing_list SET public = :yes").bindparams(yes=True))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("mailing_list", "public")  # SQLite 3.35+ drops a column in place
