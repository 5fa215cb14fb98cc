"""Public and private lists: created private unless said, changed with `lists update`, kept public by the upgrade.

Through the CLI against a real store (SQLite file and PostgreSQL database),
checked through the store's functions.
"""

from __future__ import annotations

from sqlalchemy import text

from leadex_mail.config import Settings
from leadex_mail.store import db, lists, schema, subscribers
from leadex_mail.store.models import Campaign, Delivery

ISSUE = "2026-04-leadex-01"


def test_lists_are_private_unless_created_public(store, cli):
    staff = cli("lists", "create", "staff", "--title", "Internal")
    assert staff.exit_code == 0
    assert staff.output.startswith("created list staff: private (not on the sign-up form; its issues not in the public archive)\n")
    assert "leadex-mail lists update staff --public" in staff.output
    news = cli("lists", "create", "news", "--public", "--title", "LeadEx novice")
    assert news.output == "created list news: public (on the sign-up form; its issues in the public archive)\n"
    assert (lists.get_list(store, "staff").public, lists.get_list(store, "news").public) == (False, True)
    assert [item.name for item in lists.list_lists(store, public=True)] == ["news"]
    assert [item.name for item in lists.list_lists(store, public=False)] == ["staff"]
    assert cli("lists", "list").output == "news\tpublic\t0 reachable\t0 unsubscribed\tLeadEx novice\nstaff\tprivate\t0 reachable\t0 unsubscribed\tInternal\n"
    assert "visibility:   private" in cli("lists", "show", "staff").output


def _sent(store, list_name: str, slug: str = ISSUE) -> None:
    """A campaign of ``slug`` to ``list_name`` with one sent delivery, as the engine records it."""
    subscriber = subscribers.add_subscriber(store, f"reader.{list_name}@example.org", lists=(list_name,))
    list_id = lists.get_list(store, list_name).id
    with store.session() as session:
        campaign = Campaign(issue_slug=slug, list_id=list_id, subject="LeadEx novice št. 1", status="done")
        session.add(campaign)
        session.flush()
        session.add(Delivery(campaign_id=campaign.id, subscriber_id=subscriber.id, state="sent", attempts=1))


def test_update_changes_visibility_and_says_what_the_archive_shows(store, cli):
    lists.create_list(store, "partners")
    _sent(store, "partners")
    assert lists.public_issues(store) == []  # a campaign to a private list is never public

    made_public = cli("lists", "update", "partners", "--public")
    assert made_public.exit_code == 0
    assert made_public.output == (
        "list partners: public (on the sign-up form; its issues in the public archive)\n"
        f"now in the public archive: {ISSUE}\n"
    )
    assert lists.public_issues(store) == [ISSUE]

    lists.create_list(store, "news", public=True)
    _sent(store, "news")
    hidden_again = cli("lists", "update", "partners", "--private", "--title", "Partners")
    # Still public through the list `news`: nothing leaves the archive.
    assert hidden_again.output == "list partners: private (not on the sign-up form; its issues not in the public archive)\n"
    assert lists.get_list(store, "partners").title == "Partners"
    assert lists.public_issues(store) == [ISSUE]
    assert cli("lists", "update", "news", "--private").output.endswith(f"no longer in the public archive: {ISSUE}\n")
    assert lists.public_issues(store) == []


def test_update_says_what_to_change_and_which_lists_exist(store, cli):
    lists.create_list(store, "news")
    nothing = cli("lists", "update", "news")
    assert nothing.exit_code == 2 and "say what to change: --public or --private" in nothing.output
    missing = cli("lists", "update", "nope", "--public")
    assert missing.exit_code == 1 and "error: there is no list 'nope'" in missing.output and "Traceback" not in missing.output


def test_upgrade_keeps_existing_lists_public_and_new_ones_start_private(tmp_path, sqlite_only):
    from alembic import command

    path = tmp_path / "old.db"
    old = db.Store(db.make_engine(f"sqlite:///{path}"))
    with old.engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), "0003")  # the schema before lists had a visibility
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO mailing_list (id, name, title, description, created_at) VALUES (1, 'news', 'News', '', '2026-04-01 10:00:00')"))
    old.close()

    store = db.open_store(Settings(database_url=f"sqlite:///{path}"))  # upgrades on first use
    # The list was on the sign-up form and in the archive before: an upgrade must not take it away.
    assert lists.get_list(store, "news").public is True
    assert lists.create_list(store, "staff").public is False
    with store.engine.connect() as conn:  # and a row written without the column is private too
        conn.execute(text("INSERT INTO mailing_list (name, title, description, created_at) VALUES ('raw', '', '', '2026-04-01 10:00:00')"))
        conn.commit()
    assert lists.get_list(store, "raw").public is False
    store.close()
