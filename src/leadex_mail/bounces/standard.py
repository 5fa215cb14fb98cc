"""The standard report formats: RFC 3464 delivery status notifications and RFC 5965 ARF.

Both are ``multipart/report`` (RFC 6522) with a machine-readable part of
``Name: value`` blocks:

- RFC 3464 ``message/delivery-status``: one per-message block
  (``Original-Envelope-Id``, ``Reporting-MTA``, ``Arrival-Date``) then one
  block per recipient (``Final-Recipient``, ``Original-Recipient``,
  ``Action``, ``Status``, ``Diagnostic-Code``, ``Remote-MTA``). RFC 6533's
  ``message/global-delivery-status`` is read the same way.
- RFC 5965 ``message/feedback-report``: one block (``Feedback-Type``,
  ``Original-Mail-From``, ``Original-Rcpt-To``, ``Arrival-Date``,
  ``Source-IP``, ``Reported-Domain``, ...).

The returned message (or its headers) gives the original ``Message-ID``.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import Message

from leadex_mail.bounces.mime import (
    address_of,
    date_of,
    field_blocks,
    header_text,
    leaf_text,
    message_id_of,
    returned_headers,
    strip_type,
)
from leadex_mail.bounces.model import Finding, Report, ReportKind

DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
ARF_TYPE = "message/feedback-report"
# RFC 5965 feedback types that are a person's complaint about the mail.
COMPLAINT_TYPES = ("abuse", "fraud")


def find_part(msg: Message, types: tuple[str, ...]) -> Message | None:
    """The first part of ``msg`` whose content type is one of ``types``, or None.

    Returned messages (``message/rfc822`` parts) are not searched: a report
    forwarded as an attachment is not the mailbox's own report.
    """
    if msg.get_content_type() in types:
        return msg
    if not msg.is_multipart() or msg.get_content_type() in ("message/rfc822", "message/global"):
        return None
    for sub in msg.get_payload():  # type: ignore[union-attr]
        if isinstance(sub, Message):
            found = find_part(sub, types)
            if found is not None:
                return found
    return None


def parse_dsn(msg: Message, status_part: Message, *, format: str = "rfc3464", **common: object) -> Report:
    """A Report from an RFC 3464 DSN whose ``message/delivery-status`` part is ``status_part``.

    The report is a BOUNCE when any recipient's ``Action`` is ``failed``, a
    DELAY when recipients are only ``delayed``, and UNRECOGNISED when no
    recipient block can be read (the message is kept for a person).
    """
    blocks = field_blocks(status_part)
    if not blocks:
        return Report(ReportKind.UNRECOGNISED, format, reason="the delivery-status part is empty", **common)  # type: ignore[arg-type]
    per_message, per_recipient = blocks[0], blocks[1:]
    if per_message.get("Final-Recipient") or per_message.get("Original-Recipient"):
        # Some generators leave out the per-message block: the first block is a recipient.
        per_recipient = blocks
    findings = tuple(_finding(block) for block in per_recipient if block.get("Final-Recipient") or block.get("Original-Recipient"))
    if any(f.diagnostic is None and f.recipient for f in findings):
        findings = _with_notification_words(msg, findings)
    returned = returned_headers(msg)
    actions = {f.action for f in findings}
    when = _failure_date(per_message, per_recipient) or common.pop("reported_at", None)
    common = {**common, "reported_at": when}
    if not findings:
        kind, reason = ReportKind.UNRECOGNISED, "no recipient in the delivery-status part"
    elif "failed" in actions:
        kind, reason = ReportKind.BOUNCE, None
        findings = tuple(f for f in findings if f.action == "failed")
    elif "delayed" in actions:
        kind, reason = ReportKind.DELAY, None
    else:
        # delivered, relayed, expanded: success notices, nothing to act on.
        kind, reason = ReportKind.DELAY, f"action {', '.join(sorted(a or '-' for a in actions))}: not a failure"
    return Report(
        kind,
        format,
        findings,
        envelope_id=header_text(per_message.get("Original-Envelope-Id")) or None,
        reporting_mta=strip_type(per_message.get("Reporting-MTA")),
        # Gmail names the returned message in its per-message block too.
        original_message_id=message_id_of((returned.get("Message-ID") if returned is not None else None) or per_message.get("X-Original-Message-ID")),
        original_subject=header_text(returned.get("Subject")) if returned is not None else None,
        reason=reason,
        **common,  # type: ignore[arg-type]
    )


def _failure_date(per_message: Message, per_recipient: list[Message]) -> datetime | None:
    """When the failure happened: a recipient's ``Last-Attempt-Date``, else the ``Arrival-Date`` (RFC 3464 2.3.5, 2.2.5)."""
    for block in per_recipient:
        when = date_of(block.get("Last-Attempt-Date"))
        if when is not None:
            return when
    return date_of(per_message.get("Arrival-Date"))


