"""CLI of scheduled campaigns: ``send --at`` (its half here), ``unschedule`` and ``worker``.

Thin: parse, call ``campaign.scheduler``, print.
"""

from __future__ import annotations

import copy
import os
import socket
import sys
import threading
from typing import TYPE_CHECKING

import click

from leadex_mail.cli._common import cli_actor, echo_error, get_settings
from leadex_mail.counts import counted
from leadex_mail.errors import LeadexError

if TYPE_CHECKING:
    from leadex_mail.campaign.scheduler import WorkerEvent
    from leadex_mail.config import Settings
    from leadex_mail.store.schedule import Held, Scheduled


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (unschedule_command, worker_command):
        main.add_command(command)


def when(value: object, settings: Settings) -> str:
    """``2026-05-04 09:00 CEST (07:00 UTC)``: a stored UTC time in the zone times are typed in, and in UTC."""
    from datetime import datetime, timedelta

    from leadex_mail.campaign.scheduler import as_utc, zone

    assert isinstance(value, datetime)
    local = value.astimezone(zone(settings))
    utc = f"{as_utc(value):%Y-%m-%d %H:%M} UTC"
    shown = f"{local:%Y-%m-%d %H:%M %Z}"
    return utc if local.utcoffset() == timedelta(0) and shown.endswith(" UTC") else f"{shown} ({utc})"  # once, when it is the same


def schedule_send(issue: str, list_name: str, at: str, language: str | None, force: bool, deep: bool | None) -> None:
    """``send ISSUE --list L --at TIME``: check the issue now, store the time; a worker sends it."""
    from leadex_mail.campaign.scheduler import schedule_campaign
    from leadex_mail.campaign.sendtime import read_send_time
    from leadex_mail.cli.delivery import _print_readiness
    from leadex_mail.content.loader import load_issue
    from leadex_mail.preflight import check_sending
    from leadex_mail.gates.readiness import ready_to_send
    from leadex_mail.store.db import open_store
    from leadex_mail.store.models import utcnow

    settings = get_settings()
    check_sending(settings)  # the worker would refuse these settings later: say it now
    typed = read_send_time(at, settings, now=utcnow())
    send_at = typed.at
    loaded = load_issue(issue, settings)
    _print_readiness(ready_to_send(loaded, settings, force=force, deep=deep))
    with open_store(settings, create=False) as store:  # logged as send_schedule in the same transaction
        done = schedule_campaign(store, loaded, list_name, send_at, language=language, actor=cli_actor(), forced=force, deep=deep)
    verb = "Moved" if done.replaced else "Scheduled"
    edition = f" ({language} edition only)" if language else ""
    click.echo(f"{verb}: {loaded.slug} to {list_name}{edition} at {when(done.send_at, settings)}.")
    if typed.note:
        click.echo(f"Note: {typed.note}.")
    click.echo("A running `leadex-mail worker` sends it then (`leadex-mail status` shows it; cancel with "
               f"`leadex-mail unschedule {loaded.slug} --list {list_name}`).")
    if force:
        click.echo("Forced (--force): the worker sends the issue as it is then, even if the check finds errors.")
    else:
        click.echo("The worker checks the issue again at that time, as `send` does: if the check finds errors then, the send is held"
                   " (not sent) until they are corrected, and goes out at the worker's first round after that.")


def held_words(held: Held, slug: str) -> str:
    """Why a scheduled send is held, for the terminal: ``the check finds 1 error (draft.marked)``."""
    codes = f" ({', '.join(held.codes)})" if held.codes else ""
    if held.reason == "unreadable":
        return f"the issue's files cannot be read: {counted(held.errors, 'error')}{codes}; see `leadex-mail check {slug}`"
    return f"the check finds {counted(held.errors, 'error')}{codes}; see `leadex-mail check {slug}`"


def print_scheduled(waiting: list[Scheduled], settings: Settings) -> None:
    """The scheduled campaigns, for ``status``: each with its time, whether forced, and why it is held when it is."""
    for s in waiting:
        edition = f" [{s.language}]" if s.language else ""
        forced = " (forced: sent even if the check finds errors)" if s.forced else ""
        click.echo(f"{s.issue_slug} -> {s.list_name}{edition}: scheduled for {when(s.send_at, settings)}{forced}")
        if s.held is not None:
            click.echo(f"  held since {when(s.held.at, settings)}: {held_words(s.held, s.issue_slug)}.")
            click.echo("  It goes out at the worker's first round after that is corrected;"
                       f" to send it as it is: `leadex-mail send {s.issue_slug} --list {s.list_name} --force`; to cancel it: `leadex-mail unschedule {s.issue_slug} --list {s.list_name}`.")


@click.command("unschedule")
@click.argument("issue")
@click.option("--list", "list_name", required=True, metavar="NAME", help="The list it was scheduled for.")
def unschedule_command(issue: str, list_name: str) -> None:
    """Cancel the scheduled campaign of ISSUE to a list (before it started)."""
    from leadex_mail.campaign.audit import send_target
    from leadex_mail.store.accounts import Entry
    from leadex_mail.store.db import open_store
    from leadex_mail.store.schedule import unschedule

    settings = get_settings()
    with open_store(settings, create=False) as store:  # logged as send_unschedule in the same transaction
        gone = unschedule(store, issue, list_name, audit=Entry(cli_actor(), "send_unschedule", send_target(issue, list_name)))
    click.echo(f"Cancelled: {gone.issue_slug} to {gone.list_name}, which was scheduled for {when(gone.send_at, settings)}.")


