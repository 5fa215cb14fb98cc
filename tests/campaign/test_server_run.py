"""PostgreSQL's crash recovery starts a new server run, however it was set off (finding a11c #1).

"Start" and "sent" are committed asynchronously on PostgreSQL; a crash recovery
can lose the last of them. When one backend dies (kill -9, the OOM killer), the
postmaster restarts every backend and replays the WAL: those commits are lost as
in a crash of the whole server, but ``pg_postmaster_start_time()`` stays the
same. The run is therefore named by a token in an UNLOGGED table, which every
crash recovery empties; leases taken before it then come back uncertain.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from leadex_mail.store import campaigns, deliveries

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)
WAIT = 120


def kill_one_backend(url: str) -> None:
    """SIGKILL one client backend of the server and return once the server accepts connections again (recovered)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    victim = psycopg.connect(dsn, autocommit=True)
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    os.kill(pid, signal.SIGKILL)
    deadline = datetime.now(timezone.utc) + timedelta(seconds=WAIT)
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            break
        except psycopg.OperationalError:
            if datetime.now(timezone.utc) > deadline:
                raise
            time.sleep(0.05)  # a bounded poll of the server's state: recovery gives no other signal
    try:
        victim.close()
    except psycopg.Error:
        pass


@pytest.mark.parametrize("backend", ["postgresql"])
def test_one_backend_killed_is_a_new_server_run_and_earlier_claims_come_back_uncertain(store, people, settings) -> None:
    ids = people(4)
    c = campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1", "en": "h2"}, "Subject", now=T0)
    campaigns.queue_deliveries(store, c, [(i, "sl") for i in ids])
    before = deliveries.server_started(store)
    assert deliveries.server_started(store) == before  # stable while the server runs
    owner = deliveries.owner_prefix(store) + "/0"
    claimed = deliveries.claim(store, c.id, owner, 2, T0, LEASE)
    with deliveries.open_deliveries(store) as rec:  # the first was handed to the server ("start" is asynchronous)
        assert rec.start(claimed[0].delivery_id, owner, T0, LEASE)

    kill_one_backend(settings.database_url)
    store.engine.dispose()  # the pool's connections died with the backends

    assert deliveries.server_started(store) != before
    # Both rows of the earlier run may have lost their asynchronous records: once its lease
    # ends, the next claim takes them back uncertain, not as plain queued rows.
    later = T0 + LEASE + timedelta(seconds=1)
    again = {x.delivery_id: x for x in deliveries.claim(store, c.id, deliveries.owner_prefix(store) + "/0", 4, later, LEASE)}
    assert len(again) == 4
    for row in claimed:
        assert again[row.delivery_id].reclaimed and again[row.delivery_id].uncertain, row
    assert not any(x.uncertain for i, x in again.items() if i not in {r.delivery_id for r in claimed})


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_clean_restart_keeps_the_server_run(store, pg_cluster) -> None:
    """A clean stop writes every commit: nothing may be lost, so nothing is made uncertain."""
    before = deliveries.server_started(store)
    pg_cluster.shutdown()
    pg_cluster.restart()
    store.engine.dispose()
    assert deliveries.server_started(store) == before


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_server_that_accepts_only_reads_gets_a_postgresql_hint(store, people, settings) -> None:
    """A standby, or default_transaction_read_only: the hint names the server, not a deleted SQLite file (finding a11c #2)."""
    from leadex_mail.errors import StoreError

    people(1)
    dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {dsn.rsplit('/', 1)[1]} SET default_transaction_read_only = on")
    store.engine.dispose()  # new sessions take the database's setting
    with pytest.raises(StoreError) as err:
        campaigns.open_campaign(store, "2026-04-leadex-01", "newsletter", {"sl": "h1"}, "Subject", now=T0)
    assert "accepts only reads" in (err.value.hint or "") and "database file" not in (err.value.hint or ""), err.value.hint
