"""CLI command ``maintenance``: apply the retention settings (``store/maintenance.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from leadex_mail.cli._common import audit, command_prefix, get_settings

if TYPE_CHECKING:  # the store layer is imported only when the command runs
    from leadex_mail.retention import RetentionRun
    from leadex_mail.store.db import Store
    from leadex_mail.store.maintenance import MaintenanceReport


def register(main: click.Group) -> None:
    """Add this module's command to the root group."""
    main.add_command(maintenance)


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, erased and anonymised; change nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when nothing was deleted, erased or anonymised (for cron, which mails any output).")
def maintenance(dry_run: bool, quiet: bool) -> None:
    """Apply the retention settings: delete old unconfirmed sign-ups, erase people who left, anonymise old deliveries.

    Erasure is the same as `subscribers forget` (the suppression hash stays,
    so nobody who left is imported again); anonymised campaigns keep their
    counts. With a bounce mailbox (imap_host), the messages `bounces fetch`
    moved to its processed folder are deleted after delivery_retention_days.
    Active subscribers are never touched. Safe to run from cron
    (e.g. daily: `17 3 * * * leadex-mail maintenance --quiet`) while `serve`
    and `send` run. Periods: pending_purge_days, unsubscribed_retention_days,
    delivery_retention_days (docs/privacy.md).
    """
    from leadex_mail.retention import run_retention
    from leadex_mail.store.db import open_store

    settings = get_settings()
    with open_store(settings, create=False) as store:  # cron in the wrong folder: an error, not a quiet run on a new empty store
        run = run_retention(store, settings, now=datetime.now(UTC), dry_run=dry_run)
        if not quiet or run.changed_anything:  # a campaign kept open is said on the runs that do something
            for line in report_lines(run.report, run):
                click.echo(line)
        _audit(store, run.report)
    if run.mailbox_error is not None:  # after the store's lines: that part is done, and cron mails both
        raise run.mailbox_error


def _audit(store: Store, r: MaintenanceReport) -> None:
    """The sign-ups deleted and the people erased, in the audit log as ``subscribers purge-pending`` and ``forget`` write them (counts only).

    After the change, never before: retention is owed by law, and a log that
    cannot be written must not keep people's data longer (``StoreError``,
    said after what was done). A dry run, or a run that erased nobody, logs nothing.
    """
    if r.dry_run:
        return
    if r.pending_deleted:
        audit(store, "subscriber_purge", "unconfirmed sign-ups", detail={"purged": r.pending_deleted, "older_than_days": r.policy.pending_days})
    if r.people_erased:
        audit(store, "subscriber_erase", "people who left", detail={"erased": r.people_erased, "by_status": dict(r.erased), "older_than_days": r.policy.inactive_days})


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def report_lines(r: MaintenanceReport, run: RetentionRun | None = None) -> list[str]:
    """The maintenance report as the operator reads it (with the bounce mailbox's line when ``run`` has one)."""
    p = r.policy
    did = "would be " if r.dry_run else ""
    lines = [f"leadex-mail maintenance{' (dry run: nothing changed)' if r.dry_run else ''}, as of {r.now:%Y-%m-%d %H:%M} UTC"]
    lines.append(f"unconfirmed sign-ups older than {p.pending_days} days: {_n(r.pending_deleted, 'sign-up')} {did}deleted")
    erased = r.people_erased
    detail = ", ".join(f"{n} {status}" for status, n in sorted(r.erased.items()))
    line = f"people who left (unsubscribed, bounced, complained) over {p.inactive_days} days ago: {_n(erased, 'person', 'people')} {did}erased"
    if erased:
        line += f" ({detail}); their addresses stay only as suppression hashes, so no import adds them again"
    lines.append(line)
    campaigns = r.campaigns
    line = f"delivery records of campaigns done over {p.delivery_days} days ago: {_n(r.deliveries_anonymised, 'record')} {did}anonymised"
    lines.append(line + (f" in {_n(len(campaigns), 'campaign')}; counts kept:" if campaigns else ""))
    for c in campaigns:
        counts = ", ".join(f"{n} {state}" for state, n in c.counts.items())
        lines.append(f"  {c.issue_slug} to {c.list_name} (done {c.finished_at:%Y-%m-%d}): {counts}")
    for o in r.open_campaigns:
        lines.append(
            f"  kept: {o.issue_slug} to {o.list_name} is {o.status} since {o.since:%Y-%m-%d}; its records are anonymised once it is done"
            f" (`{command_prefix()} send {o.issue_slug} --list {o.list_name} --resume` finishes it)"
        )
    lines.append(f"finished confirmation and privacy mails older than {p.delivery_days} days: {_n(r.queue_mails_deleted, 'record')} {did}deleted")
    lines.append(f"test sends older than {p.delivery_days} days: {_n(r.test_sends_deleted, 'record')} {did}deleted")
    lines.append(f"bounce and complaint reports older than {p.delivery_days} days: {_n(r.reports_anonymised, 'report')} {did}anonymised")
    lines.append(f"newer bounce and complaint reports about or naming the people deleted or erased: {_n(r.reports_stripped, 'report')} {did}stripped")
    if run is not None and run.mailbox is not None and run.mailbox_error is None:
        lines.append(f"bounce mailbox {run.mailbox}: {_n(run.mailbox_deleted, 'message')} older than {p.delivery_days} days {did}deleted")
    lines.append("active subscribers were not touched")
    return lines
