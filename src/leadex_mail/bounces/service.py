"""Processing messages from the bounce mailbox: parse, match, act, record — one transaction each.

``process_message`` is the one core function behind ``bounces import`` and
``bounces fetch``. It is idempotent: a message already recorded (same bytes,
or same Message-ID) is reported as a duplicate and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from leadex_mail.bounces.classification import classify_finding
from leadex_mail.bounces.imap import ImapMailbox
from leadex_mail.bounces.matching import Match, VerpLookup, match_finding
from leadex_mail.bounces.model import Finding, Report, ReportKind
from leadex_mail.bounces.parse import parse_message
from leadex_mail.bounces.policy import Policy, worst
from leadex_mail.bounces.readers import read_paths
from leadex_mail.config import Settings
from leadex_mail.errors import StoreError
from leadex_mail.store import bounces as store_bounces
from leadex_mail.store.db import Store
from leadex_mail.store.models import BounceReport, utcnow
from leadex_mail.store.suppression import suppression_key

_DELIVERY_KIND = {"hard": "permanent", "soft": "soft", "rejected": "rejected"}


@dataclass(frozen=True)
class Outcome:
    """What processing one message did.

    ``action`` is one of the report actions (``suppressed``, ``soft``,
    ``unsubscribed``, ``rejected``, ``ignored``, ``unmatched``, ``kept``) or
    ``duplicate`` when the message had been processed before (then
    ``report_id`` is the earlier row's).
    """

    report_id: int
    kind: str
    action: str
    format: str
    source: str
    match: str | None = None
    status: str | None = None
    category: str | None = None


@dataclass
class ImportSummary:
    """Totals of one import or fetch run: ``actions`` counts outcomes by action."""

    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        """Count one message's outcome."""
        self.outcomes.append(outcome)

    @property
    def actions(self) -> dict[str, int]:
        """``{action: messages}``, e.g. ``{"suppressed": 3, "duplicate": 1}``."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.action] = counts.get(o.action, 0) + 1
        return counts


def content_hash(raw: bytes) -> str:
    """The SHA-256 of a message's bytes, line endings normalised (an IMAP copy and a file copy hash alike)."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def process_message(
    store: Store,
    raw: bytes,
    source: str,
    *,
    policy: Policy,
    now: datetime | None = None,
    verp: VerpLookup | None = None,
) -> Outcome:
    """Parse, match and act on one message; record it. Never raises for the message's content.

    ``source`` says where it came from (a file path, ``imap:INBOX``);
    ``now`` is injected for the soft-bounce window. Store failures raise
    ``StoreError`` (nothing of this message is then written).
    """
    now = now or utcnow()
    digest = content_hash(raw)
    report = parse_message(raw)
    key = suppression_key(store)
    try:
        with store.session() as session:
            earlier = store_bounces.already_processed(session, digest, report.message_id)
            if earlier is not None:
                return Outcome(earlier, report.kind.value, "duplicate", report.format, source)
            return _apply(session, key, report, raw, digest, source, policy, now, verp)
    except IntegrityError as exc:
        # Another process recorded the same message between our check and insert.
        with store.session(write=False) as session:
            earlier = store_bounces.already_processed(session, digest, report.message_id)
        if earlier is None:
            raise StoreError(f"recording the report {source} failed: {exc.orig}", hint="the store may be damaged or older than this leadex-mail") from exc
        return Outcome(earlier, report.kind.value, "duplicate", report.format, source)


