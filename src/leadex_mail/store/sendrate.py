"""Send-rate buckets shared by every process and machine on one store.

The campaign engine's rate limit (``campaign.ratelimit.Throttle``) keeps one
token bucket per configured limit. So that ``--rate 600/min`` means 600 a
minute for all senders together, not for each, the buckets' state lives
here, in the store: one ``meta`` row per limit, key ``send_rate:<count>/<window
seconds>``, value ``{"tokens": float, "at": seconds since the epoch}``.

``locked_buckets`` hands the caller those states under a lock (SQLite's write
lock; on PostgreSQL ``SELECT … FOR UPDATE`` of the rows), in one short
transaction, and writes back what the caller changed. Every process takes its
tokens from the same bucket, so the tokens (and the debt a reservation runs
up, paid by waiting) are counted once for everyone; a restarted process finds
the bucket where the others left it.

Times are the senders' wall clocks (as leases are): machines that share a
store keep their clocks in step (NTP).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import select, update

from leadex_mail.store.db import Store
from leadex_mail.store.upsert import upsert_insert
from leadex_mail.store.models import Meta

_M = Meta.__table__
State = tuple[float, float]  # (tokens, at: seconds since the epoch)


def bucket_key(count: int, window: float) -> str:
    """The ``meta`` key of the bucket for ``count`` messages per ``window`` seconds (a new limit starts a new bucket)."""
    return f"send_rate:{count}/{window:g}"


@contextmanager
def locked_buckets(store: Store, keys: Sequence[str]) -> Iterator[dict[str, State | None]]:
    """Yield ``{key: (tokens, at) or None}`` (None: never used) with the buckets locked; store what the caller set.

    The caller replaces values in the dict; on leaving the block they are
    written and the transaction commits (on an error nothing is written).
    Raises ``StoreError`` when the database fails.
    """
    with store.writing() as conn:
        # Make the rows exist first, so that the lock below covers a bucket no one used yet.
        conn.execute(upsert_insert(conn, _M).values([{"key": k, "value": "null"} for k in keys]).on_conflict_do_nothing(index_elements=["key"]))
        rows = conn.execute(select(_M.c.key, _M.c.value).where(_M.c.key.in_(keys)).with_for_update()).all()
        found = {row.key: _state(row.value) for row in rows}
        state: dict[str, State | None] = {k: found.get(k) for k in keys}
        yield state
        for key in keys:
            if state[key] is not None and state[key] != found.get(key):
                tokens, at = state[key]  # type: ignore[misc]
                conn.execute(update(_M).where(_M.c.key == key).values(value=json.dumps({"tokens": tokens, "at": at})))


def _state(value: str) -> State | None:
    data = json.loads(value)
    return None if data is None else (float(data["tokens"]), float(data["at"]))
