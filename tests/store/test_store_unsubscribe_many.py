"""``unsubscribe_many``: the web's group commit, item for item the same as ``unsubscribe``."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leadex_mail.store import lists, subscribers, unsubscribe_batch
from leadex_mail.store.models import Event
from leadex_mail.store.subscribers import UnsubscribeRequest, unsubscribe_many


@pytest.fixture(params=["sqlite-fast-path", "generic"], autouse=True)
def path(request, monkeypatch) -> str:
    """Every test twice: SQLite's DB-API fast path, and the generic SQLAlchemy path."""
    monkeypatch.setattr(unsubscribe_batch, "_SQLITE_FAST_PATH", request.param == "sqlite-fast-path")
    return request.param


@pytest.fixture
def news(store):
    return lists.create_list(store, "news")


def _events(store, kind: str = "unsubscribed") -> list[Event]:
    with store.session(write=False) as session:
        return list(session.exec(select(Event).where(Event.kind == kind).order_by(Event.id)))  # type: ignore[arg-type]


def _people(store) -> dict[str, int]:
    """One subscriber in every state an unsubscribe can meet; name -> id."""
    lists.create_list(store, "events")
    ids = {
        "active": subscribers.add_subscriber(store, "ana@example.org", lists=["news", "events"]).id,
        "pending": subscribers.add_subscriber(store, "bor@example.org", status="pending").id,
        "done": subscribers.add_subscriber(store, "cene@example.org", lists=["news"]).id,
        "bounced": subscribers.add_subscriber(store, "dora@example.org", lists=["news"]).id,
        "erased": subscribers.add_subscriber(store, "eva@example.org", lists=["news"]).id,
    }
    subscribers.unsubscribe(store, ids["done"], source="cli")
    subscribers.mark_bounced(store, ids["bounced"], reply="452 try later", hard=False)
    # Bounced with a subscription still active: only the subscription changes.
    with store.session() as session:
        sub = session.get(subscribers.Subscriber, ids["bounced"])
        sub.status = "bounced"
        session.add(sub)
    subscribers.forget(store, "eva@example.org")
    return {name: int(sid) for name, sid in ids.items()}


def test_mixed_batch_records_one_event_per_change(store, news):
    ids = _people(store)
    batch = [
        UnsubscribeRequest(ids["active"], "one-click", "192.0.2.1", "Gmail"),
        UnsubscribeRequest(99_999, "one-click", "192.0.2.2", "bot"),  # never existed
        UnsubscribeRequest(ids["erased"], "web", "192.0.2.3", "Firefox"),
        UnsubscribeRequest(ids["pending"], "web", None, None),
        UnsubscribeRequest(ids["active"], "web", "192.0.2.4", "twice"),  # same person again
        UnsubscribeRequest(ids["done"], "one-click", "192.0.2.5", "repeat"),
        UnsubscribeRequest(ids["bounced"], "one-click", "192.0.2.6", "x" * 5000),
    ]
    before = len(_events(store))
    assert unsubscribe_many(store, batch) == [True, False, False, True, False, False, True]
    new = _events(store)[before:]
    assert [(e.subscriber_id, e.source, e.ip, e.list_id) for e in new] == [
        (ids["active"], "one-click", "192.0.2.1", None),
        (ids["pending"], "web", None, None),
        (ids["bounced"], "one-click", "192.0.2.6", None),
    ]
    assert new[0].user_agent == "Gmail" and new[2].user_agent == "x" * 1000
    assert new[0].at.tzinfo is not None and new[0].detail == {}
    for name in ("active", "pending", "done"):
        sub = subscribers.get_subscriber_by_id(store, ids[name])
        assert sub.status == "unsubscribed" and sub.unsubscribed_at is not None
    assert subscribers.get_subscriber_by_id(store, ids["bounced"]).status == "bounced"
    for name in ("active", "bounced"):
        assert {status for _, status in subscribers.subscriber_lists(store, ids[name])} == {"unsubscribed"}


def test_repeating_the_batch_changes_nothing(store, news):
    ids = [int(subscribers.add_subscriber(store, f"p{n}@example.org", lists=["news"]).id) for n in range(5)]
    batch = [UnsubscribeRequest(sid, "one-click") for sid in ids]
    assert unsubscribe_many(store, batch) == [True] * 5
    assert unsubscribe_many(store, batch) == [False] * 5
    assert sorted(e.subscriber_id for e in _events(store)) == ids
    assert unsubscribe_many(store, []) == []


