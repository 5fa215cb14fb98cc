"""A delivery's state and error kind take only the values the engine knows, on both stores.

On SQLite the rules are table CHECK constraints; on PostgreSQL the columns'
domains (migration 0011: a CHECK was parsed at every UPDATE of the table,
docs/decisions.md). Either way the database refuses any other value, given
by an INSERT or by an UPDATE.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from leadex_mail.store.models import DELIVERY_STATES, ERROR_KINDS, Campaign, Delivery, MailingList

_D = Delivery.__table__


def _one_delivery(store) -> tuple[int, int]:
    """(campaign id, delivery id) of one queued delivery."""
    with store.engine.begin() as conn:
        list_id = conn.execute(insert(MailingList.__table__).values(name="news", title="News", description="")).inserted_primary_key[0]
        campaign_id = conn.execute(insert(Campaign.__table__).values(issue_slug="2026-04-leadex-01", list_id=list_id, content_hash="{}", subject="s", status="running")).inserted_primary_key[0]
        return campaign_id, conn.execute(insert(_D).values(campaign_id=campaign_id, language="sl", state="queued")).inserted_primary_key[0]


def test_every_known_state_and_error_kind_is_taken(store):
    _, delivery_id = _one_delivery(store)
    with store.engine.begin() as conn:
        for state in DELIVERY_STATES:
            conn.execute(update(_D).where(_D.c.id == delivery_id).values(state=state))
        for kind in (*ERROR_KINDS, None):
            conn.execute(update(_D).where(_D.c.id == delivery_id).values(error_kind=kind))


@pytest.mark.parametrize(("column", "value"), [("state", "delivered"), ("state", "Sent"), ("error_kind", "fatal")])
def test_any_other_value_is_refused_by_the_database(store, column, value):
    campaign_id, delivery_id = _one_delivery(store)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(_D).where(_D.c.id == delivery_id).values({column: value}))
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(_D).values(campaign_id=campaign_id, language="sl", **{"state": "queued", column: value}))
