"""The store's commands through the CLI, checked through the store."""

from __future__ import annotations

from pathlib import Path

from datetime import timedelta

from leadex_mail.store import lists, subscribers


def test_add_list_show_unsubscribe(store, cli):
    assert cli("lists", "create", "news", "--title", "LeadEx novice").output.startswith("created list news: private")
    out = cli("subscribers", "add", "Ana@Example.org", "--name", "Ana Novak", "--lang", "en", "--list", "news").output
    assert out == "ana@example.org: active, language en on news\n"
    assert subscribers.get_subscriber(store, "ana@example.org").name == "Ana Novak"
    cli("subscribers", "add", "bor@example.org", "--list", "news")

    listed = cli("subscribers", "list", "--list", "news", "--lang", "en")
    assert listed.output == "ana@example.org\tactive\ten\tAna Novak\n1 subscriber\n"
    shown = cli("subscribers", "show", "ana@example.org").output
    assert "name:         Ana Novak" in shown and "lists:        news (active)" in shown and "subscribed   cli" in shown

    assert cli("subscribers", "unsubscribe", "ana@example.org").output == "ana@example.org: unsubscribed\n"
    assert cli("subscribers", "unsubscribe", "ana@example.org").output == "ana@example.org: was already unsubscribed\n"
    assert subscribers.get_subscriber(store, "ana@example.org").status == "unsubscribed"
    assert "unsubscribed cli" in cli("subscribers", "show", "ana@example.org").output
    assert cli("subscribers", "list", "--status", "unsubscribed").output.startswith("ana@example.org\tunsubscribed")


def test_errors_are_messages_not_tracebacks(store, cli):
    bad = cli("subscribers", "add", "not-an-address")
    assert bad.exit_code == 1 and bad.output.startswith("error: 'not-an-address' is not a valid address")
    missing = cli("subscribers", "add", "ana@example.org", "--list", "nope")
    assert missing.exit_code == 1 and "hint: create it with `leadex-mail lists create nope`" in missing.output
    injected = cli("subscribers", "add", "ana@example.org", "--name", "Ana\r\nBcc: x@example.org")
    assert injected.exit_code == 1 and "line break or control character" in injected.output
    assert subscribers.stats(store).total == 0
    unknown = cli("subscribers", "show", "nobody@example.org")
    assert unknown.exit_code == 1 and unknown.output == "error: no subscriber nobody@example.org\nhint: `leadex-mail subscribers list` shows who is in the store\n"


def test_stats(store, cli):
    lists.create_list(store, "news")
    subscribers.add_subscriber(store, "a@example.org", lists=["news"])
    b = subscribers.add_subscriber(store, "b@example.org", language="en", lists=["news"])
    subscribers.unsubscribe(store, b.id, source="web")
    out = cli("subscribers", "stats").output
    assert "subscribers: 2\n  pending: 0\n  active: 1\n  unsubscribed: 1\n" in out
    assert "languages: en 1, sl 1" in out and "list news: 1 reachable, 1 unsubscribed" in out


def test_purge_pending(store, cli):
    lists.create_list(store, "news")
    subscribers.request_subscription(
        store, "p@example.org", name=None, language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    assert cli("subscribers", "purge-pending").output == "purged 0 unconfirmed sign-ups\n"  # default: 30 days
    assert cli("subscribers", "purge-pending", "--older-than", "0").output == "purged 1 unconfirmed sign-up\n"
    assert subscribers.stats(store).total == 0
    assert subscribers.purge_pending(store, timedelta(0)) == 0


def test_lists_commands(store, cli):
    cli("lists", "create", "news", "--title", "LeadEx novice", "--description", "Monthly")
    subscribers.add_subscriber(store, "a@example.org", lists=["news"])
    assert cli("lists", "list").output == "news\tprivate\t1 reachable\t0 unsubscribed\tLeadEx novice\n"
    shown = cli("lists", "show", "news").output
    assert "title:        LeadEx novice" in shown and "reachable:    1 (a send mails them)" in shown and "unreachable:  0\n" in shown
    dup = cli("lists", "create", "news")
    assert dup.exit_code == 1 and "already exists" in dup.output
    assert cli("lists", "delete", "news", "--yes").output == "deleted list news\n"
    assert lists.list_lists(store) == []
    assert subscribers.get_subscriber(store, "a@example.org").status == "active"  # the person stays


def test_db_status_and_upgrade(tmp_path, cli, settings):
    if settings.database_url.startswith("sqlite"):  # no file yet: `db status` only looks, and makes none (finding i8/a8 #5)
        missing = cli("db", "status")
        assert missing.exit_code == 1 and "there is no subscriber store" in missing.output
        assert not Path(settings.database_url.removeprefix("sqlite:///")).exists()
        Path(settings.database_url.removeprefix("sqlite:///")).touch()  # an empty file: a new SQLite database, not migrated
    status = cli("db", "status").output
    assert "current revision: none (empty database)" in status and "pending: 0001: Initial schema" in status
    assert cli("db", "upgrade").output.startswith("applied 0001")
    assert "up to date" in cli("db", "status").output
    assert cli("db", "upgrade").output == "already up to date\n"
