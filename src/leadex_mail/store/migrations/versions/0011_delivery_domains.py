"""PostgreSQL: ``delivery.state`` and ``delivery.error_kind`` checked by domains instead of table CHECK constraints.

The same values are allowed, and every value given to either column is
checked, as before. What changes is the cost: PostgreSQL parses and plans
the text of every CHECK constraint of a table at every UPDATE of it, in each
statement, whatever the columns changed; that was 20 % of the server's CPU
in the per-message statement of a send (the previous message's "sent" and
this one's "start"). A domain's check is parsed once per connection (the
type cache) and runs only when its column is given a value.
(docs/decisions.md, "the delivery table's value rules".)

SQLite keeps its CHECK constraints: nothing to do there.

Changing the allowed values later on PostgreSQL: ``ALTER DOMAIN … DROP
CONSTRAINT`` / ``ADD CONSTRAINT`` on the domain (``models._domain`` names
them), not the table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The values as of this revision (models.DELIVERY_STATES, models.ERROR_KINDS may grow later).
_STATES = ("queued", "sending", "sent", "retry_wait", "failed", "skipped")
_ERROR_KINDS = ("temporary", "permanent", "suppressed", "rejected", "soft", "uncertain")
_COLUMNS = (("state", "delivery_state", _STATES), ("error_kind", "delivery_error_kind", _ERROR_KINDS))


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    """Apply this revision (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, domain, values in _COLUMNS:
        op.execute(f"CREATE DOMAIN {domain} AS VARCHAR(16) CONSTRAINT ck_{domain} CHECK (VALUE IN ({_values(values)}))")
        op.execute(f"ALTER TABLE delivery DROP CONSTRAINT ck_delivery_{column}")
        # The same bytes: existing rows are checked against the domain.
        op.execute(f"ALTER TABLE delivery ALTER COLUMN {column} TYPE {domain}")


def downgrade() -> None:
    """Revert this revision (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, domain, values in _COLUMNS:
        op.execute(f"ALTER TABLE delivery ALTER COLUMN {column} TYPE VARCHAR(16)")
        op.execute(f"DROP DOMAIN {domain}")
        op.execute(f"ALTER TABLE delivery ADD CONSTRAINT ck_delivery_{column} CHECK ({column} IN ({_values(values)}))")