def _with_notification_words(msg: Message, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Findings without a ``Diagnostic-Code`` (OpenSMTPD writes only ``Status: 5.0.0``) get the server's words from the notification text."""
    from dataclasses import replace

    from leadex_mail.bounces.legacy import reply_near

    text = leaf_text(msg)
    return tuple(replace(f, diagnostic=reply_near(text, f.recipient)) if f.diagnostic is None and f.recipient else f for f in findings)


def _finding(block: Message) -> Finding:
    final = strip_type(block.get("Final-Recipient"))
    original = strip_type(block.get("Original-Recipient"))
    status_text = header_text(block.get("Status"))
    found = _STATUS_CODE.search(status_text)
    status = found.group(0) if found else (_uncommented(status_text).split(" ", 1)[0] or None)
    return Finding(
        recipient=(final or original or "").lower() or None,
        status=status,
        diagnostic=header_text(block.get("Diagnostic-Code")) or None,
        action=(_uncommented(header_text(block.get("Action"))).lower().split() or [None])[0],
        remote_mta=strip_type(block.get("Remote-MTA")),
        original_recipient=original.lower() if original else None,
    )


_COMMENT = re.compile(r"\([^()]*\)")
_STATUS_CODE = re.compile(r"(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?![\d.])")


def _uncommented(value: str) -> str:
    """A structured field's value without its RFC 5322 comments: ``"failed (permanent)"`` -> ``"failed"`` (RFC 3464 allows them)."""
    for _ in range(5):  # nested comments, innermost first
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value.strip()


def parse_arf(msg: Message, feedback_part: Message, **common: object) -> Report:
    """A Report from an RFC 5965 feedback report whose ``message/feedback-report`` part is ``feedback_part``.

    ``abuse`` and ``fraud`` reports (and a missing Feedback-Type) are
    COMPLAINTs; other types (``not-spam``, ``virus``, ``auth-failure``
    of RFC 6591, ``other``) say nothing about the person's wish and are
    kept as UNRECOGNISED for a person to read.
    """
    blocks = field_blocks(feedback_part)
    fields = blocks[0] if blocks else Message()
    feedback_type = header_text(fields.get("Feedback-Type")).lower() or "abuse"
    returned = returned_headers(msg)
    rcpt = address_of(fields.get("Original-Rcpt-To"))
    if rcpt is None and returned is not None:
        rcpt = address_of(returned.get("To"))  # often redacted by the provider; then the Message-ID decides
    finding = Finding(recipient=rcpt, diagnostic=f"feedback-type: {feedback_type}", action="complained")
    kind = ReportKind.COMPLAINT if feedback_type in COMPLAINT_TYPES else ReportKind.UNRECOGNISED
    extra = {
        name: header_text(fields.get(header))
        for name, header in (("user_agent", "User-Agent"), ("source_ip", "Source-IP"), ("arrival_date", "Arrival-Date"), ("reported_domain", "Reported-Domain"))
        if fields.get(header)
    }
    mail_from = address_of(fields.get("Original-Mail-From"))
    if mail_from:
        extra["original_mail_from"] = mail_from
    return Report(
        kind,
        "arf",
        (finding,),
        original_message_id=message_id_of(returned.get("Message-ID")) if returned is not None else None,
        original_subject=header_text(returned.get("Subject")) if returned is not None else None,
        reporting_mta=strip_type(fields.get("Reporting-MTA")),
        feedback_type=feedback_type,
        reason=None if kind is ReportKind.COMPLAINT else f"feedback type {feedback_type!r} is not a complaint by the person",
        extra=extra,
        **common,  # type: ignore[arg-type]
    )
