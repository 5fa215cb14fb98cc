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
    elif _about_the_recipients_host(result):
        effect = "soft"
    else:
        effect = "rejected"
    return Verdict(effect, result, reply)


# Routing failures (RFC 3463 5.4.x) that, in a report about one delivery, are about the recipient's domain or
# mailbox, not about us: Postfix's "5.4.4 Host or domain name not found" (the domain is gone or its DNS is
# broken), 5.4.1 "No answer from host", and Microsoft 365's "550 5.4.1 Recipient address rejected: Access
# denied" (Directory-Based Edge Blocking: the address is not in the tenant's directory). They count as soft
# bounces: suppressed when they repeat within the window, never at once (a DNS outage heals). In an SMTP
# session the classifier keeps them REJECTED/routing: there our own relay speaks, and a run of identical
# refusals should pause the campaign (worker._count_rejection) rather than mark everyone.
_RECIPIENT_ROUTING = re.compile(r"^5\.4\.[147]$")
_RECIPIENT_ROUTING_WORDS = re.compile(r"host or domain name not found|domain not found|recipient address rejected|no answer from host|name service error", re.I)


def _about_the_recipients_host(result: Classification) -> bool:
    if result.kind is not Kind.REJECTED or result.category != "routing":
        return False
    return bool((result.status and _RECIPIENT_ROUTING.match(result.status)) or _RECIPIENT_ROUTING_WORDS.search(result.text or ""))


def reply_of(finding: Finding) -> str:
    """One reply string from a finding: ``"<status> <server's words>"`` (or the words alone)."""
    code, inner_status, words = parse_reply(finding.diagnostic or "")
    status = finding.status if finding.status and _SPECIFIC.match(finding.status) else None
    if status is None or (status.endswith(".0.0") and inner_status and not inner_status.endswith(".0.0")):
        status = inner_status or status
    head = " ".join(str(p) for p in (code, status) if p)
    return f"{head} {words}".strip() or (finding.status or "")
