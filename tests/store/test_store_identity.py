"""Row identity: ids that leave the store are never reused, and each subscriber row has its own link nonce.

Runs against PostgreSQL too when ``LEADEX_TEST_PG_URL`` is set (see conftest.py);
the schema checks that read SQLite's own tables are SQLite only.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, delete, insert, inspect, select, text
from sqlmodel import SQLModel

from leadex_mail.config import Settings
from leadex_mail.errors import NotFound, StoreError
from leadex_mail.store import db, identity, lists, schema, subscribers
from leadex_mail.store.importer import import_csv
from leadex_mail.store.models import Campaign, Delivery, Subscriber

NEVER_REUSED = ("subscriber", "campaign", "delivery")
BEFORE = "0004"  # the head revision before migration 0005


def _delete_last_then_insert(store, table, row: dict) -> tuple[int, int]:
    """Insert a row, delete it (the highest id), insert again: both ids."""
    with store.begin() as conn:
        first = conn.execute(insert(table).values(**row)).inserted_primary_key[0]
        conn.execute(delete(table).where(table.c.id == first))
        second = conn.execute(insert(table).values(**row)).inserted_primary_key[0]
    return first, second


def test_ids_are_never_reused_after_the_last_row_is_deleted(store):
    news = lists.create_list(store, "news")
    a = subscribers.add_subscriber(store, "a@example.org", lists=["news"])
    b = subscribers.add_subscriber(store, "b@example.org", lists=["news"])
    subscribers.forget(store, "b@example.org")  # b had the highest id
    c = subscribers.add_subscriber(store, "c@example.org", lists=["news"])
    assert a.id < b.id < c.id
    subscribers.forget(store, "c@example.org")
    d = subscribers.request_subscription(
        store, "d@example.org", name=None, language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    assert d.id > c.id
    campaign = {"issue_slug": "x", "list_id": news.id, "content_hash": "{}", "subject": "s", "status": "done"}
    first, second = _delete_last_then_insert(store, Campaign.__table__, campaign)
    assert second > first
    with store.begin() as conn:
        campaign_id = conn.execute(insert(Campaign.__table__).values(**{**campaign, "issue_slug": "y"})).inserted_primary_key[0]
    delivery = {"campaign_id": campaign_id, "subscriber_id": a.id, "language": "sl", "state": "sent", "attempts": 1, "uncertain": False}
    first, second = _delete_last_then_insert(store, Delivery.__table__, delivery)
    assert second > first


def test_every_way_in_gives_a_row_its_own_nonce(store, tmp_path):
    lists.create_list(store, "news")
    added = subscribers.add_subscriber(store, "a@example.org")
    requested = subscribers.request_subscription(
        store, "b@example.org", name=None, language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    with store.begin() as conn:  # a Core insert (as the campaign tests' helper does) gets the column default
        rows = [{"email": f"core{n}@example.org", "language": "sl", "status": "active", "attributes": {}} for n in range(3)]
        conn.execute(insert(Subscriber.__table__), rows)
    csv = tmp_path / "people.csv"
    csv.write_text("email\nimp1@example.org\nimp2@example.org\n", encoding="utf-8")
    import_csv(store, csv, list_name="news")
    with store.begin(write=False) as conn:
        nonces = dict(conn.execute(select(Subscriber.email, Subscriber.link_nonce)).all())  # type: ignore[call-overload]
    assert len(nonces) == 7 and len(set(nonces.values())) == 7
    assert all(len(n) == 11 for n in nonces.values())
    assert nonces["a@example.org"] == added.link_nonce and nonces["b@example.org"] == requested.link_nonce


def test_a_link_names_only_the_row_it_was_made_for(store):
    a = subscribers.add_subscriber(store, "a@example.org")
    bound = {"s": a.id, "n": a.link_nonce}
    for purpose in ("unsubscribe", "preferences", "view", "confirm"):
        assert identity.linked_subscriber(store, purpose, {**bound, "c": 1}).email == "a@example.org"
        other = ("y" if a.link_nonce[0] == "x" else "x") + a.link_nonce[1:]  # always a different nonce (1 in 64 began with "x")
        assert identity.linked_subscriber(store, purpose, {**bound, "n": other}) is None
        assert identity.linked_subscriber(store, purpose, {**bound, "n": None}) is None
        assert identity.linked_subscriber(store, purpose, {"s": a.id + 1, "n": a.link_nonce}) is None
        # A store made at this version has no legacy links: one without a nonce names nobody.
        assert identity.linked_subscriber(store, purpose, {"s": a.id, "c": 1}) is None
    assert identity.legacy_limit(store) == 0


def test_a_confirmation_for_another_row_confirms_nobody(store):
    lists.create_list(store, "news")
    sub = subscribers.request_subscription(
        store, "p@example.org", name=None, language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    with pytest.raises(NotFound):
        subscribers.confirm_subscription(store, sub.id, ip="192.0.2.66", user_agent=None, consent_version="v", link_nonce="not-this-rows")
    assert subscribers.get_subscriber_by_id(store, sub.id).status == "pending"
    done = subscribers.confirm_subscription(store, sub.id, ip="192.0.2.1", user_agent=None, consent_version="v", link_nonce=sub.link_nonce)
    assert done.status == "active"


@pytest.mark.sqlite_only_reason("reads sqlite_master; on PostgreSQL the ids come from sequences (the next test)")
def test_the_schema_at_head_keeps_autoincrement_and_everything_else(store, tmp_path, sqlite_only):
    """After the rebuild each table is exactly what the models describe: a later batch migration
    that drops AUTOINCREMENT (alembic cannot reflect it) or a constraint fails here."""
    with store.engine.connect() as conn:
        for name in NEVER_REUSED:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}).scalar()
            assert "AUTOINCREMENT" in sql, name
    fresh = create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    SQLModel.metadata.create_all(fresh)
    assert _shape(store.engine) == _shape(fresh)


def test_postgresql_ids_come_from_sequences(store, backend):
    """A sequence never hands out a value twice (unless rewound by hand): nothing to migrate there."""
    if backend != "postgresql":
        pytest.skip("SQLite has no sequences; AUTOINCREMENT is checked above")
    with store.engine.connect() as conn:
        for name in NEVER_REUSED:
            assert conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}).scalar() == f"public.{name}_id_seq"


def _shape(engine) -> dict:
    """Each table's columns, keys, foreign keys (with their ON DELETE), indexes, unique and check constraints."""
    found = inspect(engine)
    out = {}
    for name in sorted(set(found.get_table_names()) - {"alembic_version"}):
        out[name] = (
            sorted((c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(name)),
            found.get_pk_constraint(name)["constrained_columns"],
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]), f["options"].get("ondelete"))
                for f in found.get_foreign_keys(name)
            ),
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(name)),
            sorted((u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(name)),
            sorted((c["name"], " ".join(c["sqltext"].split())) for c in found.get_check_constraints(name)),
        )
    return out