def process_many(
    store: Store,
    messages: Iterable[tuple[bytes, str]],
    *,
    policy: Policy,
    now: Callable[[], datetime] = utcnow,
    verp: VerpLookup | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> ImportSummary:
    """``process_message`` for each ``(raw, source)``; ``on_outcome`` is called after each one is committed."""
    summary = ImportSummary()
    for raw, source in messages:
        outcome = process_message(store, raw, source, policy=policy, now=now(), verp=verp)
        summary.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return summary


def policy_of(settings: Settings) -> Policy:
    """The bounce policy configured in ``settings`` (``bounce_soft_limit`` within ``bounce_soft_days``)."""
    return Policy(settings.bounce_soft_limit, settings.bounce_soft_days)


def import_paths(
    store: Store,
    settings: Settings,
    paths: list[Path],
    *,
    now: Callable[[], datetime] = utcnow,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> ImportSummary:
    """``bounces import``: every message of the ``.eml`` files, mbox files and Maildir folders in ``paths``.

    Raises MailboxError when a path does not exist (before anything is
    processed) or cannot be read (what was processed stays recorded).
    """
    messages = read_paths(paths)
    return process_many(store, messages, policy=policy_of(settings), now=now, verp=verp_lookup(settings), on_outcome=on_outcome)


def verp_lookup(settings: Settings) -> VerpLookup | None:
    """The VERP token check for ``settings`` (None until a VERP return path is configured)."""
    return None


def fetch_imap(
    store: Store,
    settings: Settings,
    *,
    now: Callable[[], datetime] = utcnow,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> ImportSummary:
    """``bounces fetch``: every message of the IMAP bounce mailbox, each moved to the processed folder once recorded.

    Raises MailboxError for connection, TLS, login and folder failures
    (what was committed before stays committed and moved).
    """
    policy, verp = policy_of(settings), verp_lookup(settings)
    summary = ImportSummary()
    with ImapMailbox(settings) as box:
        for uid, raw in box.messages():
            outcome = process_message(store, raw, f"imap:{settings.imap_mailbox}/{uid.decode()}", policy=policy, now=now(), verp=verp)
            box.processed(uid)
            summary.add(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return summary


def _apply(
    session: Session, key: bytes, report: Report, raw: bytes, digest: str, source: str, policy: Policy, now: datetime, verp: VerpLookup | None
) -> Outcome:
    row = BounceReport(
        content_hash=digest,
        message_id=(report.message_id or "")[:998] or None,
        received_at=now,
        source=source[:1000],
        kind=report.kind.value,
        format=report.format[:32],
        action="ignored",
        evidence=_report_evidence(report),
    )
    if report.kind is ReportKind.UNRECOGNISED:
        row.action, row.raw = "kept", raw
        store_bounces.add_report(session, row)
        return _outcome(row)
    findings = list(report.findings) or [None]
    matches = [(f, match_finding(session, report, f, verp=verp)) for f in findings]
    first = next(((f, m) for f, m in matches if m is not None), None)
    if first is not None:
        row.match, row.campaign_id, row.delivery_id, row.subscriber_id = first[1].method, first[1].campaign_id, first[1].delivery_id, first[1].subscriber_id
    if report.kind in (ReportKind.AUTOREPLY, ReportKind.DELAY):
        store_bounces.add_report(session, row)
        return _outcome(row)
    if first is None:
        row.action, row.raw = "unmatched", raw
        store_bounces.add_report(session, row)
        return _outcome(row)
    store_bounces.add_report(session, row)  # the id goes into the events' evidence
    actions: list[str] = []
    for finding, match in matches:
        if match is None:
            continue
        if report.kind is ReportKind.COMPLAINT:
            actions.append(_complaint(session, key, row, report, match, now))
        else:
            actions.append(_bounce(session, key, row, report, finding, match, policy, now))
    row.action = worst(actions)
    session.add(row)
    return _outcome(row)


def _complaint(session: Session, key: bytes, row: BounceReport, report: Report, match: Match, now: datetime) -> str:
    evidence = _event_evidence(row, report, None, match)
    if match.subscriber_id is not None:
        store_bounces.complain(session, key, match.subscriber_id, evidence=evidence, now=now)
    return "unsubscribed"


def _bounce(
    session: Session, key: bytes, row: BounceReport, report: Report, finding: Finding | None, match: Match, policy: Policy, now: datetime
) -> str:
    verdict = classify_finding(finding or Finding(recipient=None))
    row.status = row.status or verdict.classification.status
    row.category = row.category or verdict.classification.category
    store_bounces.fail_delivery(session, match.delivery_id, error_kind=_DELIVERY_KIND[verdict.effect], reply=verdict.reply, now=now)
    evidence = {**_event_evidence(row, report, finding, match), "effect": verdict.effect, "category": verdict.classification.category}
    row.evidence = {**row.evidence, "effect": verdict.effect}
    if verdict.effect == "rejected" or match.subscriber_id is None:
        return "rejected" if verdict.effect == "rejected" else _DELIVERY_ACTION[verdict.effect]
    if verdict.effect == "soft":
        count = store_bounces.soft_failures_since(session, match.subscriber_id, now - timedelta(days=policy.soft_days))
        evidence["soft_failures"] = f"{count} in {policy.soft_days} days (limit {policy.soft_limit})"
        row.evidence = {**row.evidence, "soft_failures": count}
        if not policy.soft_suppresses(count):
            store_bounces.note_bounce(session, match.subscriber_id, evidence=evidence)
            return "soft"
    store_bounces.suppress_bounced(session, key, match.subscriber_id, evidence=evidence, now=now)
    return "suppressed"


_DELIVERY_ACTION = {"hard": "suppressed", "soft": "soft"}


def _report_evidence(report: Report) -> dict[str, Any]:
    """What the report said, for the report row (no address: the subscriber link carries who)."""
    evidence: dict[str, Any] = {"subject": report.subject[:300], "format": report.format}
    for name in ("envelope_id", "original_message_id", "reporting_mta", "feedback_type", "reason"):
        value = getattr(report, name)
        if value:
            evidence[name] = str(value)[:500]
    if report.findings:
        evidence["findings"] = [
            {k: v for k, v in (("status", f.status), ("action", f.action), ("diagnostic", (f.diagnostic or "")[:500]), ("remote_mta", f.remote_mta)) if v}
            for f in report.findings[:10]
        ]
    evidence.update({k: v[:200] for k, v in report.extra.items() if k != "original_mail_from"})
    return evidence


def _event_evidence(row: BounceReport, report: Report, finding: Finding | None, match: Match) -> dict[str, Any]:
    """The evidence written into the subscriber's event log."""
    evidence: dict[str, Any] = {"report": row.id, "report_message_id": report.message_id, "format": report.format, "match": match.method}
    evidence.update({"campaign": match.campaign_id, "delivery": match.delivery_id})
    if finding is not None:
        evidence.update({k: v for k, v in (("status", finding.status), ("diagnostic", (finding.diagnostic or "")[:500]), ("remote_mta", finding.remote_mta)) if v})
    if report.reporting_mta:
        evidence["reporting_mta"] = report.reporting_mta
    if report.feedback_type:
        evidence["feedback_type"] = report.feedback_type
        evidence.update({k: v for k, v in report.extra.items() if k in ("user_agent", "source_ip", "arrival_date")})
    return evidence


def _outcome(row: BounceReport) -> Outcome:
    return Outcome(row.id or 0, row.kind, row.action, row.format, row.source, row.match, row.status, row.category)
