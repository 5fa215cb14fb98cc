"""Bounces that are not RFC 3464 DSNs: the plain-text forms of qmail, Exim, Yahoo, old Exchange, ...

``flufl.bounce`` (GNU Mailman's detectors) finds the failed recipients;
this module names the format and reads, from the text that follows each
address, the server's reply and its RFC 3463 status (``550 5.1.1 ...``,
qmail's ``(#5.1.1)``), which the shared reply classifier then judges.
"""

from __future__ import annotations

import logging
import re
from email.message import Message

from flufl.bounce import all_failures

try:  # the detectors in flufl.bounce's own order, to run each on its own (see _all_failures)
    from flufl.bounce._scan import _DETECTORS as _FLUFL_DETECTORS
except ImportError:  # pragma: no cover - a flufl.bounce without it: all at once, still guarded
    _FLUFL_DETECTORS = None

# flufl.bounce logs every detector's exception with its traceback (to stderr when
# nothing else is configured) and then re-raises it: a stranger's message would
# print tracebacks at the operator. Its failures are handled in _all_failures.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())
logging.getLogger("flufl.bounce").propagate = False

from leadex_mail.bounces.mime import all_addresses, header_text, leaf_text
from leadex_mail.bounces.model import Finding

_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("qmail", re.compile(r"qmail-send program|I'm afraid I wasn't able to deliver", re.I)),
    ("yahoo", re.compile(r"yahoo", re.I)),
    ("exim", re.compile(r"created automatically by mail delivery software|following address\(es\) failed", re.I)),
    ("postfix", re.compile(r"postfix", re.I)),
    ("microsoft", re.compile(r"did not reach (some or all|the following recipient)|delivery has failed to these recipients|microsoft exchange|outlook\.com|RESOLVER\.", re.I)),
    ("gmail", re.compile(r"mailer-daemon@googlemail\.com|google\.com", re.I)),
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_CODE = re.compile(r"(?<!\d)([245]\d\d)(?=[\s:-])")
_END = re.compile(r"^-{2,}.*(copy of|original message|below this line)|^\s*Reporting-MTA:|^\s*Original message headers", re.I | re.M)


def legacy_findings(msg: Message) -> tuple[str, tuple[Finding, ...], bool]:
    """``(format, findings, temporary_only)`` for a non-standard bounce; no findings when none is one.

    ``temporary_only`` is True when the detectors saw only temporary
    failures (warnings that delivery is still being tried).
    """
    temporary, permanent = _all_failures(msg)
    addresses = [a.decode("utf-8", "replace").strip().lower() for a in (permanent or temporary)]
    if not addresses:
        # Exim names the failed recipients in a header even when its text is localised.
        addresses = list(all_addresses(msg.get_all("X-Failed-Recipients") or []))
    addresses = [a for a in addresses if "@" in a]
    if not addresses:
        return "", (), False
    text = _body(msg)
    action = "failed" if permanent or not temporary else "delayed"
    findings = tuple(_finding(text, addr, action) for addr in sorted(set(addresses)))
    return _format(msg, text), findings, not permanent and bool(temporary)


def _all_failures(msg: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """``flufl.bounce.all_failures``, each detector guarded: one that trips on a message is skipped, not fatal.

    (``all_failures`` itself stops at the first detector that raises, e.g.
    Yale's ``IndexError`` on a message without ``From:``.)
    """
    if _FLUFL_DETECTORS is None:
        try:
            return all_failures(msg)
        except Exception:  # noqa: BLE001
            return frozenset(), frozenset()
    for detector in _FLUFL_DETECTORS:
        try:
            temporary, permanent = detector().process(msg)
        except Exception:  # noqa: BLE001 - a heuristic detector's bug on a stranger's message: try the next
            continue
        if temporary or permanent:
            return frozenset(temporary), frozenset(permanent)
    return frozenset(), frozenset()


def _body(msg: Message) -> str:
    text = leaf_text(msg)
    end = _END.search(text)
    return text[: end.start()] if end else text


def _format(msg: Message, text: str) -> str:
    probe = f"{header_text(msg.get('From'))}\n{header_text(msg.get('Subject'))}\n{header_text(msg.get('Received'))}\n{text[:3000]}"
    for name, pattern in _FORMATS:
        if pattern.search(probe):
            return name
    return "other"


def reply_near(text: str, address: str) -> str | None:
    """The server's reply that the bounce's ``text`` gives for ``address`` (from its code on), or None."""
    finding = _finding(text, address, "failed")
    return finding.diagnostic if finding.status or (finding.diagnostic and _CODE.match(finding.diagnostic)) else None


def _finding(text: str, address: str, action: str) -> Finding:
    """The reply that follows ``address`` in the bounce's text (up to the next blank line pair or 800 characters)."""
    window = ""
    lowered = text.lower()
    for span in (_paragraph, _following):
        # The address's own paragraph first (qmail, Exim, Postfix, Exchange put the reply there), then what follows it.
        for at in _occurrences(lowered, address):
            candidate = span(text, at + len(address)).lstrip(">:) \t")
            if _STATUS.search(candidate) or _CODE.search(candidate):
                window = candidate
                break
        if window:
            break
    if not window:
        # The reply may stand before the address (e.g. "550 ... : user@x") or elsewhere in one-recipient bounces.
        window = text[:4000]
    status_match = _STATUS.search(window)
    code_match = _CODE.search(window)
    diagnostic = " ".join(window.split())[:500] or None
    if diagnostic and code_match:
        diagnostic = " ".join(window[code_match.start() :].split())[:500]
    status = status_match.group(0) if status_match else None
    return Finding(recipient=address, status=status, diagnostic=diagnostic, action=action)


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, at = [], haystack.find(needle)
    while at >= 0 and len(found) < 20:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _paragraph(text: str, start: int) -> str:
    """From ``start`` to the end of its paragraph (the next blank line)."""
    return re.split(r"\n\s*\n", text[start : start + 1500], maxsplit=1)[0]


def _following(text: str, start: int) -> str:
    """Up to 800 characters from ``start``, stopping at the next recipient paragraph."""
    return re.split(r"\n\s*\n\s*\n|\n\s*<[^>\s]+@[^>\s]+>:?\s*\n", text[start : start + 800], maxsplit=1)[0]
