"""One message from the bounce mailbox -> a ``Report``: what it is and what it says.

Order of the tests, most authoritative first:

1. ``multipart/report`` with ``message/feedback-report``: RFC 5965 ARF complaint;
2. ``multipart/report`` (or any message) with ``message/delivery-status``:
   RFC 3464 DSN (Postfix, Microsoft 365, Gmail, OpenSMTPD, Sendmail, ...);
3. a forwarded report: a ``message/rfc822`` attachment that is itself 1 or 2;
4. a bounce in one of the non-standard plain-text forms (``legacy.py``);
5. an RFC 3834 auto-reply or out-of-office (ignored);
6. anything else is UNRECOGNISED, with the reason: kept, listed, never dropped.

``parse_message`` never raises on any input: malformed MIME, wrong
charsets and truncated messages come back UNRECOGNISED.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from email.parser import BytesHeaderParser

from leadex_mail.bounces.autoreply import is_autoreply
from leadex_mail.bounces.legacy import legacy_findings
from leadex_mail.bounces.mime import all_addresses, date_of, header_text, message_id_of
from leadex_mail.bounces.model import Report, ReportKind
from leadex_mail.bounces.standard import ARF_TYPE, DSN_TYPES, find_part, parse_arf, parse_dsn

_BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery (subsystem|system)|mail administrator", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|failed|has failed|problem)|returned mail|failure notice|"
    r"mail delivery failed|non[- ]?delivery|could not be delivered|delivery report",
    re.I,
)
# Where a VERP token may be read: the headers MTAs add with the envelope recipient, then To.
_BOUNCE_TO_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")


def parse_bytes(raw: bytes) -> Message:
    """The message in ``raw`` (``compat32``: fast, and never raises on malformed MIME)."""
    return email.message_from_bytes(raw)


def parse_message(raw: bytes | Message) -> Report:
    """What the message ``raw`` is (see the module's order). Never raises.

    Whatever a message trips on — a broken encoded word, MIME nested
    thousands deep (``RecursionError``), a third-party detector's bug — it
    comes back UNRECOGNISED (format ``malformed``) with the reason, and
    with whatever of its Message-ID and Subject could be read.
    """
    try:
        msg = parse_bytes(raw) if isinstance(raw, bytes) else raw
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on MIME nested thousands deep
        return _malformed(exc, _common(_headers_only(raw)) if isinstance(raw, bytes) else {})
    common = _common(msg)
    try:
        return _parse(msg, common)
    except Exception as exc:  # noqa: BLE001 - a damaged message must be kept, whatever the parsers trip on
        return _malformed(exc, common)


def _malformed(exc: BaseException, common: dict[str, object]) -> Report:
    return Report(ReportKind.UNRECOGNISED, "malformed", reason=f"could not be read: {exc.__class__.__name__}: {exc}"[:500], **common)  # type: ignore[arg-type]


def _headers_only(raw: bytes) -> Message | None:
    """The top-level header block of a message whose body cannot be parsed (None if even that fails)."""
    try:
        return BytesHeaderParser().parsebytes(raw)
    except Exception:  # noqa: BLE001
        return None


def _common(msg: Message | None) -> dict[str, object]:
    """The fields every report row gets; each read on its own, so one bad header spoils only itself."""
    if msg is None:
        return {}
    common: dict[str, object] = {}
    for name, read in (
        ("message_id", lambda: message_id_of(msg.get("Message-ID"))),
        ("subject", lambda: header_text(msg.get("Subject"))[:500]),
        ("bounce_to", lambda: all_addresses([v for h in _BOUNCE_TO_HEADERS for v in (msg.get_all(h) or [])])),
        ("reported_at", lambda: date_of(msg.get("Date"))),
    ):
        try:
            common[name] = read()
        except Exception:  # noqa: BLE001 - the field stays at its default ("" / None / ())
            pass
    return common


def _parse(msg: Message, common: dict[str, object]) -> Report:
    standard = _standard(msg, common)
    if standard is not None:
        return standard
    forwarded = _forwarded(msg, common)
    if forwarded is not None:
        return forwarded
    if looks_like_bounce(msg):
        fmt, findings, temporary_only = legacy_findings(msg)
        if findings:
            return _legacy_report(msg, fmt, findings, temporary_only, common)
    if is_autoreply(msg):
        return Report(ReportKind.AUTOREPLY, "autoreply", reason="automatic reply (RFC 3834) or out-of-office", **common)  # type: ignore[arg-type]
    if not looks_like_bounce(msg):
        # Heuristic detectors last: a human's message that merely quotes an address must not become a bounce.
        fmt, findings, temporary_only = legacy_findings(msg)
        if findings and fmt != "other":
            return _legacy_report(msg, fmt, findings, temporary_only, common)
    reason = "looks like a bounce, but no failed recipient could be read" if looks_like_bounce(msg) else "not a bounce, complaint or auto-reply"
    if msg.defects and not msg.is_multipart() and msg.get_content_maintype() == "multipart":
        reason = f"malformed MIME ({msg.defects[0].__class__.__name__}); {reason}"
    return Report(ReportKind.UNRECOGNISED, "unknown", reason=reason, **common)  # type: ignore[arg-type]


def _standard(msg: Message, common: dict[str, object], *, prefix: str = "") -> Report | None:
    feedback = find_part(msg, (ARF_TYPE,))
    if feedback is not None:
        report = parse_arf(msg, feedback, **common)
        return _prefixed(report, prefix)
    status = find_part(msg, DSN_TYPES)
    if status is not None:
        return _prefixed(parse_dsn(msg, status, **common), prefix)
    return None


def _prefixed(report: Report, prefix: str) -> Report:
    if not prefix:
        return report
    from dataclasses import replace

    return replace(report, format=prefix + report.format)


def _legacy_report(msg: Message, fmt: str, findings: tuple, temporary_only: bool, common: dict[str, object]) -> Report:  # type: ignore[type-arg]
    from leadex_mail.bounces.mime import returned_headers

    returned = returned_headers(msg)
    return Report(
        ReportKind.DELAY if temporary_only else ReportKind.BOUNCE,
        fmt,
        findings,
        original_message_id=message_id_of(returned.get("Message-ID")) if returned is not None else _inline_message_id(msg),
        original_subject=header_text(returned.get("Subject")) if returned is not None else None,
        **common,  # type: ignore[arg-type]
    )


_INLINE_MID = re.compile(r"^Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)


def _inline_message_id(msg: Message) -> str | None:
    """The Message-ID of a message returned inline as text (qmail, Yahoo: "below this line is a copy")."""
    from leadex_mail.bounces.mime import leaf_text

    found = _INLINE_MID.findall(leaf_text(msg))
    return found[-1] if found else None


def _forwarded(msg: Message, common: dict[str, object]) -> Report | None:
    """A report forwarded as an attachment: the inner report, its format marked ``forwarded-``."""
    for part in msg.walk():
        if part is msg or part.get_content_type() != "message/rfc822":
            continue
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            found = _standard(inner[0], common, prefix="forwarded-")
            if found is not None:
                return found
    return None


def looks_like_bounce(msg: Message) -> bool:
    """True when sender or subject say "bounce" (MAILER-DAEMON, "Undelivered Mail Returned to Sender", ...)."""
    return bool(_BOUNCE_FROM.search(header_text(msg.get("From"))) or _BOUNCE_SUBJECT.search(header_text(msg.get("Subject"))))
