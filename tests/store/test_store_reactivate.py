"""``subscribers reactivate``: an operator lifts a wrong bounce, never a person's own decision."""

from __future__ import annotations

from sqlalchemy import select

from leadex_mail.store import gdpr, lists, subscribers
from leadex_mail.store.models import Event


def bounced(store, email: str) -> int:
    sub = subscribers.add_subscriber(store, email, lists=["news"])
    subscribers.mark_bounced(store, sub.id, reply="550 5.7.1 Relaying denied", hard=True)  # what older versions did
    return sub.id  # type: ignore[return-value]


def events(store, subscriber_id: int) -> list:
    e = Event.__table__
    with store.begin(write=False) as conn:
        return list(conn.execute(select(e.c.kind, e.c.source, e.c.detail).where(e.c.subscriber_id == subscriber_id).order_by(e.c.id)))


def test_reactivate_lifts_a_bounce_and_logs_the_reason(store, cli):
    lists.create_list(store, "news")
    sid = bounced(store, "ana@example.org")
    assert subscribers.is_suppressed(store, "ana@example.org")

    result = cli("subscribers", "reactivate", "Ana@Example.org", "--reason", "the relay refused everyone on 2026-05-02 (5.7.1)")
    assert result.exit_code == 0, result.output
    assert result.output == "ana@example.org: active again; the bounce suppression is lifted and the reason logged\n"
    assert subscribers.get_subscriber(store, "ana@example.org").status == "active"
    assert not subscribers.is_suppressed(store, "ana@example.org")
    assert [s.email for s in subscribers.eligible_subscribers(store, "news")] == ["ana@example.org"]  # on her lists again
    assert events(store, sid)[-1] == ("reactivated", "cli", {"reason": "the relay refused everyone on 2026-05-02 (5.7.1)", "was": "bounced"})
    assert "reactivated  cli" in cli("subscribers", "show", "ana@example.org").output

    again = cli("subscribers", "reactivate", "ana@example.org", "--reason", "twice")
    assert again.exit_code == 1 and "is active, not bounced" in again.output


def test_reactivate_never_undoes_the_persons_own_decision(store, cli):
    lists.create_list(store, "news")
    erased = bounced(store, "erased@example.org")
    gdpr.forget(store, "erased@example.org")
    unsub = subscribers.add_subscriber(store, "left@example.org", lists=["news"])
    subscribers.unsubscribe(store, unsub.id, source="web")
    spam = subscribers.add_subscriber(store, "spam@example.org", lists=["news"])
    subscribers.mark_complained(store, spam.id)
    both = subscribers.add_subscriber(store, "both@example.org", lists=["news"])
    subscribers.mark_complained(store, both.id)
    subscribers.mark_bounced(store, both.id, reply="550 5.1.1 x", hard=True)  # bounced later, but complained first
    assert erased

    for address, words in [
        ("erased@example.org", "was erased at the person's request"),
        ("left@example.org", "unsubscribed: that is the person's decision"),
        ("spam@example.org", "complained (marked the newsletter as spam)"),
        ("both@example.org", "complained (marked the newsletter as spam)"),
    ]:
        result = cli("subscribers", "reactivate", address, "--reason", "operator says so")
        assert result.exit_code == 1, result.output
        assert words in result.output and "hint: only the person's own new sign-up" in result.output
        assert subscribers.is_suppressed(store, address)


def test_reactivate_needs_a_reason_and_a_known_address(store, cli):
    lists.create_list(store, "news")
    bounced(store, "ana@example.org")
    missing = cli("subscribers", "reactivate", "ana@example.org")
    assert missing.exit_code == 2 and "--reason" in missing.output
    blank = cli("subscribers", "reactivate", "ana@example.org", "--reason", "   ")
    assert blank.exit_code == 1 and "a reason is required" in blank.output
    unknown = cli("subscribers", "reactivate", "nobody@example.org", "--reason", "x")
    assert unknown.exit_code == 1 and "no subscriber nobody@example.org" in unknown.output
    assert subscribers.get_subscriber(store, "ana@example.org").status == "bounced"


def test_the_migration_keeps_delivery_ids_never_reused(tmp_path, sqlite_only):
    """Migration 0006 rebuilds the delivery table on SQLite: AUTOINCREMENT and its high-water mark stay."""
    from alembic import command
    from sqlalchemy import text

    from leadex_mail.config import Settings
    from leadex_mail.store import db

    store = db.Store(db.make_engine(f"sqlite:///{tmp_path / 'old.db'}"))
    with store.engine.connect() as conn, db._foreign_keys_off(conn), conn.begin():
        command.upgrade(db._alembic_config(conn), "0005")
        conn.execute(text("INSERT INTO mailing_list (id, name, title, description, created_at, public) VALUES (1, 'news', '', '', '2026-04-01', 1)"))
        conn.execute(text("INSERT INTO campaign (id, issue_slug, list_id, content_hash, subject, status, created_at, updated_at)"
                          " VALUES (1, 'x', 1, '{}', 's', 'done', '2026-04-01', '2026-04-01')"))
        for did in (1, 2, 3):
            conn.execute(text("INSERT INTO delivery (id, campaign_id, language, state, attempts, uncertain, created_at, updated_at)"
                              f" VALUES ({did}, 1, 'sl', 'sent', 1, 0, '2026-04-01', '2026-04-01')"))
        conn.execute(text("DELETE FROM delivery WHERE id = 3"))  # the highest id is gone; 3 must never come back
    store.close()
    store = db.open_store(Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}"))
    with store.engine.begin() as conn:
        assert "AUTOINCREMENT" in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'delivery'")).scalar()
        conn.execute(text("INSERT INTO delivery (campaign_id, language, state, attempts, uncertain, created_at, updated_at, error_kind)"
                          " VALUES (1, 'sl', 'failed', 1, 0, '2026-04-01', '2026-04-01', 'rejected')"))
        assert conn.execute(text("SELECT max(id) FROM delivery")).scalar() == 4
    store.close()
