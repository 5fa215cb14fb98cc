"""Changes made from the command line are in the audit log, as the studio's are (account changes: lead's 2026-12-01 list).

`leadex-mail users add/password/role/remove` left no entry, nor did the
subscriber and list commands: the audit log promised "who changed or erased
subscribers" only for the studio. Each change is now written by
``cli:<os user>`` (the shape of the studio's ``local:<os user>``), an
account change in the same transaction as the change (a refused change
leaves no entry), never a password, its hash or a subscriber's address.
Run through the real CLI against the test's store (SQLite, and PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from leadex_mail.store import subscribers
from leadex_mail.store.accounts import audit_log

OPS = {"LOGNAME": "ops", "USER": "ops"}  # getpass.getuser() reads these first: the actor is cli:ops
PASSWORDS = ("first long passphrase", "second long passphrase")


def _entries(store) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(actor, action, target, subscriber_id, detail) of every entry, oldest first."""
    return [(e.actor, e.action, e.target, e.subscriber_id, e.detail) for e in reversed(audit_log(store))]


def _raw(store) -> str:  # type: ignore[no-untyped-def]
    """Every column of every audit row as text: what a reader of the table sees."""
    with store.engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for row in conn.execute(text("SELECT * FROM audit_event")))


def test_account_changes_are_audited_by_who_ran_the_command_and_never_hold_the_password(store, cli) -> None:
    assert cli("users", "add", "maja", "--role", "editor", input=PASSWORDS[0] + "\n", env=OPS).exit_code == 0
    assert cli("users", "password", "maja", input=PASSWORDS[1] + "\n", env=OPS).exit_code == 0
    assert cli("users", "role", "maja", "sender", env=OPS).output == "maja is now sender\n"
    assert cli("users", "role", "maja", "sender", env=OPS).output.startswith("maja was already sender")  # nothing changed: no entry
    assert cli("users", "remove", "maja", env=OPS).exit_code == 0

    assert _entries(store) == [
        ("cli:ops", "user_add", "maja", None, {"role": "editor"}),
        ("cli:ops", "user_password", "maja", None, {}),
        ("cli:ops", "user_role", "maja", None, {"from_role": "editor", "to_role": "sender"}),
        ("cli:ops", "user_remove", "maja", None, {"role": "sender"}),
    ]
    shown = cli("users", "audit").output.splitlines()
    assert [line.split("\t")[1:] for line in shown] == [
        ["cli:ops", "user_remove", "maja", '{"role": "sender"}'],
        ["cli:ops", "user_role", "maja", '{"from_role": "editor", "to_role": "sender"}'],
        ["cli:ops", "user_password", "maja"],
        ["cli:ops", "user_add", "maja", '{"role": "editor"}'],
    ]
    raw = _raw(store)
    assert not any(p in raw for p in PASSWORDS) and "argon2" not in raw


def test_a_refused_account_change_leaves_no_entry(store, cli) -> None:
    """The entry is written in the change's transaction: a change the store refuses is not logged."""
    assert cli("users", "add", "maja", "--role", "editor", input=PASSWORDS[0] + "\n", env=OPS).exit_code == 0
    assert cli("users", "add", "maja", "--role", "sender", input=PASSWORDS[1] + "\n", env=OPS).exit_code == 1  # the name is taken (at commit)
    assert cli("users", "add", "bor", "--role", "sender", input="short\n", env=OPS).exit_code == 1
    assert cli("users", "password", "nobody", input=PASSWORDS[1] + "\n", env=OPS).exit_code == 1
    assert cli("users", "role", "nobody", "sender", env=OPS).exit_code == 1
    assert cli("users", "remove", "nobody", env=OPS).exit_code == 1
    assert _entries(store) == [("cli:ops", "user_add", "maja", None, {"role": "editor"})]


def test_subscriber_and_list_changes_are_audited_as_the_studio_audits_them_without_an_address(store, cli, tmp_path: Path) -> None:
    ran = [
        ("lists", "create", "news"),
        ("subscribers", "add", "ana@example.org", "--list", "news"),
        ("subscribers", "unsubscribe", "ana@example.org", "--list", "news"),
        ("subscribers", "import", str(_csv(tmp_path)), "--list", "news"),
        ("subscribers", "export", "--format", "csv"),
    ]
    for args in ran:
        assert cli(*args, env=OPS).exit_code == 0, args
    ana, bor = (subscribers.get_subscriber(store, a).id for a in ("ana@example.org", "bor@example.org"))
    subscribers.mark_bounced(store, bor, reply="550 5.1.1 no such user", hard=True)
    for args in [
        ("subscribers", "reactivate", "bor@example.org", "--reason", "the relay refused the sender, not the mailbox"),
        ("subscribers", "forget", "bor@example.org", "--yes"),
        ("subscribers", "forget", "never@example.org", "--yes"),
        ("subscribers", "purge-pending"),
        ("lists", "update", "news", "--public", "--title", "LeadEx novice"),
        ("lists", "delete", "news", "--yes"),
    ]:
        assert cli(*args, env=OPS).exit_code == 0, args

    assert _entries(store) == [
        ("cli:ops", "list_create", "news", None, {"public": False}),
        ("cli:ops", "subscriber_add", f"subscriber {ana}", ana, {"lists": ["news"], "language": "sl"}),
        ("cli:ops", "subscriber_unsubscribe", f"subscriber {ana}", ana, {"changed": True, "list": "news"}),
        ("cli:ops", "subscriber_import", "people.csv", None, {"imported": 1, "updated": 0, "rejected": 0, "list": "news"}),
        ("cli:ops", "subscriber_export", "everyone", None, {"format": "csv"}),
        ("cli:ops", "subscriber_reactivate", f"subscriber {bor}", None, {}),  # bor's entries let go of the row with the person (as in the studio)
        ("cli:ops", "subscriber_erase", f"subscriber {bor}", None, {}),
        ("cli:ops", "subscriber_erase", "an address with no subscriber", None, {}),
        ("cli:ops", "subscriber_purge", "unconfirmed sign-ups", None, {"purged": 0, "older_than_days": 30}),
        ("cli:ops", "list_update", "news", None, {"public": True, "title": "LeadEx novice"}),
        ("cli:ops", "list_delete", "news", None, {}),
    ]
    assert "example.org" not in _raw(store) and "relay refused" not in _raw(store)


def test_a_dry_run_changes_nothing_and_logs_nothing(store, cli, tmp_path: Path) -> None:
    assert cli("lists", "create", "news", env=OPS).exit_code == 0
    assert "would import: 1" in cli("subscribers", "import", str(_csv(tmp_path)), "--list", "news", "--dry-run", env=OPS).output
    assert [e.action for e in audit_log(store)] == ["list_create"]


def _csv(folder: Path) -> Path:
    path = folder / "people.csv"
    path.write_text("email,name\nbor@example.org,Bor Kos\n", encoding="utf-8")
    return path


def test_the_audit_command_says_what_it_holds() -> None:
    """`users audit --help` no longer says the log is the studio's alone."""
    from click.testing import CliRunner

    from leadex_mail.cli import main

    helped = CliRunner().invoke(main, ["users", "audit", "--help"]).output
    assert "cli:USER" in helped and "the studio's audit log" not in helped.lower()
