"""Retention as ``leadex-mail maintenance`` applies it: the store's records, then the bounce mailbox's copies.

The store part is ``store/maintenance.py`` (pending sign-ups, people who
left, deliveries, queue mails, test sends, bounce reports). When a bounce
mailbox is configured (``imap_host``), ``bounces fetch`` has moved every
message it read into ``imap_processed_folder``: whole bounces and
complaints, addresses in them. Those copies get the period of the reports
made from them (``delivery_retention_days``) and are deleted from the
folder (``bounces/service.expire_processed``). The inbox is never touched.

A mailbox failure never undoes or hides the store part: the run returns
what the store part did and the mailbox's error beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadex_mail.config import Settings
from leadex_mail.errors import MailboxError
from leadex_mail.store.db import Store
from leadex_mail.store.maintenance import MaintenanceReport, RetentionPolicy, run_maintenance


@dataclass(frozen=True)
class RetentionRun:
    """What one run did (or, with ``dry_run``, would do): the store's report, and the bounce mailbox's part.

    ``mailbox`` is ``host/folder`` when a bounce mailbox is configured,
    else None; ``mailbox_error`` the MailboxError that stopped its part.
    """

    report: MaintenanceReport
    mailbox: str | None = None
    mailbox_deleted: int = 0
    mailbox_error: MailboxError | None = None

    @property
    def changed_anything(self) -> bool:
        """True when a row or a mailbox message was (or would be) deleted, erased or anonymised."""
        return self.report.changed_anything or bool(self.mailbox_deleted)


def run_retention(store: Store, settings: Settings, *, now: datetime, dry_run: bool = False) -> RetentionRun:
    """Apply the retention settings as of ``now`` (UTC): the store, then the bounce mailbox when there is one.

    Raises ``StoreError`` when the store fails (what was done stays done);
    a mailbox failure is returned in ``mailbox_error``.
    """
    report = run_maintenance(store, RetentionPolicy.from_settings(settings), now=now, dry_run=dry_run)
    if not settings.imap_host:
        return RetentionRun(report)
    from leadex_mail.bounces.service import expire_processed  # only with a mailbox: imaplib and TLS stay unloaded otherwise

    where = f"{settings.imap_host}/{settings.imap_processed_folder}"
    before = now - timedelta(days=settings.delivery_retention_days)
    try:
        return RetentionRun(report, where, expire_processed(settings, before, dry_run=dry_run))
    except MailboxError as exc:
        return RetentionRun(report, where, mailbox_error=exc)
