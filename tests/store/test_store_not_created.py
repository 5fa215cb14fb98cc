"""Commands that read a store, or act on what is in it, never create one (finding i8/a8 #5, a11 #3).

Reported: ``cd /tmp/x && leadex-mail status`` said "No campaigns yet" and
left a new empty ``subscribers.db``; ``send`` to a list of the store it did
not find hinted to create the list there; ``leadex-mail worker`` without a
database URL made an empty store and waited on it for ever (a11 #3).

The class is every command: each is classified below as one that creates
a store on purpose (it puts something in: lists, people, accounts, the
demo, the sign-up pages), one that needs an existing store, or one that
never opens a store; a new command fails ``test_every_command_is_classified``
until someone decides which it is. On PostgreSQL "no store" is a database
without leadex-mail's tables: a reader says so and leaves it untouched.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from leadex_mail.cli import main

REPO = Path(__file__).resolve().parents[2]
NO_ENV = {"LEADEX_DATABASE_URL": None, "LEADEX_CONFIG": None, "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters")}

READERS = [
    ["status"], ["subscribers", "list"], ["subscribers", "show", "a@example.org"], ["subscribers", "stats"],
    ["subscribers", "export"], ["subscribers", "forget", "a@example.org", "--yes"], ["subscribers", "purge-pending"],
    ["subscribers", "reactivate", "a@example.org", "--reason", "x"], ["subscribers", "unsubscribe", "a@example.org"],
    ["lists", "list"], ["lists", "show", "news"], ["lists", "update", "news", "--public"], ["lists", "delete", "news", "--yes"],
    ["db", "status"], ["retry", "2026-04-leadex-01"], ["confirmations"], ["archive", "build", "site"],
    ["bounces", "report"], ["bounces", "status"], ["bounces", "show", "1"], ["bounces", "dismiss", "1"],
    ["bounces", "import", "dsn.eml"], ["bounces", "fetch"], ["maintenance"],
    ["users", "list"], ["users", "audit"], ["users", "remove", "x"], ["users", "password", "x"], ["users", "role", "x", "editor"],
    ["send", "2026-04-leadex-01", "--list", "news", "--yes"],
    ["send", "2026-04-leadex-01", "--list", "news", "--yes", "--no-deep", "--at", "2099-05-04 09:00"],
    ["unschedule", "2026-04-leadex-01", "--list", "news"], ["worker", "--once"],
]  # fmt: skip
# Put something in on purpose, so a new store is where it starts.
CREATORS = {"demo", "lists create", "subscribers add", "subscribers import", "db upgrade", "serve", "studio", "users add", "send-test"}
# Never open the store.
NO_STORE = {"check", "config show", "new", "preview", "render", "schema"}


def _leaves(group: click.Group, ctx: click.Context, prefix: list[str]) -> list[str]:
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            out.extend(_leaves(cmd, click.Context(cmd, info_name=name, parent=ctx), [*prefix, name]))
        else:
            out.append(" ".join([*prefix, name]))
    return out


def _name(args: list[str]) -> str:
    return " ".join(args[:2]) if len(args) > 1 and not args[1].startswith(("-", "2026", "a@", "news")) else args[0]


def test_every_command_is_classified() -> None:
    commands = set(_leaves(main, click.Context(main, info_name="leadex-mail"), []))
    readers = {_name(a) for a in READERS}
    assert commands == readers | CREATORS | NO_STORE, (
        f"not classified: {sorted(commands - readers - CREATORS - NO_STORE)}; gone: {sorted((readers | CREATORS | NO_STORE) - commands)}"
    )


@pytest.mark.parametrize("args", READERS, ids=[" ".join(a[:2]) + (" --at" if "--at" in a else "") for a in READERS])
def test_a_command_in_the_wrong_folder_says_there_is_no_store(tmp_path, monkeypatch, args) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dsn.eml").write_bytes(b"")
    result = CliRunner().invoke(main, args, env=NO_ENV, input="pw\npw\n")
    assert result.exit_code == 1, result.output
    assert "there is no subscriber store subscribers.db" in result.output and "hint:" in result.output, result.output
    assert not (tmp_path / "subscribers.db").exists()


@pytest.mark.parametrize("args", [["status"], ["worker", "--once"], ["maintenance"]], ids=lambda a: a[0])
@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite's "no store" is the missing file (above)
def test_a_postgresql_database_without_the_tables_is_no_store_and_stays_empty(pg_cluster, backend, args) -> None:
    url = pg_cluster.new_database(migrated=False)
    result = CliRunner().invoke(main, args, env={**NO_ENV, "LEADEX_DATABASE_URL": url})
    assert result.exit_code == 1, result.output
    assert "there is no subscriber store in postgresql+psycopg://" in result.output and "leadex-mail db upgrade" in result.output, result.output
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_the_commands_that_fill_a_store_start_one(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    created = CliRunner().invoke(main, ["lists", "create", "news"], env=NO_ENV)
    assert created.exit_code == 0, created.output
    assert (tmp_path / "subscribers.db").exists()
    shown = CliRunner().invoke(main, ["lists", "list"], env=NO_ENV)
    assert shown.exit_code == 0 and "news" in shown.output


def test_the_worker_names_its_store_and_what_is_due_as_it_starts(tmp_path, monkeypatch) -> None:
    """A long-running worker says which store it watches (a11 #3): the wrong folder is seen in the first line of the log."""
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["lists", "create", "news"], env=NO_ENV).exit_code == 0
    result = CliRunner().invoke(main, ["worker", "--once"], env=NO_ENV)
    assert result.exit_code == 0, result.output
    assert f"started on the store sqlite:///{tmp_path.resolve() / 'subscribers.db'}: 0 campaigns due, 0 unfinished, 0 scheduled for later" in result.output