@click.command("worker")
@click.option("--poll", "poll_seconds", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds between looks for due campaigns.")
@click.option("--once", is_flag=True, help="One round (start what is due, resume what is unfinished), then exit: for cron.")
@click.option("--campaigns", "max_campaigns", type=click.IntRange(min=1), default=4, show_default=True,
              help="Campaigns this worker sends at once, side by side; more wait for a free place.")
def worker_command(poll_seconds: float, once: bool, max_campaigns: int) -> None:
    """Send scheduled campaigns when due; run it on any number of machines.

    Each round it starts the scheduled campaigns that are due and resumes
    scheduled campaigns left unfinished (a worker that crashed or was
    stopped). Before it starts one, it checks the issue as `send` does
    (with the --force and --deep/--no-deep it was scheduled with): an issue
    the check refuses is not sent but held (`status` says why; one entry in
    the audit log), and goes out at the first round that finds it
    corrected. Campaigns due together are sent side by side (--campaigns),
    so one held back by its rate or a slow relay does not delay another.
    Campaigns started by hand with `send` are left to `send --resume`,
    paused ones to the operator. Several workers share one campaign's
    messages and one rate (send_rate).

    It names its store as it starts and refuses one that does not exist
    (exit 1). Once running, it rides out the database going away (a
    PostgreSQL restart): it says so, tries again after 1, 2, 4 … 60 s and
    carries on; messages in flight then are resent marked uncertain.

    SIGTERM or Ctrl-C stops it cleanly: the messages being sent are finished
    and recorded, the rest stay queued for the next worker; exit code 0.
    See docs/worker.md for a systemd unit.
    """
    from leadex_mail.campaign.scheduler import outlook, run_worker
    from leadex_mail.cli.delivery import stop_on_signals
    from leadex_mail.content.loader import load_issue
    from leadex_mail.store.accounts import WORKER, os_actor
    from leadex_mail.store.db import open_store
    from leadex_mail.store.models import utcnow

    settings = get_settings()
    stop = threading.Event()
    with open_store(settings, create=False) as store, stop_on_signals(stop):
        seen = outlook(store, utcnow())
        held = f" ({seen.held} held: the check refused {'it' if seen.held == 1 else 'them'}; `leadex-mail status` says why)" if seen.held else ""
        click.echo(f"Worker {socket.gethostname()}:{os.getpid()} started on the store {store.display_url}: {counted(seen.due, 'campaign')} due{held},"
                   f" {seen.unfinished} unfinished, {seen.later} scheduled for later; looking every {poll_seconds:g} s. Stop with SIGTERM or Ctrl-C.")
        sys.stdout.flush()
        run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=stop, poll_seconds=poll_seconds, once=once, max_campaigns=max_campaigns,
                   on_event=lambda e: _print_event(e), actor=os_actor(WORKER))
    click.echo("Worker stopped." if stop.is_set() else "Worker done.")


def _worker_hint(err: LeadexError, slug: str, list_name: str) -> LeadexError:
    """``err`` of a held send with a hint naming what its operator can do: ``worker`` has no ``--force`` (``send`` has, and its hint says it)."""
    said = copy.copy(err)
    said.hint = (f"correct the errors above (`leadex-mail check {slug}` lists them again): the worker sends it at its first round after;"
                 f" to send it as it is now: `leadex-mail send {slug} --list {list_name} --force`")
    return said


def _print_event(e: WorkerEvent) -> None:
    target = f"{e.issue_slug} to {e.list_name}"
    if e.kind == "store-lost" and e.error is not None:
        click.echo(f"The store cannot be reached (try {e.attempt}); trying again in {e.retry_in:g} s: {e.error.message}", err=True)
    elif e.kind == "store-back":
        click.echo(f"The store answers again (after {e.attempt} failed {'try' if e.attempt == 1 else 'tries'}); carrying on.")
    elif e.kind in ("starting", "resuming"):
        click.echo(f"{e.kind.capitalize()} {target}.")
    elif e.kind == "held" and e.held is not None:
        click.echo(f"Not sending {target}: it is due, but {held_words(e.held, e.issue_slug)}. The send is held (nothing was sent);"
                   " it goes out at the first round after that is corrected, or cancel it with"
                   f" `leadex-mail unschedule {e.issue_slug} --list {e.list_name}`:", err=True)
        if e.error is not None:
            echo_error(_worker_hint(e.error, e.issue_slug, e.list_name))
    elif e.kind == "failed" and e.error is not None:
        click.echo(f"Could not send {target}:", err=True)
        echo_error(e.error)
    elif e.kind == "not-recorded" and e.error is not None:
        click.echo(f"The end of the send of {target} is not in the audit log (its deliveries say how it went):", err=True)
        echo_error(e.error)
    elif e.report is not None:
        r = e.report
        line = f"{target}: {r.status}; sent {r.sent_now}, failed {r.failed_now}, skipped {r.skipped_now}."
        click.echo(line + (f" Paused: {r.paused_reason}" if r.paused_reason else "") + (" Stopped on request." if r.interrupted else ""))
    sys.stdout.flush()
