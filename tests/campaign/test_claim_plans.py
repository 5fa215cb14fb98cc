"""A claim reads rows in proportion to its batch, not to the list, whatever PostgreSQL's statistics say.

PostgreSQL only: these are about its planner (SQLite's picks the primary
keys and the index here with or without ``ANALYZE``). Each statement of a
claim is run under ``EXPLAIN (ANALYZE, FORMAT JSON)`` on a real server, in
the two states a campaign meets: a database just loaded or copied, which
has no statistics yet (the scale benchmark's fresh copies, an import
followed at once by a send), and one ANALYZE saw mostly queued (autovacuum
during a send). Found by ``bench/pg_record_bench.py --real``: the
recipients' join hashed all 20 000 subscriptions at every claim (0.2 ms of
the server per message), and the queue's scan read the table from its start
past every row already sent.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest
from campaign_helpers import ISSUE, add_people, make_settings

from leadex_mail.store import campaigns, deliveries
from leadex_mail.store.db import Store, open_store

PEOPLE = 3000  # enough that reading a whole table is the dear plan, not a small table's cheap one
BATCH = 20
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def queued_template(pg_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A database with PEOPLE people queued on one campaign, made once, then closed to connections (a template); (its URL, the campaign id)."""
    url = pg_cluster.new_database(migrated=True)
    store = open_store(make_settings(tmp_path_factory.mktemp("plans"), database_url=url))
    add_people(store, PEOPLE)
    campaign = campaigns.open_campaign(store, ISSUE, "newsletter", {"sl": "x", "en": "y"}, "subject", now=NOW)
    campaigns.queue_eligible(store, campaign, ("sl", "en"), "sl")
    store.close()
    return url, campaign.id  # type: ignore[return-value]


@pytest.fixture
def pg_store(pg_cluster: Any, queued_template: tuple[str, int], tmp_path: Any) -> Any:
    """A fresh copy of ``queued_template`` (``CREATE DATABASE … TEMPLATE``: no statistics, as any new copy); (store, campaign id)."""
    import psycopg

    template, campaign_id = queued_template
    name = f"{template.rsplit('/', 1)[1]}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template.rsplit('/', 1)[1]}")  # type: ignore[arg-type]
    store = open_store(make_settings(tmp_path, database_url=pg_cluster.url(name)))
    yield store, campaign_id
    store.close()


def _explain(store: Store, statement: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The scans of PostgreSQL's plan for ``statement``, run (``EXPLAIN ANALYZE``) and rolled back: one dict per scan of a table."""
    with store.engine.connect() as conn:
        expanded = statement.compile(dialect=conn.dialect).construct_expanded_state(params)  # the IN list's values as the driver gets them
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + expanded.statement, expanded.parameters).scalar_one()
        conn.rollback()  # a FOR UPDATE scan's locks go with it
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
        own = [node] if "Relation Name" in node else []
        return own + [scan for child in node.get("Plans", ()) for scan in walk(child)]

    return walk(plan[0]["Plan"])


def _rows_read(scans: list[dict[str, Any]], table: str) -> int:
    """Rows the scans of ``table`` returned or filtered out, over all their loops."""
    return sum(
        (s["Actual Rows"] + s.get("Rows Removed by Filter", 0) + s.get("Rows Removed by Index Recheck", 0)) * s["Actual Loops"]
        for s in scans if s["Relation Name"] == table
    )


def _blocks_read(scans: list[dict[str, Any]], table: str) -> int:
    """Pages (table and index) the scans of ``table`` read."""
    return sum(s["Shared Hit Blocks"] + s["Shared Read Blocks"] for s in scans if s["Relation Name"] == table)


def _analyze(store: Store) -> None:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


@pytest.mark.parametrize("statistics", ["none", "analyzed"])
def test_the_recipients_of_a_claim_are_read_by_key_with_or_without_statistics(pg_store: Any, statistics: str) -> None:
    store, campaign_id = pg_store
    if statistics == "analyzed":
        _analyze(store)
    ids = list(range(101, 101 + BATCH))
    params = {"p_campaign": campaign_id, "p_ids": ids}
    # (subscriber may be read whole while the table is small: the planner's fair choice, bounded by its size)
    assert _rows_read(_explain(store, deliveries._RECIPIENTS, params), "subscription") <= BATCH


@pytest.mark.parametrize("statistics", ["none", "analyzed"])
def test_the_queue_scan_of_a_claim_passes_no_row_already_sent(pg_store: Any, statistics: str) -> None:
    store, campaign_id = pg_store
    if statistics == "analyzed":
        _analyze(store)  # every row queued: a scan of the table looks cheap
    with store.engine.begin() as conn:  # the first half of the queue went out (as the send path leaves it)
        conn.exec_driver_sql(
            "UPDATE delivery SET state = 'sent', attempts = 1, sent_at = %(now)s WHERE id IN (SELECT id FROM delivery ORDER BY id LIMIT %(n)s)",
            {"now": NOW, "n": PEOPLE // 2},
        )
    counts = campaigns.state_counts(store, campaign_id)
    assert (counts["sent"], counts["queued"]) == (PEOPLE // 2, PEOPLE - PEOPLE // 2)
    query = deliveries._candidates(2, False, True)  # the queue: queued, no live lease
    params = {"p_campaign": campaign_id, "p_now": NOW, "p_n": BATCH}
    _explain(store, query, params)  # the first scan after the updates marks their dead index entries (kill_prior_tuple)
    scans = _explain(store, query, params)
    # The index's descent and the batch's own rows: a few pages (4 here); the
    # table read from its start passes the pages of the 1 500 rows sent (16).
    assert _blocks_read(scans, "delivery") <= 8, scans
