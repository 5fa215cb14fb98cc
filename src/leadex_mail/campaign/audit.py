"""The audit log's entries of sends, one shape for every face (the studio's, the command line's, the worker's).

    send             before a send starts: ``recipients``, ``per_language`` (the plan);
                     from the command line also ``language`` and ``limit`` when given
    send_refused     a person's confirmation that started nothing: ``reason`` (``started_elsewhere``,
                     ``nothing_left``: ``confirm``, in the transaction that decided) or ``other_send``
                     (the studio's send it follows)
    send_finished    after it: ``status`` (running | paused | done | interrupted | error), ``counts`` (what this
                     actor's run did: ``sent``, ``failed``, ``skipped``, never the campaign's totals, which
                     other senders share: ``run_counts``), ``error``
    send_retry       failures re-queued: ``to_retry`` (``runner.retry_campaign``, one transaction)
    send_schedule    ``send_at`` (UTC, ISO 8601), ``moved``, ``language`` (``scheduler.schedule_campaign``, one transaction)
    send_unschedule  ``send_at`` of the cancelled time (``store.schedule.unschedule``, one transaction)

Each names its send ``<issue> -> <list>`` (``send_target``). A send runs
for minutes to hours in many transactions, so ``send`` is written first (a
send the log cannot show is refused before it starts) and ``send_finished``
when it ends; what each delivery did is in the deliveries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadex_mail.campaign.runner import CampaignPlan, CampaignReport
    from leadex_mail.config import Settings
    from leadex_mail.content.model import Issue
    from leadex_mail.store.confirm import Confirmed
    from leadex_mail.store.db import Store


def send_target(issue_slug: str, list_name: str) -> str:
    """What the audit log names a send by: ``2026-09-leadex-02 -> newsletter``."""
    return f"{issue_slug} -> {list_name}"


def record_send(store: Store, actor: str, plan: CampaignPlan, **more: Any) -> None:
    """Write ``send`` for ``plan`` by ``actor`` (``more``: details only this face has, None ones left out); ``StoreError`` when it cannot be."""
    from leadex_mail.store.accounts import record

    detail = {"recipients": plan.total, "per_language": plan.per_language, **{k: v for k, v in more.items() if v is not None}}
    record(store, actor, "send", send_target(plan.issue_slug, plan.list_name), detail=detail)


def finished_status(report: CampaignReport) -> str:
    """A send's end as the studio shows it: the campaign's status, or ``interrupted`` (stopped with deliveries left that nobody sends now)."""
    return "interrupted" if report.interrupted and report.status == "running" else report.status


def run_counts(sent: int, failed: int, skipped: int) -> dict[str, int]:
    """A ``send_finished`` entry's ``counts``: the messages this run sent, failed and skipped (another sender's are in its own entry)."""
    return {"sent": sent, "failed": failed, "skipped": skipped}


def record_finished(store: Store, actor: str, issue_slug: str, list_name: str, report: CampaignReport | None, error: str | None = None) -> None:
    """Write ``send_finished`` by ``actor``: ``report``'s status and this run's counts (``run_counts``), or ``error`` (the send stopped on it; status ``error``).

    ``StoreError`` when it cannot be written.
    """
    from leadex_mail.store.accounts import record

    if report is None:
        detail: dict[str, Any] = {"status": "error", "counts": {}, "error": error}
    else:
        detail = {"status": finished_status(report), "counts": run_counts(report.sent_now, report.failed_now, report.skipped_now), "error": error}
    record(store, actor, "send_finished", send_target(issue_slug, list_name), detail=detail)


def confirm(store: Store, issue: Issue, settings: Settings, plan: CampaignPlan, actor: str, *, expect_new: bool) -> Confirmed:
    """Decide a person's confirmation of ``plan`` where its campaign opens, with its one audit entry (``store.confirm.confirm_send``).

    ``send`` (``plan``'s recipients) when it goes, ``send_refused`` with the
    reason when another confirmation opened the campaign first
    (``expect_new``: the confirmed page showed none) or nothing is left to
    send; a scheduled send it replaces is removed with it. Raises
    ``ChangedAfterSend``, ``RecordsAnonymised``, ``StoreError`` (nothing written).
    """
    from leadex_mail.campaign.runner import edition_versions
    from leadex_mail.store.accounts import Entry
    from leadex_mail.store.confirm import confirm_send

    target = send_target(plan.issue_slug, plan.list_name)
    hashes, subject = edition_versions(issue, settings)
    send = Entry(actor, "send", target, detail={"recipients": plan.total, "per_language": plan.per_language})
    return confirm_send(
        store, plan.issue_slug, plan.list_name, hashes, subject, expect_new=expect_new, send=send,
        refused=Entry(actor, "send_refused", target), by_hand=Entry(actor, "send_unschedule", target),
    )
