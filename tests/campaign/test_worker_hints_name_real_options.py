"""Every hint the worker and the scheduling commands print names options the command it names (or the one printing it) has.

The finding: the worker's message for a held send ended "to send anyway,
add --force", but ``worker`` has no ``--force`` (that hint is ``send``'s).
Each output below is read for options: one inside a quoted command
(`` `leadex-mail send … --force` ``) must be an option of that command, one
outside any quoted command an option of the command that printed it.
Through the real CLI on the test's store (SQLite and PostgreSQL).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from campaign_helpers import ISSUE

from leadex_mail.campaign.scheduler import schedule_campaign
from leadex_mail.cli import main
from leadex_mail.content.loader import load_issue

DRAFT_SUBJECT = "✎ NI ŠE PRIPRAVLJENO"


def options_of(words: list[str]) -> tuple[str, set[str]]:
    """(the command's name, its long options) of ``leadex-mail <words…>``, following subcommand groups."""
    command: click.Command = main
    ctx = click.Context(main)
    name = []
    for word in words:
        if not isinstance(command, click.Group) or word.startswith("-"):
            break
        found = command.get_command(ctx, word)
        if found is None:
            break
        command, name = found, [*name, word]
    return " ".join(name), {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")} | {"--help"}


def wrong_options(output: str, printed_by: str) -> list[str]:
    """Each option in ``output`` that the command it goes with does not have, with that command."""
    wrong = []
    for quoted in re.findall(r"`leadex-mail ([^`]*)`", output):
        name, options = options_of(quoted.split())
        wrong += [f"{opt} (for `{name}`)" for opt in re.findall(r"(?<![\w-])--[a-z][a-z-]*", quoted) if opt not in options]
    _, own = options_of(printed_by.split())
    bare = re.sub(r"`[^`]*`", "", output)
    wrong += [f"{opt} (for `{printed_by}`)" for opt in re.findall(r"(?<![\w-])--[a-z][a-z-]*", bare) if opt not in own]
    return wrong


def set_subject(newsletters: Path, language: str, subject: str) -> None:
    path = newsletters / ISSUE / f"{language}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(f"subject: {subject}\n" if line.startswith("subject:") else line for line in lines), encoding="utf-8")


def test_the_worker_says_what_its_operator_can_do_for_a_held_send(cli, store, people, settings, newsletters) -> None:
    people(2)
    now = datetime.now(UTC)
    schedule_campaign(store, load_issue(ISSUE, settings), "newsletter", now - timedelta(minutes=1), now=now - timedelta(days=1))
    set_subject(newsletters, "en", DRAFT_SUBJECT)
    held = cli("worker", "--once", LEADEX_NEWSLETTERS_DIR=str(newsletters))
    assert held.exit_code == 0, held.output
    assert "The send is held (nothing was sent)" in held.output
    assert wrong_options(held.output, "worker") == []  # before: --force (for `worker`)
    assert f"`leadex-mail send {ISSUE} --list newsletter --force`" in held.output
    again = cli("worker", "--once", LEADEX_NEWSLETTERS_DIR=str(newsletters))
    assert wrong_options(again.output, "worker") == []
    status = cli("status", LEADEX_NEWSLETTERS_DIR=str(newsletters))
    assert "held since" in status.output and wrong_options(status.output, "status") == []


def test_the_scheduling_commands_hints_name_their_own_options(cli, store, people) -> None:
    people(1)
    soon = f"{datetime.now(UTC) + timedelta(days=30):%Y-%m-%d} 09:00"
    outputs = [
        ("send", cli("send", ISSUE, "--list", "newsletter", "--at", "9999-12-31 23:59")),  # more than a year ahead
        ("send", cli("send", ISSUE, "--list", "newsletter", "--at", "2020-01-01 09:00")),  # passed
        ("send", cli("send", ISSUE, "--list", "newsletter", "--at", "2027-02-30 09:00")),  # no such day
        ("unschedule", cli("unschedule", ISSUE, "--list", "newsletter")),  # nothing scheduled
        ("send", cli("send", ISSUE, "--list", "newsletter", "--at", soon)),
        ("status", cli("status")),
        ("send", cli("send", ISSUE, "--list", "newsletter", "--yes", "--limit", "1")),  # replaces the schedule
        ("send", cli("send", ISSUE, "--list", "newsletter", "--at", soon)),  # started: cannot be scheduled
        ("worker", cli("worker", "--once")),
    ]
    for printed_by, result in outputs:
        assert wrong_options(result.output, printed_by) == [], (printed_by, result.output)