def test_same_outcome_as_unsubscribe_one_by_one(store, news, tmp_path, backend, request):
    """Two stores in the same states: one unsubscribed item by item, one in a batch."""
    from leadex_mail.config import Settings
    from leadex_mail.store.db import open_store

    if backend == "postgresql":
        twin_url = request.getfixturevalue("pg_cluster").new_database()
    else:
        twin_url = f"sqlite:///{tmp_path / 'twin.db'}"
    twin = open_store(Settings(database_url=twin_url))
    try:
        lists.create_list(twin, "news")
        ids, twin_ids = _people(store), _people(twin)
        assert ids == twin_ids
        order = ["active", "pending", "done", "bounced", "erased", "active"]
        one_by_one = [subscribers.unsubscribe(twin, twin_ids[n], source="web", ip="192.0.2.9", user_agent="UA") for n in order]
        batched = unsubscribe_many(store, [UnsubscribeRequest(ids[n], "web", "192.0.2.9", "UA") for n in order])
        assert batched == one_by_one
        for name, sid in ids.items():
            if name == "erased":
                continue
            a, b = subscribers.get_subscriber_by_id(store, sid), subscribers.get_subscriber_by_id(twin, sid)
            assert (a.status, a.unsubscribed_at is None) == (b.status, b.unsubscribed_at is None)
            assert subscribers.subscriber_lists(store, sid) == subscribers.subscriber_lists(twin, sid)
        shape = lambda events: [(e.subscriber_id, e.source, e.ip, e.user_agent, e.list_id, e.detail) for e in events]
        assert shape(_events(store)) == shape(_events(twin))
    finally:
        twin.close()


def test_batches_larger_than_one_in_list(store, news, monkeypatch):
    monkeypatch.setattr(unsubscribe_batch, "_IN_CHUNK", 2)
    ids = [int(subscribers.add_subscriber(store, f"c{n}@example.org", lists=["news"]).id) for n in range(5)]
    batch = [UnsubscribeRequest(sid, "one-click") for sid in reversed(ids)] + [UnsubscribeRequest(123_456, "web")]
    assert unsubscribe_many(store, batch) == [True] * 5 + [False]
    assert [e.subscriber_id for e in _events(store)] == list(reversed(ids))
    assert {subscribers.get_subscriber_by_id(store, sid).status for sid in ids} == {"unsubscribed"}


def _rows(store) -> dict[str, list[tuple]]:
    """Every row of the tables an unsubscribe touches, as the database holds them."""
    out = {}
    with store.engine.connect() as conn:
        for table in ("subscriber", "subscription", "event"):
            # link_nonce is random per row: it differs between the two stores by design.
            columns = ", ".join(row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})") if row[1] != "link_nonce")
            out[table] = [tuple(row) for row in conn.exec_driver_sql(f"SELECT {columns} FROM {table} ORDER BY 1, 2")]
    return out


@pytest.mark.sqlite_only_reason("compares the SQLite-only DB-API fast path with the generic path")
def test_fast_path_writes_the_same_rows_as_the_generic_path(store, news, tmp_path, monkeypatch, sqlite_only):
    """Byte for byte: the DB-API statements store what SQLAlchemy's would (timestamps, JSON, NULLs)."""
    from datetime import UTC, datetime

    from leadex_mail.config import Settings
    from leadex_mail.store.db import open_store

    twin = open_store(Settings(database_url=f"sqlite:///{tmp_path / 'twin.db'}"))
    try:
        lists.create_list(twin, "news")
        fixed = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
        monkeypatch.setattr(subscribers, "utcnow", lambda: fixed)
        monkeypatch.setattr(unsubscribe_batch, "utcnow", lambda: fixed)
        monkeypatch.setattr("leadex_mail.store.events.utcnow", lambda: fixed)
        monkeypatch.setattr("leadex_mail.store.models.utcnow", lambda: fixed)
        ids = _people(store)
        assert _people(twin) == ids
        batch = [UnsubscribeRequest(ids[n], "one-click", "192.0.2.7", "Agent č") for n in ("active", "pending", "bounced", "done")]
        batch.append(UnsubscribeRequest(ids["active"], "web", None, None))
        monkeypatch.setattr(unsubscribe_batch, "_SQLITE_FAST_PATH", True)
        fast = unsubscribe_many(store, batch)
        monkeypatch.setattr(unsubscribe_batch, "_SQLITE_FAST_PATH", False)
        generic = unsubscribe_many(twin, batch)
        assert fast == generic == [True, True, True, False, False]
        assert _rows(store) == _rows(twin)
    finally:
        twin.close()


@pytest.mark.sqlite_only_reason("holds SQLite's write lock with the sqlite3 module")
def test_not_waiting_when_another_writer_holds_sqlite(store, news, sqlite_only, path):
    """``wait=False`` gives up at once on a held write lock (nothing written); waiting works after."""
    import sqlite3

    if path == "generic":
        pytest.skip("wait=False only changes the SQLite fast path")
    sid = int(subscribers.add_subscriber(store, "held@example.org", lists=["news"]).id)
    other = sqlite3.connect(store.engine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(subscribers.StoreBusy):
            unsubscribe_many(store, [UnsubscribeRequest(sid, "one-click")], wait=False)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert _events(store) == []
    assert unsubscribe_many(store, [UnsubscribeRequest(sid, "one-click")], wait=False) == [True]
    assert subscribers.get_subscriber_by_id(store, sid).status == "unsubscribed"
