"""``subscribers reactivate``: an operator lifts a wrong bounce, never a person's own decision."""

from __future__ import annotations

from sqlalchemy import select

from leadex_mail.store import gdpr, lists, subscribers
from leadex_mail.store.models import Campaign, Delivery, Event


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


WAVE = "550 5.1.0 <newsletter@example.org>: Sender address rejected: User unknown in virtual mailbox table"


def _campaign_with_bounces(store, issue: str, list_name: str, bounces: dict[str, str]) -> int:
    """A campaign of ``issue`` to ``list_name`` whose deliveries to ``bounces`` hard-bounced with the given replies."""
    with store.session() as session:
        campaign = Campaign(issue_slug=issue, list_id=lists.get_list(store, list_name).id, status="done")
        session.add(campaign)
        session.flush()
        for email, reply in bounces.items():
            sub = subscribers.find_subscriber(session, email)
            session.add(Delivery(campaign_id=campaign.id, subscriber_id=sub.id, state="failed", error_kind="permanent", last_reply=reply))
    for email, reply in bounces.items():
        subscribers.mark_bounced(store, subscribers.get_subscriber(store, email).id, reply=reply, hard=True)
    return campaign.id


def test_a_wrong_wave_of_bounces_is_lifted_by_campaign(store, cli):
    """Finding i8/a8 #1: a misread refusal of the sender bounced a whole list; one command takes it back."""
    lists.create_list(store, "news")
    everyone = [f"p{i}@example.org" for i in range(6)]
    for email in everyone + ["real@example.org", "other@example.org"]:
        subscribers.add_subscriber(store, email, lists=["news"])
    subscribers.mark_complained(store, subscribers.get_subscriber(store, "p5@example.org").id)  # the person's own act, first
    wave = {email: WAVE for email in everyone}
    _campaign_with_bounces(store, "2026-04-leadex-01", "news", {**wave, "real@example.org": "550 5.1.1 <real@example.org>: User unknown"})
    _campaign_with_bounces(store, "2026-05-leadex-02", "news", {"other@example.org": WAVE})

    dry = cli("subscribers", "reactivate", "--campaign", "2026-04-leadex-01", "--reply", "sender address  REJECTED", "--reason", "misread", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "p0@example.org: would be active again" in dry.output and "5 would be reactivated (dry run: nothing changed); 1 kept" in dry.output
    assert "p5@example.org: kept suppressed (complained" in dry.output
    assert subscribers.get_subscriber(store, "p0@example.org").status == "bounced"  # nothing changed

    result = cli("subscribers", "reactivate", "--campaign", "2026-04-leadex-01", "--reply", "Sender address rejected", "--reason", "relay refused the sender")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "5 reactivated; their bounce suppressions are lifted and the reason logged; 1 kept"
    for email in everyone[:5]:
        assert subscribers.get_subscriber(store, email).status == "active" and not subscribers.is_suppressed(store, email)
        kind, source, detail = events(store, subscribers.get_subscriber(store, email).id)[-1]
        assert (kind, source, detail) == ("reactivated", "cli", {"reason": "relay refused the sender", "was": "bounced", "campaign": "2026-04-leadex-01"})
    assert subscribers.is_suppressed(store, "p5@example.org")  # complained: never lifted
    assert subscribers.get_subscriber(store, "real@example.org").status == "bounced"  # another reply: not part of the wave
    assert subscribers.get_subscriber(store, "other@example.org").status == "bounced"  # another issue

    everything = cli("subscribers", "reactivate", "--campaign", "2026-04-leadex-01", "--reason", "all of it")
    assert everything.exit_code == 0 and "real@example.org: active again" in everything.output


def test_show_gives_the_reason_and_no_control_character_is_stored(store, cli):
    """Finding i8/a8 #11: `show` omitted the reason; an ESC in it was stored and came out raw in the export."""
    lists.create_list(store, "news")
    bounced(store, "ana@example.org")
    refused = cli("subscribers", "reactivate", "ana@example.org", "--reason", "relay \x1b[31mfixed")
    assert refused.exit_code == 1 and "control character (U+001B)" in refused.output
    assert subscribers.get_subscriber(store, "ana@example.org").status == "bounced"
    assert cli("subscribers", "reactivate", "ana@example.org", "--reason", "the relay refused the sender").exit_code == 0
    shown = cli("subscribers", "show", "ana@example.org").output
    assert "reactivated  cli        reason: the relay refused the sender" in shown, shown


def test_reactivate_by_campaign_says_what_is_wrong(store, cli):
    lists.create_list(store, "news")
    neither = cli("subscribers", "reactivate", "--reason", "x")
    assert neither.exit_code == 2 and "give either EMAIL or --campaign ISSUE" in neither.output
    both = cli("subscribers", "reactivate", "a@example.org", "--campaign", "2026-04-leadex-01", "--reason", "x")
    assert both.exit_code == 2
    missing = cli("subscribers", "reactivate", "--campaign", "2030-01-nothing", "--reason", "x")
    assert missing.exit_code == 1 and "no campaign of 2030-01-nothing" in missing.output


def test_the_migration_keeps_delivery_ids_never_reused(tmp_path, sqlite_only):
    """Migration 0006 rebuilds the delivery table on SQLite: AUTOINCREMENT and its high-water mark stay."""
    from alembic import command
    from sqlalchemy import text

    from leadex_mail.config import Settings
    from leadex_mail.store import db, schema

    store = db.Store(db.make_engine(f"sqlite:///{tmp_path / 'old.db'}"))
    with store.engine.connect() as conn, schema.foreign_keys_off(conn), conn.begin():
        command.upgrade(schema.alembic_config(conn), "0005")
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
