"""Processing messages from the bounce mailbox: parse, match, act, record — one transaction each.

``process_message`` is the one core function behind ``bounces import`` and
``bounces fetch``. It is idempotent: a message already recorded (same bytes,
or same Message-ID) is reported as a duplicate and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from leadex_mail.bounces.classification import classify_finding
from leadex_mail.bounces.imap import ImapMailbox
from leadex_mail.bounces.matching import Match, VerpLookup, candidate_deliveries, match_finding, unproven_reason
from leadex_mail.bounces.model import Finding, Report, ReportKind
from leadex_mail.bounces.parse import parse_message
from leadex_mail.bounces.policy import RECIPIENT_ONLY_CAP, Policy, worst
from leadex_mail.bounces.readers import read_paths
from leadex_mail.config import Settings
from leadex_mail.errors import StoreError
from leadex_mail.store import bounces as store_bounces
from leadex_mail.store.db import Store
from leadex_mail.store.models import utcnow
from leadex_mail.store.scrub import any_erasure, keep_classification, message_text, names_erased
from leadex_mail.verp import verp_delivery
from leadex_mail.store.suppression import suppression_key

_DELIVERY_KIND = {"hard": "permanent", "soft": "soft", "rejected": "rejected"}
# Messages per transaction: commits dominate small reports' cost; a crash redoes at most this many.
BATCH = 200


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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) of files and folders not read

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
    """Parse, match and act on one message; record it (its own transaction). Never raises for the message's content.

    ``source`` says where it came from (a file path, ``imap:INBOX/17``);
    ``now`` is injected for the soft-bounce window. Store failures raise
    ``StoreError`` (nothing of this message is then written).
    """
    return _batch(store, [(raw, source)], policy, lambda: now or utcnow(), verp)[0]


def process_many(
    store: Store,
    messages: Iterable[tuple[bytes, str]],
    *,
    policy: Policy,
    now: Callable[[], datetime] = utcnow,
    verp: VerpLookup | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    batch: int = BATCH,
) -> ImportSummary:
    """``process_message`` for each ``(raw, source)``, ``batch`` messages a transaction.

    ``on_outcome`` is called for each message once its batch is committed.
    A crash loses at most the uncommitted batch, which the next run
    processes again (nothing of it was written).
    """
    summary = ImportSummary()
    for chunk in _chunks(messages, batch):
        for outcome in _batch(store, chunk, policy, now, verp):
            summary.add(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return summary


def _chunks(messages: Iterable[tuple[bytes, str]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    chunk: list[tuple[bytes, str]] = []
    for item in messages:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _batch(store: Store, chunk: list[tuple[bytes, str]], policy: Policy, now: Callable[[], datetime], verp: VerpLookup | None) -> list[Outcome]:
    """One transaction for ``chunk``; if anything fails in it, again one message a transaction.

    No message's content may stop or roll back an import: a message whose
    processing fails on its own (a value the database refuses, a bug
    tripped by a stranger's bytes) is recorded as kept, with the reason,
    and the others of its batch are processed as usual. Only a store that
    cannot record even that (gone, full, locked) raises ``StoreError``.
    """
    key = suppression_key(store)
    parsed = [(raw, source, content_hash(raw), parse_message(raw)) for raw, source in chunk]
    try:
        with store.begin() as conn:
            lookups = _lookups(conn, key, parsed, verp)
            lookups.erasures = any_erasure(conn)  # nobody erased yet (the usual import): nothing to decode or look for
            events: list[dict[str, Any]] = []
            outcomes = [_one(conn, key, item, policy, now(), verp, lookups, events) for item in parsed]
            store_bounces.add_events(conn, events)  # one statement for the batch's event log entries
            lookups.scrub_erased(conn, key)
            return outcomes
    except Exception as exc:  # noqa: BLE001 - sorted out one message at a time below
        if len(parsed) > 1:
            # Another process recorded one of these meanwhile, or one message trips something: redo them one by one.
            return [o for raw, source in chunk for o in _batch(store, [(raw, source)], policy, now, verp)]
        return [_kept_after_failure(store, parsed[0], now(), exc)]


def _report_row(digest: str, report: Report, source: str, now: datetime, kind: str, fmt: str, evidence: dict[str, Any]) -> dict[str, Any]:
    """The ``bounce_report`` row of a message before any action (``ignored``), its text fields cut to the columns' sizes."""
    return {
        "content_hash": digest,
        "message_id": (report.message_id or "")[:998] or None,
        "received_at": now,
        "source": source[:1000],
        "kind": kind,
        "format": fmt,
        "action": "ignored",
        "evidence": evidence,
    }


def _kept_after_failure(store: Store, item: tuple[bytes, str, str, Report], now: datetime, exc: Exception) -> Outcome:
    """Record a message whose processing failed as kept (``malformed``, with the reason); StoreError if even that fails."""
    raw, source, digest, report = item
    if isinstance(exc, IntegrityError):
        why = f"recording the report {source} failed: {exc.orig}"
        hint = "another import may be running; run this one again"
    else:
        why, hint = f"recording the report {source} failed: {exc}", None
    evidence = {"subject": report.subject[:300], "format": "malformed", "reason": f"could not be processed: {exc.__class__.__name__}: {exc}"[:500]}
    row = {**_report_row(digest, report, source, now, ReportKind.UNRECOGNISED.value, "malformed", evidence), "action": "kept", "raw": raw}
    try:
        key = suppression_key(store)
        with store.begin() as conn:
            earlier = store_bounces.already_processed(conn, digest, row["message_id"])
            if earlier is not None:
                return Outcome(earlier, report.kind.value, "duplicate", report.format, source)
            return _recorded(conn, key, row)
    except Exception as again:  # noqa: BLE001 - the store itself is failing: say the first failure
        if isinstance(exc, StoreError):
            raise exc from again
        if isinstance(again, StoreError):
            raise again from exc
        raise StoreError(why, hint=hint or "check the store, then run this import again: what was recorded stays recorded") from exc


def _lookups(conn: Connection, key: bytes, parsed: list[tuple[bytes, str, str, Report]], verp: VerpLookup | None) -> store_bounces.Lookups:
    """Read at once what the batch's messages would ask one by one (seen before? their deliveries, subscribers, suppressions)."""
    ids: set[int] = set()
    for _raw, _source, _digest, report in parsed:
        ids |= candidate_deliveries(report, verp)
    mids = [store_bounces.storable(r.message_id[:998]) for _raw, _source, _digest, r in parsed if r.message_id]
    return store_bounces.Lookups.load(conn, key, [digest for _raw, _source, digest, _r in parsed], mids, ids)


def _one(
    conn: Connection,
    key: bytes,
    item: tuple[bytes, str, str, Report],
    policy: Policy,
    now: datetime,
    verp: VerpLookup | None,
    lookups: store_bounces.Lookups,
    events: list[dict[str, Any]],
) -> Outcome:
    raw, source, digest, report = item
    message_id = (report.message_id or "")[:998] or None
    earlier = store_bounces.already_processed(conn, digest, message_id, lookups)
    if earlier is not None:
        return Outcome(earlier, report.kind.value, "duplicate", report.format, source)
    outcome = _apply(conn, key, report, raw, digest, source, policy, now, verp, lookups, events)
    lookups.recorded(outcome.report_id, digest, message_id)
    return outcome


def policy_of(settings: Settings) -> Policy:
    """The bounce policy configured in ``settings`` (``bounce_soft_limit`` within ``bounce_soft_days``; with ``verp``, proof required)."""
    return Policy(settings.bounce_soft_limit, settings.bounce_soft_days, proof_required=settings.verp)


def import_paths(
    store: Store,
    settings: Settings,
    paths: list[Path],
    *,
    now: Callable[[], datetime] = utcnow,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_skip: Callable[[str, str], None] | None = None,
) -> ImportSummary:
    """``bounces import``: every message of the ``.eml`` files, mbox files and Maildir folders in ``paths``.

    ``on_skip(path, why)`` is told of each file or folder that is not read
    (also listed in the summary's ``skipped``). Raises MailboxError when a
    path does not exist (before anything is processed) or cannot be read
    (what was processed stays recorded).
    """
    skipped: list[tuple[str, str]] = []

    def skip(path: str, why: str) -> None:
        skipped.append((path, why))
        if on_skip is not None:
            on_skip(path, why)

    messages = read_paths(paths, on_skip=skip)
    summary = process_many(store, messages, policy=policy_of(settings), now=now, verp=verp_lookup(settings), on_outcome=on_outcome)
    summary.skipped = skipped
    return summary


def verp_lookup(settings: Settings) -> VerpLookup | None:
    """The VERP token check for ``settings``: address -> delivery id (None when no bounce address is set)."""
    if not settings.bounce_address:
        return None
    bounce_address = settings.bounce_address
    keys = settings.verification_keys()  # tokens signed before a key rotation still name their delivery
    return lambda address: verp_delivery(address, bounce_address, keys)


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


def expire_processed(settings: Settings, before: datetime, *, dry_run: bool = False) -> int:
    """Delete (``dry_run``: count) the messages of the IMAP processed folder that arrived before ``before``'s day.

    Retention of the bounce mailbox's copies (``maintenance``); raises
    MailboxError for connection, TLS, login and folder failures.
    """
    with ImapMailbox(settings) as box:
        return box.expire_processed(before.date(), dry_run=dry_run)


def _apply(
    conn: Connection,
    key: bytes,
    report: Report,
    raw: bytes,
    digest: str,
    source: str,
    policy: Policy,
    now: datetime,
    verp: VerpLookup | None,
    lookups: store_bounces.Lookups,
    sink: list[dict[str, Any]],
) -> Outcome:
    """Match and act on one report; its events go to ``sink`` (written once per batch)."""
    row = _report_row(digest, report, source, now, report.kind.value, report.format[:32], _report_evidence(report))
    if report.kind is ReportKind.UNRECOGNISED:
        return _recorded(conn, key, {**row, "action": "kept", "raw": raw}, lookups)
    matches = [
        (f, match_finding(conn, report, f, verp=verp, proof_required=policy.proof_required, deliveries=lookups.deliveries)) for f in (list(report.findings) or [None])
    ]
    unproven = {m.subscriber_id for _f, m in matches if m is not None and m.method == "recipient"}
    reason = None
    if len(unproven) > RECIPIENT_ONLY_CAP:
        # One message of ours has one recipient: a report naming several people by address only is not about it.
        matches = [(f, None if m is not None and m.method == "recipient" else m) for f, m in matches]
        reason = f"names {len(unproven)} subscribers by address only (a message of ours has one recipient): not acted on"
    first = next((m for _f, m in matches if m is not None), None)
    if first is not None:
        row.update(match=first.method, campaign_id=first.campaign_id, delivery_id=first.delivery_id, subscriber_id=first.subscriber_id)
    if report.kind in (ReportKind.AUTOREPLY, ReportKind.DELAY):
        return _recorded(conn, key, row, lookups)
    if first is None:
        reason = reason or unproven_reason(report, proof_required=policy.proof_required)
        return _recorded(conn, key, {**row, "action": "unmatched", "raw": raw, "evidence": {**row["evidence"], "reason": reason}}, lookups)
    events: list[dict[str, Any]] = []
    actions: list[str] = []
    for finding, match in matches:
        if match is None:
            continue
        if report.kind is ReportKind.COMPLAINT:
            actions.append(_complaint(conn, key, row, report, match, now, events, lookups))
        else:
            actions.append(_bounce(conn, key, row, report, finding, match, policy, now, events, lookups))
    row["action"] = worst(actions)
    row["id"] = _add_report(conn, key, row, lookups)
    for event in events:
        event["detail"] = {"report": row["id"], **event["detail"]}  # the report's row is the evidence's anchor
    sink.extend(events)
    return _outcome(row)


def _recorded(conn: Connection, key: bytes, row: dict[str, Any], lookups: store_bounces.Lookups | None = None) -> Outcome:
    row["id"] = _add_report(conn, key, row, lookups)
    return _outcome(row)


def _add_report(conn: Connection, key: bytes, row: dict[str, Any], lookups: store_bounces.Lookups | None = None) -> int:
    """Insert the report ``row``; stripped as erasure leaves one when what it would keep names someone erased.

    A late bounce or a complaint about an erased person must not bring the
    address back (``scrub.names_erased``). Only what would be stored is
    read: the evidence, and the message itself when it is kept (messages
    not understood or not matched), so the usual report costs a small regex
    and at most one lookup of keyed hashes.
    """
    if lookups is not None and not lookups.erasures:
        return store_bounces.add_report(conn, row)
    text = json.dumps(row.get("evidence") or {}, ensure_ascii=False)
    if row.get("raw") is not None:
        text += "\n" + message_text(row["raw"])
    if lookups is not None:
        # Checked for the whole batch at its end (Lookups.scrub_erased), as here one report at a time.
        report_id = store_bounces.add_report(conn, row)
        lookups.check_erased_later(report_id, text, row.get("evidence"))
        return report_id
    if names_erased(conn, key, text):
        row = {**row, "raw": None, "evidence": keep_classification(row.get("evidence"), "erasure")}
    return store_bounces.add_report(conn, row)


def _complaint(
    conn: Connection, key: bytes, row: dict[str, Any], report: Report, match: Match, now: datetime, events: list[dict[str, Any]], lookups: store_bounces.Lookups
) -> str:
    """A complaint; matched by address only (unverified), it is recorded so that the operator may lift it."""
    verified = match.method != "recipient"
    if not verified:
        row["evidence"] = {**row["evidence"], "verified": False}
    if match.subscriber_id is not None:
        done = store_bounces.complain(conn, key, match.subscriber_id, now=now, lookups=lookups)
        if done is not None:
            events.append(_event("complained", match.subscriber_id, {**_event_evidence(report, None, match), "verified": verified, **done}, now))
    return "unsubscribed"


def _bounce(
    conn: Connection,
    key: bytes,
    row: dict[str, Any],
    report: Report,
    finding: Finding | None,
    match: Match,
    policy: Policy,
    now: datetime,
    events: list[dict[str, Any]],
    lookups: store_bounces.Lookups,
) -> str:
    verdict = classify_finding(finding or Finding(recipient=None))
    row["status"] = row.get("status") or verdict.classification.status
    row["category"] = row.get("category") or verdict.classification.category
    failed_at = failure_time(report, now)
    # The delivery's failure is dated when it happened (the report's date), so that importing an old archive
    # counts its soft bounces in their own windows, not all within the last ``soft_days``.
    store_bounces.fail_delivery(conn, match.delivery_id, error_kind=_DELIVERY_KIND[verdict.effect], reply=verdict.reply, now=failed_at)
    evidence = {**_event_evidence(report, finding, match), "effect": verdict.effect, "category": verdict.classification.category}
    row["evidence"] = {**row["evidence"], "effect": verdict.effect}
    if verdict.effect == "rejected" or match.subscriber_id is None:
        return "rejected" if verdict.effect == "rejected" else _DELIVERY_ACTION[verdict.effect]
    if verdict.effect == "soft":
        count = store_bounces.soft_failures_since(conn, match.subscriber_id, failed_at - timedelta(days=policy.soft_days), until=failed_at)
        evidence["soft_failures"] = f"{count} in {policy.soft_days} days (limit {policy.soft_limit})"
        row["evidence"] = {**row["evidence"], "soft_failures": count}
        if not policy.soft_suppresses(count):
            if store_bounces.subscriber_exists(conn, match.subscriber_id, lookups):
                events.append(_event("bounced", match.subscriber_id, {**evidence, "hard": False}, now))
            return "soft"
    if store_bounces.suppress_bounced(conn, key, match.subscriber_id, now=now, lookups=lookups):
        events.append(_event("bounced", match.subscriber_id, {**evidence, "hard": True}, now))
    return "suppressed"


def failure_time(report: Report, now: datetime) -> datetime:
    """When a reported failure happened: the report's own date (``Report.reported_at``), never after ``now``.

    A report without a readable date, or dated before 2000 (a clock at
    zero, a forged date), counts as happening ``now``.
    """
    when = report.reported_at
    if when is None or when.year < 2000:
        return now
    return min(when, now)


def _event(kind: str, subscriber_id: int, detail: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"kind": kind, "subscriber_id": subscriber_id, "detail": detail, "at": now}


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


def _event_evidence(report: Report, finding: Finding | None, match: Match) -> dict[str, Any]:
    """The evidence written into the subscriber's event log (the report's id is added once it has one)."""
    evidence: dict[str, Any] = {"report_message_id": report.message_id, "format": report.format, "match": match.method}
    evidence.update({"campaign": match.campaign_id, "delivery": match.delivery_id})
    if finding is not None:
        evidence.update({k: v for k, v in (("status", finding.status), ("diagnostic", (finding.diagnostic or "")[:500]), ("remote_mta", finding.remote_mta)) if v})
    if report.reporting_mta:
        evidence["reporting_mta"] = report.reporting_mta
    if report.feedback_type:
        evidence["feedback_type"] = report.feedback_type
        evidence.update({k: v for k, v in report.extra.items() if k in ("user_agent", "source_ip", "arrival_date")})
    return evidence


def _outcome(row: dict[str, Any]) -> Outcome:
    return Outcome(row["id"], row["kind"], row["action"], row["format"], row["source"], row.get("match"), row.get("status"), row.get("category"))
