"""Retention's erasures are in the audit log; every account's creator is named; one way of naming who ran a process.

`leadex-mail maintenance` deletes old unconfirmed sign-ups and erases people
who left, from cron, and left no audit entry (issue 13 point 8: "who changed
or erased subscribers"). ``add_user`` logged "?" when a caller named nobody:
the actor is now required. ``local:``, ``cli:`` and ``worker:`` actors come
from one function (``store.accounts.os_actor``).
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from test_store_maintenance import person

from leadex_mail.store import lists
from leadex_mail.store.accounts import add_user, audit_log

OPS = {"LOGNAME": "ops", "USER": "ops"}


def test_retention_run_by_cron_logs_the_sign_ups_it_deleted_and_the_people_it_erased(store, cli) -> None:
    now = datetime.now(UTC)  # the CLI runs now: ages relative to the real clock
    lists.create_list(store, "news")
    person(store, "pending.cli@example.org", "pending", now - timedelta(days=45))
    person(store, "left.cli@example.org", "unsubscribed", now - timedelta(days=400))
    person(store, "bounced.cli@example.org", "bounced", now - timedelta(days=500))
    assert cli("maintenance", "--dry-run", env=OPS).exit_code == 0
    assert audit_log(store) == []  # a dry run changes nothing and logs nothing
    ran = cli("maintenance", "--quiet", env=OPS)
    assert ran.exit_code == 0, ran.output
    entries = [(e.actor, e.action, e.target, e.subscriber_id, e.detail) for e in reversed(audit_log(store))]
    assert entries == [
        ("cli:ops", "subscriber_purge", "unconfirmed sign-ups", None, {"purged": 1, "older_than_days": 30}),
        ("cli:ops", "subscriber_erase", "people who left", None, {"erased": 2, "by_status": {"bounced": 1, "unsubscribed": 1}, "older_than_days": 365}),
    ]
    assert cli("maintenance", "--quiet", env=OPS).exit_code == 0  # nothing left to erase: nothing logged
    assert len(audit_log(store)) == 2


def test_add_user_needs_its_actor(store) -> None:
    assert inspect.signature(add_user).parameters["actor"].default is inspect.Parameter.empty
    with pytest.raises(TypeError):
        add_user(store, "maja", "editor", "a long passphrase")  # type: ignore[call-arg]
    add_user(store, "maja", "editor", "a long passphrase", actor="cli:ops")
    assert [(e.actor, e.action) for e in audit_log(store)] == [("cli:ops", "user_add")]


def test_every_face_names_who_runs_it_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadex_mail.cli._common import cli_actor
    from leadex_mail.store.accounts import CLI, LOCAL, WORKER, os_actor
    from leadex_mail.studio.auth import local_actor

    monkeypatch.setenv("LOGNAME", "ops")
    assert (os_actor(LOCAL), os_actor(CLI), os_actor(WORKER)) == ("local:ops", "cli:ops", "worker:ops")
    assert (local_actor(), cli_actor()) == ("local:ops", "cli:ops")

    def nameless() -> str:
        raise KeyError("getpwuid(): uid not found: 4242")  # a container's uid with no name

    monkeypatch.setattr("getpass.getuser", nameless)
    assert (local_actor(), cli_actor(), os_actor(WORKER)) == ("local", "cli", "worker")
