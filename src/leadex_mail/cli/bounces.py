"""CLI commands of the bounce mailbox: ``bounces import``, ``fetch``, ``report``, ``status``, ``show``.

Thin: each command opens the store, calls one core function of
``leadex_mail.bounces`` and prints the result.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from leadex_mail.cli._common import audit, get_settings
from leadex_mail.counts import counted, were

if TYPE_CHECKING:
    from leadex_mail.store.db import Store

# Outcomes of a report that change a subscriber or who is mailed (``bounces.service.Outcome.action``).
SUBSCRIBER_CHANGES = ("suppressed", "unsubscribed")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(bounces_group)


@click.group("bounces")
def bounces_group() -> None:
    """Read bounces and complaints from the bounce mailbox, act on them, report."""


class _Progress:
    """What the CLI prints as messages are committed; it also keeps them, to sum up after a Ctrl-C."""

    def __init__(self, verbose: bool) -> None:
        from leadex_mail.bounces.service import ImportSummary

        self.verbose = verbose
        self.summary = ImportSummary()

    def outcome(self, outcome) -> None:  # type: ignore[no-untyped-def]
        self.summary.add(outcome)
        if self.verbose or outcome.action in ("kept", "unmatched"):
            extra = " ".join(p for p in (outcome.status, outcome.category, f"match {outcome.match}" if outcome.match else None) if p)
            click.echo(f"{outcome.action:<12} {outcome.kind:<12} {outcome.format:<18} {outcome.source}  {extra}".rstrip())

    def skipped(self, path: str, why: str) -> None:
        self.summary.skipped.append((path, why))
        click.echo(f"skipped      {path}: {why}")


def _totals(summary) -> None:  # type: ignore[no-untyped-def]
    n = len(summary.outcomes)
    parts = ", ".join(f"{count} {action}" for action, count in sorted(summary.actions.items()))
    click.echo(f"{n} message{'s' if n != 1 else ''} read" + (f": {parts}" if parts else ""))
    if summary.skipped:
        count = len(summary.skipped)
        click.echo(f"{count} file{'s' if count != 1 else ''} or folder{'s' if count != 1 else ''} skipped (listed above with the reason)")
    if summary.actions.get("kept") or summary.actions.get("unmatched"):
        click.echo("Messages not understood or not matched are kept: `leadex-mail bounces status` lists them.")


def _run(progress: _Progress, again: str, source: str, work: Callable[[Store], object]) -> None:
    """Run ``work`` on the store; on Ctrl-C say what was committed and how to go on, exit 130 (128 + SIGINT).

    Then the subscribers it suppressed or unsubscribed are in the audit log
    (``_audit_changes``), also when it stopped on Ctrl-C or an error.
    """
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:  # bounces belong to the store that sent the campaigns
        try:
            work(store)
        except KeyboardInterrupt:
            click.echo("", err=True)
            _totals(progress.summary)
            click.echo(f"interrupted: the {counted(len(progress.summary.outcomes), 'message')} above {were(len(progress.summary.outcomes))} recorded; the rest were not processed.", err=True)
            click.echo(f"hint: run `{again}` again to go on: what is recorded is not processed twice", err=True)
            _audit_changes(store, progress.summary, source, stopped=True)
            sys.stdout.flush()
            click.get_current_context().exit(130)
        except BaseException:
            _audit_changes(store, progress.summary, source, stopped=True)  # what was committed before the error stopped it
            raise
        _totals(progress.summary)
        _audit_changes(store, progress.summary, source)


def _audit_changes(store: Store, summary, source: str, *, stopped: bool = False) -> None:  # type: ignore[no-untyped-def]
    """``subscriber_suppress`` in the audit log when the run suppressed or unsubscribed anyone (counts, never addresses).

    The reports' own rows say which; this says who ran it. ``StoreError`` when
    it cannot be written, or (``stopped``: a run already ending on its own
    error) said on stderr.
    """
    from leadex_mail.errors import StoreError

    changed = {action: n for action, n in summary.actions.items() if action in SUBSCRIBER_CHANGES}
    if not changed:
        return
    try:
        audit(store, "subscriber_suppress", source, detail={**changed, "messages": len(summary.outcomes)})
    except StoreError as err:
        if not stopped:
            raise
        click.echo(f"error: what this run suppressed is not in the audit log: {err.message}", err=True)


@bounces_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="One line per message (otherwise only kept and unmatched ones).")
def import_command(paths: tuple[Path, ...], verbose: bool) -> None:
    """Read bounces and complaints from .eml files, mbox files (also gzip, bzip2, xz), Maildir and MH folders.

    Each message is processed once (by content and Message-ID): reading
    the same mailbox again changes nothing. Files in a folder that are not
    mail are skipped and listed with the reason. Exit 130 after Ctrl-C
    (what was recorded stays recorded).
    """
    from leadex_mail.bounces.service import import_paths

    settings = get_settings()
    progress = _Progress(verbose)

    def work(store: Store) -> object:
        return import_paths(store, settings, list(paths), on_outcome=progress.outcome, on_skip=progress.skipped)

    _run(progress, "leadex-mail bounces import " + " ".join(str(p) for p in paths), "bounce reports from files", work)


@bounces_group.command("fetch")
@click.option("-v", "--verbose", is_flag=True, help="One line per message (otherwise only kept and unmatched ones).")
def fetch_command(verbose: bool) -> None:
    """Read the IMAP bounce mailbox (TLS) and move each processed message to imap_processed_folder.

    Exit 130 after Ctrl-C (what was recorded stays recorded).
    """
    from leadex_mail.bounces.service import fetch_imap

    settings = get_settings()
    progress = _Progress(verbose)

    def work(store: Store) -> object:  # never file the mailbox's bounces away into a new store (``_run``: create=False)
        return fetch_imap(store, settings, on_outcome=progress.outcome)

    _run(progress, "leadex-mail bounces fetch", f"bounce reports from imap:{settings.imap_mailbox}", work)


@bounces_group.command("report")
@click.argument("issue", required=False)
def report_command(issue: str | None) -> None:
    """Bounces and complaints per campaign (of ISSUE) and type, complaint rate, suppressed addresses."""
    from leadex_mail.bounces.reporting import COMPLAINT_LIMIT, overview
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        view = overview(store, issue)
    if not view.campaigns:
        click.echo("No campaigns yet.")
    for c in view.campaigns:
        n = c.counts
        flag = f"  ABOVE the {COMPLAINT_LIMIT:.1%} limit" if c.over_limit else f"  (limit {COMPLAINT_LIMIT:.1%})"
        click.echo(f"{c.issue_slug} -> {c.list_name} (campaign {c.campaign_id}): {c.sent} accepted by the relay")
        click.echo(f"  bounces: {n['hard']} hard, {n['soft']} soft, {n['rejected']} rejected (policy/content)")
        click.echo(f"  complaints: {n['complaint']}, rate {c.complaint_rate:.2%}{flag}")
        if n.get("unverified"):
            click.echo(f"  complaints matched by address only (unverified, not in the rate): {n['unverified']}")
    click.echo(f"Suppressed or unsubscribed by reports: {len(view.suppressed)}")
    for s in view.suppressed:
        who = s.email or "(erased)"
        click.echo(f"  {s.at:%Y-%m-%d %H:%M} UTC  {who}  {s.status or '-'}  {s.why}  [{s.issue_slug or '-'}, report {s.report_id}]")
    if any(c.over_limit for c in view.campaigns):
        sys.stdout.flush()
        click.get_current_context().exit(3)


@bounces_group.command("status")
@click.option("--all", "show_all", is_flag=True, help="Also list kept messages marked dealt with (`bounces dismiss`).")
def status_command(show_all: bool) -> None:
    """What the bounce mailbox brought so far, and the messages kept for a person to read (until dismissed)."""
    from leadex_mail.bounces.reporting import overview
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        view = overview(store, dismissed=show_all)
    total = sum(view.actions.values())
    click.echo(f"{total} message{'s' if total != 1 else ''} processed" + (f", the last at {view.last_at:%Y-%m-%d %H:%M} UTC" if view.last_at else ""))
    for action, count in sorted(view.actions.items()):
        click.echo(f"  {action:<13} {count}")
    for c in view.campaigns:
        n = c.counts
        click.echo(f"{c.issue_slug} -> {c.list_name}: {n['hard']} hard, {n['soft']} soft, {n['rejected']} rejected, {n['complaint']} complaints ({c.complaint_rate:.2%})")
    click.echo(f"Kept for a person to read: {len(view.kept)}" + (" (show one with `leadex-mail bounces show ID`)" if view.kept else ""))
    for k in view.kept:
        mark = "  [dismissed]" if k.dismissed else ""
        click.echo(f"  {k.report_id:>6}  {k.at:%Y-%m-%d %H:%M} UTC  {k.action:<9}  {k.subject[:60]!r}  {k.reason}  ({k.source}){mark}")
    if view.kept and not show_all:
        click.echo("Dealt with one? `leadex-mail bounces dismiss ID…` stops listing it (`--all-kept` for every one listed).")


@bounces_group.command("dismiss")
@click.argument("report_ids", nargs=-1, type=int)
@click.option("--all-kept", is_flag=True, help="Every kept message listed now.")
@click.option("--note", default="", help="Why (kept with the message).")
def dismiss_command(report_ids: tuple[int, ...], all_kept: bool, note: str) -> None:
    """Mark kept messages (REPORT_IDS from `bounces status`) as dealt with: no longer listed; their bytes stay."""
    from leadex_mail.bounces.reporting import dismiss
    from leadex_mail.store.db import open_store

    if bool(report_ids) == all_kept:
        raise click.UsageError("give the ids of the kept messages (from `leadex-mail bounces status`), or --all-kept")
    with open_store(get_settings(), create=False) as store:
        marked = dismiss(store, None if all_kept else list(report_ids), note=note)
    click.echo(f"{len(marked)} kept message{'s' if len(marked) != 1 else ''} marked dealt with" + (f": {', '.join(map(str, marked))}" if marked else ""))


@bounces_group.command("show")
@click.argument("report_id", type=int)
def show_command(report_id: int) -> None:
    """Print a kept message (REPORT_ID from `bounces status`) as it arrived."""
    from leadex_mail.bounces.reporting import raw_message
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        raw = raw_message(store, report_id)
    sys.stdout.buffer.write(raw)
    sys.stdout.flush()
