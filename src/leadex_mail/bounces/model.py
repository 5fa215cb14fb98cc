"""What a parsed bounce, complaint or auto-reply says: plain value objects.

A ``Report`` is one message found in the bounce mailbox. ``findings`` holds
one ``Finding`` per recipient the message reports on (a DSN may name
several; leadex-mail sends one recipient per message, so usually one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class ReportKind(str, Enum):
    """What a message in the bounce mailbox is."""

    BOUNCE = "bounce"  # a delivery failed (DSN Action: failed, or a non-standard bounce)
    DELAY = "delay"  # a delivery is delayed (DSN Action: delayed, warnings): nothing to do yet
    COMPLAINT = "complaint"  # an ARF abuse/fraud report: the person clicked "this is spam"
    AUTOREPLY = "autoreply"  # RFC 3834 auto-reply, out-of-office: ignored
    UNRECOGNISED = "unrecognised"  # not understood: kept and listed, never dropped


@dataclass(frozen=True)
class Finding:
    """One recipient a report is about.

    ``recipient`` is the address the report names (``Final-Recipient`` or
    ``Original-Recipient`` of RFC 3464, ``Original-Rcpt-To`` of RFC 5965,
    or the address found in a non-standard bounce), lower-cased; None when
    the report hides it (ARF reports are often redacted). ``status`` is the
    RFC 3463 code as reported (``"5.1.1"``) or None; ``diagnostic`` the
    remote server's words (``"smtp; 550 5.1.1 user unknown"``); ``action``
    the RFC 3464 action (``failed``, ``delayed``, ...).
    """

    recipient: str | None
    status: str | None = None
    diagnostic: str | None = None
    action: str | None = None
    remote_mta: str | None = None
    original_recipient: str | None = None


@dataclass(frozen=True)
class Report:
    """One message of the bounce mailbox, understood.

    ``format`` names how it was read (``rfc3464``, ``arf``, ``postfix``,
    ``exim``, ``qmail``, ``yahoo``, ``microsoft``, ``autoreply``, ...).
    ``envelope_id`` is the RFC 3461 ENVID returned as ``Original-Envelope-Id``;
    ``original_message_id`` the Message-ID of the returned message (angle
    brackets kept); ``bounce_to`` the addresses the report was delivered to
    (where a VERP token is read). ``feedback_type`` is RFC 5965's
    (``abuse``, ``fraud``, ...). ``reason`` says why an unrecognised
    message was not understood. ``reported_at`` is when the failure
    happened as the report says (RFC 3464 ``Last-Attempt-Date``, else
    ``Arrival-Date``, else the message's ``Date``; timezone-aware), None
    when it says nothing readable.
    """

    kind: ReportKind
    format: str
    findings: tuple[Finding, ...] = ()
    message_id: str | None = None
    subject: str = ""
    envelope_id: str | None = None
    original_message_id: str | None = None
    original_subject: str | None = None
    bounce_to: tuple[str, ...] = ()
    reporting_mta: str | None = None
    feedback_type: str | None = None
    reason: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    reported_at: datetime | None = None