def test_upgrade_from_0004_keeps_ids_and_continues_above_them(tmp_path, sqlite_only):
    path = tmp_path / "old.db"
    store = db.Store(db.make_engine(f"sqlite:///{path}"))
    with store.engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), BEFORE)
        conn.execute(text("INSERT INTO mailing_list (id, name, title, description, created_at) VALUES (1, 'news', '', '', '2026-04-01')"))
        for sid in (1, 5, 9):
            conn.execute(text(
                "INSERT INTO subscriber (id, email, language, status, attributes, created_at, updated_at)"
                f" VALUES ({sid}, 'p{sid}@example.org', 'sl', 'active', '{{}}', '2026-04-01', '2026-04-01')"
            ))
    assert db.upgrade(store)[0] == "0005: Ids that leave the store are never reused; every subscriber row gets a random link_nonce."
    assert identity.legacy_limit(store) == 9
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # back on for the pooled connection
        assert dict(conn.execute(text("SELECT name, seq FROM sqlite_sequence")).all()) == {"subscriber": 9, "campaign": 0, "delivery": 0}
    subscribers.forget(store, "p9@example.org")
    assert subscribers.add_subscriber(store, "new@example.org").id == 10
    store.close()


def test_the_migration_refuses_to_run_with_foreign_keys_on(tmp_path, sqlite_only):
    """Run by hand through alembic (foreign keys on), the rebuild would delete every subscription: it stops first."""
    store = db.Store(db.make_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    with store.engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), BEFORE)
    with pytest.raises(StoreError, match="foreign keys"), store.engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), "head")
    assert db.migration_status(store).current == BEFORE
    store.close()


def test_downgrade_and_upgrade_again(tmp_path, sqlite_only):
    store = db.open_store(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    subscribers.add_subscriber(store, "a@example.org")
    with store.engine.connect() as conn, schema.foreign_keys_off(conn), conn.begin():
        command.downgrade(schema.alembic_config(conn), BEFORE)
    with store.engine.connect() as conn:
        assert "link_nonce" not in {c["name"] for c in inspect(conn).get_columns("subscriber")}
    store.cache.clear()
    assert db.upgrade(store)
    assert subscribers.get_subscriber(store, "a@example.org").link_nonce
    store.close()
