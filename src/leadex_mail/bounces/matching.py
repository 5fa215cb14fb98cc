"""Which delivery a report is about, strongest evidence first.

1. ``verp``: the report came back to ``bounces+<token>@domain`` and the
   token's signature holds (the token names the delivery);
2. ``envid``: the RFC 3461 ``ENVID`` returned as ``Original-Envelope-Id``
   (leadex-mail sends the Message-ID's local part, ``lx.C.D.DIGEST``);
3. ``message-id``: the returned message's ``Message-ID``
   (``<lx.{campaign}.{delivery}.{digest}@domain>``), compared whole with the
   one stored on the delivery, so a guessed id matches nothing;
4. ``recipient``: the reported address's subscriber and their latest sent
   delivery in the campaign the report's returned headers name (our
   Message-ID form, or the campaign's subject). This step proves nothing —
   anyone who can mail the bounce address can write any address into a
   report — so it is guarded (see docs/bounces.md, "Forged reports"):
   with VERP on it is not taken at all (a genuine bounce of our mail comes
   back to a signed ``bounces+<token>`` address); without VERP only a
   report that returns one of our messages' headers naming a campaign is
   matched, and ``service`` acts on at most one subscriber so matched per
   report and records a complaint so matched as liftable by the operator.

A report that matches none is kept as ``unmatched`` with its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from leadex_mail.bounces.model import Finding, Report
from leadex_mail.store.models import Campaign, Delivery, Subscriber

_D = Delivery.__table__.c  # type: ignore[attr-defined]
_S = Subscriber.__table__.c  # type: ignore[attr-defined]
_C = Campaign.__table__.c  # type: ignore[attr-defined]

_LOCAL = re.compile(r"^lx\.(\d{1,18})\.(\d{1,18})\.([0-9a-f]{8,64})$")
_MSGID = re.compile(r"^<(lx\.\d{1,18}\.\d{1,18}\.[0-9a-f]{8,64})@[^<>@\s]+>$")

VerpLookup = Callable[[str], int | None]
# A batch's delivery rows read at once: id -> (id, campaign_id, subscriber_id, message_id), None when there is none.
Rows = dict[int, tuple[int, int, int | None, str | None] | None]


@dataclass(frozen=True)
class Match:
    """The delivery a finding is about (``method`` says how it was found)."""

    delivery_id: int
    campaign_id: int
    subscriber_id: int | None
    method: str


def match_finding(
    conn: Connection,
    report: Report,
    finding: Finding | None,
    *,
    verp: VerpLookup | None = None,
    proof_required: bool = False,
    deliveries: Rows | None = None,
) -> Match | None:
    """The delivery ``finding`` of ``report`` is about, or None (see the module's order).

    ``proof_required`` (VERP on): only the signed steps (VERP token, ENVID,
    Message-ID) match; the recipient step is not taken. ``deliveries`` is
    a batch's rows read at once (``candidate_deliveries``): ids found there
    are not asked again.
    """
    rows = deliveries if deliveries is not None else {}
    if verp is not None:
        for address in _verp_candidates(report):
            delivery_id = verp(address)
            if delivery_id is not None:
                found = _by_id(conn, delivery_id, "verp", rows)
                if found is not None:
                    return found
    if report.envelope_id:
        found = _by_local_part(conn, report.envelope_id.strip(), "envid", rows)
        if found is not None:
            return found
    if report.original_message_id:
        local = _MSGID.match(report.original_message_id)
        if local:
            found = _by_local_part(conn, local.group(1), "message-id", rows, full=report.original_message_id)
            if found is not None:
                return found
    if finding is not None and finding.recipient and not proof_required:
        return _by_recipient(conn, report, finding.recipient)
    return None


def unproven_reason(report: Report, *, proof_required: bool) -> str:
    """Why a report that names people was matched to no delivery (for the operator reading ``bounces status``)."""
    if not any(f.recipient for f in report.findings):
        return "no delivery of ours matches it"
    if proof_required:
        return ("not sent back to a signed bounces+ address (VERP is on) and no ENVID or Message-ID of ours in it: "
                "not acted on, whoever it names (a forged report would look like this)")
    return ("names the person by address only, and no returned message of ours says which campaign: not acted on "
            "(a forged report would look like this)")


def candidate_deliveries(report: Report, verp: VerpLookup | None) -> set[int]:
    """The delivery ids a report's VERP token, ENVID and returned Message-ID name (to read a batch's rows at once)."""
    ids: set[int] = set()
    if verp is not None:
        for address in _verp_candidates(report):
            found = verp(address)
            if found is not None:
                ids.add(found)
    for local in (report.envelope_id, _MSGID.match(report.original_message_id).group(1) if report.original_message_id and _MSGID.match(report.original_message_id) else None):
        parsed = _LOCAL.match(local.strip()) if local else None
        if parsed:
            ids.add(int(parsed.group(2)))
    return {i for i in ids if i < 2**63}


def _delivery_row(conn: Connection, delivery_id: int, rows: Rows) -> tuple[int, int, int | None, str | None] | None:
    if delivery_id in rows:
        return rows[delivery_id]
    if delivery_id >= 2**63:
        return None  # no database integer holds it: no such delivery
    row = conn.execute(select(_D.id, _D.campaign_id, _D.subscriber_id, _D.message_id).where(_D.id == delivery_id)).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def _verp_candidates(report: Report) -> list[str]:
    found = list(report.bounce_to)
    if report.extra.get("original_mail_from"):
        found.append(report.extra["original_mail_from"])
    return [a for a in found if "+" in a.split("@", 1)[0]]


def _by_id(conn: Connection, delivery_id: int, method: str, rows: Rows) -> Match | None:
    row = _delivery_row(conn, delivery_id, rows)
    return Match(row[0], row[1], row[2], method) if row else None


def _by_local_part(conn: Connection, local: str, method: str, rows: Rows, *, full: str | None = None) -> Match | None:
    """The delivery whose stored Message-ID has this local part (``lx.C.D.DIGEST``), all of it checked."""
    parsed = _LOCAL.match(local)
    if not parsed:
        return None
    campaign_id, delivery_id = int(parsed.group(1)), int(parsed.group(2))
    row = _delivery_row(conn, delivery_id, rows)
    if row is None or row[1] != campaign_id or not row[3]:
        return None
    stored = str(row[3])
    if full is not None:
        ok = stored.lower() == full.lower()
    else:
        ok = stored.startswith(f"<{local}@")
    return Match(row[0], row[1], row[2], method) if ok else None


def _by_recipient(conn: Connection, report: Report, address: str) -> Match | None:
    """The subscriber with this address and their latest sent delivery in the campaign the report names; None without one."""
    campaign_id = _named_campaign(conn, report)
    if campaign_id is None:
        return None  # an address alone proves nothing about our mail
    sub_id = conn.execute(select(_S.id).where(_S.email == address.strip().lower())).scalar()
    if sub_id is None:
        return None
    query = select(_D.id, _D.campaign_id, _D.subscriber_id).where(_D.subscriber_id == sub_id, _D.sent_at.is_not(None), _D.campaign_id == campaign_id)
    row = conn.execute(query.order_by(_D.sent_at.desc(), _D.id.desc()).limit(1)).first()
    return Match(row[0], row[1], row[2], "recipient") if row else None


def _named_campaign(conn: Connection, report: Report) -> int | None:
    """The campaign a report names without proving a delivery: its Message-ID's campaign number, or its subject."""
    if report.original_message_id:
        local = _MSGID.match(report.original_message_id)
        if local:
            return int(_LOCAL.match(local.group(1)).group(1))  # type: ignore[union-attr]
    if report.original_subject:
        subject = report.original_subject.removeprefix("[TEST] ").strip()
        found = conn.execute(select(_C.id).where(_C.subject == subject).order_by(_C.id.desc()).limit(1)).scalar()
        return int(found) if found is not None else None
    return None
