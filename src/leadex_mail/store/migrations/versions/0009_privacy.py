"""Privacy for subscribers: notice versions, self-service mails, retention of deliveries.

- ``privacy_notice``: every version of the notice at ``/privacy`` with what
  it said, and ``event.notice_version``: the version shown with a consent,
  next to ``consent_version`` (GDPR Art. 7(1): the controller must be able
  to show what a person agreed to).
- ``outgoing_mail.kind`` gains ``data_export`` (the "send me my data" mail)
  and ``erasure`` (the mail with the link that confirms "delete my data"):
  both go through the confirmation queue's background sender.
- ``campaign.anonymised_at``: when ``leadex-mail maintenance`` anonymised
  the campaign's deliveries; such a campaign is never resumed (its rows no
  longer say who already got it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_KINDS_OLD = "'confirmation'"
_KINDS_NEW = "'confirmation', 'data_export', 'erasure'"


def _outgoing_kinds(values: str) -> None:
    # outgoing_mail is a child table: rebuilding it (SQLite batch mode) drops nothing else.
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.drop_constraint("ck_outgoing_mail_kind", type_="check")
        batch.create_check_constraint("ck_outgoing_mail_kind", f"kind IN ({values})")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "privacy_notice",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("first_shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.add_column("event", sa.Column("notice_version", sa.String(length=64), nullable=True))
    op.add_column("campaign", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    _outgoing_kinds(_KINDS_NEW)


def downgrade() -> None:
    """Revert this revision (fails while queued mails use the new kinds: look at them first)."""
    _outgoing_kinds(_KINDS_OLD)
    op.drop_column("campaign", "anonymised_at")
    op.drop_column("event", "notice_version")
    op.drop_table("privacy_notice")
