"""A reported failure's meaning, by the one SMTP reply classifier (``delivery/replies.py``).

Bounce mail carries the same RFC 3463 codes and server words as an SMTP
session's replies, so it is judged by the same table: this module only
turns a finding's ``Status:`` and ``Diagnostic-Code:`` into one reply
string for ``classify``. There is no second classifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadex_mail.bounces.model import Finding
from leadex_mail.delivery.replies import Classification, Kind, classify, parse_reply

_SPECIFIC = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


@dataclass(frozen=True)
class Verdict:
    """What one reported failure means for its subscriber.

    ``effect`` is ``hard`` (suppress now), ``soft`` (count; suppress after
    N within M days) or ``rejected`` (about the sender or the message:
    record on the delivery, keep the person). ``classification`` is the
    shared classifier's answer, ``reply`` the string it judged.
    """

    effect: str
    classification: Classification
    reply: str


def classify_finding(finding: Finding) -> Verdict:
    """The verdict for a failed recipient of a bounce (RFC 3464 ``Action: failed`` or a legacy bounce).

    The DSN ``Status`` wins over the status inside ``Diagnostic-Code``
    unless it is the catch-all ``x.0.0``. A temporary code (4.x.x) in a
    *final* failure report means the relay gave up retrying: a soft bounce.
    """
    reply = reply_of(finding)
    result = classify(reply)
    if result.kind is Kind.HARD_BOUNCE:
        effect = "hard"
    elif result.kind in (Kind.SOFT_BOUNCE, Kind.TEMPORARY):
        effect = "soft"
    elif result.kind is Kind.ACCEPTED:
        effect = "soft"  # a "failed" report with a 2xx word: the relay gave up; count it, never suppress at once
    else:
        effect = "rejected"
    return Verdict(effect, result, reply)


def reply_of(finding: Finding) -> str:
    """One reply string from a finding: ``"<status> <server's words>"`` (or the words alone)."""
    code, inner_status, words = parse_reply(finding.diagnostic or "")
    status = finding.status if finding.status and _SPECIFIC.match(finding.status) else None
    if status is None or (status.endswith(".0.0") and inner_status and not inner_status.endswith(".0.0")):
        status = inner_status or status
    head = " ".join(str(p) for p in (code, status) if p)
    return f"{head} {words}".strip() or (finding.status or "")
