"""Figures for ``bounces report`` and ``bounces status``: per campaign, by type; complaint rate; who was suppressed and why.

Types: ``hard`` (address does not exist: suppressed), ``soft`` (mailbox full,
given up; suppressed at the limit), ``rejected`` (policy, content,
blocklist: the subscriber kept), ``complaint`` (ARF abuse/fraud). Each is
counted once per delivery, from the reports read from the bounce mailbox.
The complaint rate is complaints over messages the relay accepted
(complaints matched by address only, which may be forged, are listed apart
and not counted)
(deliveries with a ``sent_at``), against the 0.3 % that Gmail and Yahoo
require senders to stay under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from leadex_mail.errors import NotFound
from leadex_mail.store.db import Store
from leadex_mail.store.models import BounceReport, Campaign, Delivery, MailingList, Subscriber

COMPLAINT_LIMIT = 0.003  # 0.3 %: Gmail's and Yahoo's bulk-sender requirement (2024)
# "unverified": a complaint matched to the person by address only (may be forged): listed, not in the rate.
TYPES = ("hard", "soft", "rejected", "complaint", "unverified")

_R = BounceReport.__table__.c  # type: ignore[attr-defined]
_D = Delivery.__table__.c  # type: ignore[attr-defined]
_C = Campaign.__table__.c  # type: ignore[attr-defined]
_L = MailingList.__table__.c  # type: ignore[attr-defined]
_S = Subscriber.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CampaignFigures:
    """One campaign's bounces and complaints (``counts`` by type, deliveries counted once)."""

    campaign_id: int
    issue_slug: str
    list_name: str
    sent: int
    counts: dict[str, int]

    @property
    def complaint_rate(self) -> float:
        """Complaints over accepted messages (0.0 when nothing was sent)."""
        return self.counts.get("complaint", 0) / self.sent if self.sent else 0.0

    @property
    def over_limit(self) -> bool:
        """True when the complaint rate reaches the 0.3 % limit."""
        return self.complaint_rate >= COMPLAINT_LIMIT


@dataclass(frozen=True)
class Suppressed:
    """An address a report suppressed or unsubscribed; ``email`` None once erased."""

    email: str | None
    status: str | None
    why: str
    at: datetime
    issue_slug: str | None
    report_id: int


@dataclass(frozen=True)
class Kept:
    """A message kept for a person: not understood (``kept``) or matched to no delivery (``unmatched``)."""

    report_id: int
    at: datetime
    action: str
    source: str
    subject: str
    reason: str
    dismissed: bool = False


@dataclass(frozen=True)
class Overview:
    """Everything ``bounces report``/``status`` show."""

    campaigns: list[CampaignFigures]
    suppressed: list[Suppressed]
    kept: list[Kept] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    last_at: datetime | None = None


def overview(store: Store, issue_slug: str | None = None, *, dismissed: bool = False) -> Overview:
    """The figures for every campaign, or for the campaigns of ``issue_slug`` (NotFound when it has none).

    ``kept`` lists the messages kept for a person, without those marked
    dealt with (``dismiss``) unless ``dismissed``.
    """
    with store.begin(write=False) as conn:
        campaigns = conn.execute(
            select(_C.id, _C.issue_slug, _L.name).join(MailingList.__table__, _L.id == _C.list_id).order_by(_C.id)  # type: ignore[attr-defined]
            .where(_C.issue_slug == issue_slug if issue_slug else _C.id.is_not(None))
        ).all()
        if issue_slug and not campaigns:
            raise NotFound(f"issue {issue_slug!r} has not been sent to any list", hint="`leadex-mail bounces report` without an issue shows every campaign")
        ids = [c[0] for c in campaigns]
        sent = dict(conn.execute(select(_D.campaign_id, func.count()).where(_D.campaign_id.in_(ids), _D.sent_at.is_not(None)).group_by(_D.campaign_id)).all())  # type: ignore[arg-type]
        rows = conn.execute(
            select(_R.id, _R.campaign_id, _R.delivery_id, _R.kind, _R.action, _R.evidence, _R.received_at, _R.subscriber_id).where(_R.campaign_id.in_(ids))
        ).all()
        suppressed = _suppressed(conn, issue_slug)
        kept = [] if issue_slug else _kept(conn, dismissed)
        actions = dict(conn.execute(select(_R.action, func.count()).group_by(_R.action)).all())  # type: ignore[arg-type]
        last_at = conn.execute(select(func.max(_R.received_at))).scalar()
    figures = [CampaignFigures(cid, slug, list_name, int(sent.get(cid, 0)), _counts([r for r in rows if r[1] == cid])) for cid, slug, list_name in campaigns]
    return Overview(figures, suppressed, kept, actions, last_at)


def report_type(kind: str, action: str, evidence: dict[str, object]) -> str | None:
    """The type a report row counts as (``hard``, ``soft``, ``rejected``, ``complaint``), or None."""
    if kind == "complaint" and action == "unsubscribed":
        return "unverified" if evidence.get("verified") is False else "complaint"
    if kind != "bounce" or action not in ("suppressed", "soft", "rejected"):
        return None
    effect = evidence.get("effect")
    return str(effect) if effect in ("hard", "soft", "rejected") else None


def _counts(rows: list[object]) -> dict[str, int]:
    seen: dict[str, set[object]] = {t: set() for t in TYPES}
    for row in rows:
        kind_ = report_type(row[3], row[4], row[5] or {})  # type: ignore[index]
        if kind_:
            seen[kind_].add(row[2] if row[2] is not None else ("report", row[0]))  # type: ignore[index]
    return {t: len(v) for t, v in seen.items()}


def _suppressed(conn: object, issue_slug: str | None) -> list[Suppressed]:
    query = (
        select(_R.id, _R.received_at, _R.kind, _R.action, _R.status, _R.evidence, _S.email, _S.status, _C.issue_slug)
        .outerjoin(Subscriber.__table__, _S.id == _R.subscriber_id)  # type: ignore[attr-defined]
        .outerjoin(Campaign.__table__, _C.id == _R.campaign_id)  # type: ignore[attr-defined]
        .where(_R.action.in_(("suppressed", "unsubscribed")))
        .order_by(_R.received_at, _R.id)
    )
    if issue_slug:
        query = query.where(_C.issue_slug == issue_slug)
    out: list[Suppressed] = []
    for rid, at, kind, action, status, evidence, email, sub_status, slug in conn.execute(query).all():  # type: ignore[attr-defined]
        out.append(Suppressed(email, sub_status, _why(kind, status, evidence or {}), at, slug, rid))
    return out


def _why(kind: str, status: str | None, evidence: dict[str, object]) -> str:
    if kind == "complaint":
        unverified = "; matched by address only, may be lifted with `subscribers reactivate`" if evidence.get("verified") is False else ""
        return f"complaint ({evidence.get('feedback_type', 'abuse')}, {evidence.get('user_agent') or evidence.get('reporting_mta') or evidence.get('format')}{unverified})"
    findings = evidence.get("findings") or [{}]
    diagnostic = str(findings[0].get("diagnostic", "")) if isinstance(findings, list) and findings else ""  # type: ignore[union-attr]
    if evidence.get("effect") == "soft":
        head = f"soft bounce {status or ''}".strip() + f", {evidence.get('soft_failures')} within the window"
    else:
        head = f"hard bounce {status or ''}".strip()
    return f"{head}: {diagnostic[:160]}" if diagnostic else head


def _kept(conn: object, dismissed: bool) -> list[Kept]:
    # A message removed since (erasure of a person it named, retention) has nothing left to read.
    kept = _R.action.in_(("kept", "unmatched")) & _R.raw.is_not(None)
    query = select(_R.id, _R.received_at, _R.action, _R.source, _R.evidence).where(kept).order_by(_R.received_at, _R.id)
    out: list[Kept] = []
    for rid, at, action, source, evidence in conn.execute(query).all():  # type: ignore[attr-defined]
        evidence = evidence or {}
        if evidence.get("dismissed") and not dismissed:
            continue
        reason = str(evidence.get("reason") or ("no delivery matches it" if action == "unmatched" else "not understood"))
        out.append(Kept(rid, at, action, source, str(evidence.get("subject", "")), reason, bool(evidence.get("dismissed"))))
    return out


def dismiss(store: Store, report_ids: list[int] | None, *, note: str = "", now: datetime | None = None) -> list[int]:
    """Mark kept messages as dealt with, so ``bounces status`` stops listing them; ``None``: every one listed now.

    Raises NotFound for an id that is not a kept or unmatched message.
    Returns the ids marked (those already marked are left as they were).
    """
    from leadex_mail.store.bounces import dismiss_reports
    from leadex_mail.store.models import utcnow

    with store.begin() as conn:
        if report_ids is not None:
            known = {int(r[0]) for r in conn.execute(select(_R.id).where(_R.id.in_(report_ids), _R.action.in_(("kept", "unmatched")))).all()}
            missing = [i for i in report_ids if i not in known]
            if missing:
                raise NotFound(f"no kept message {', '.join(map(str, missing))}", hint="`leadex-mail bounces status` lists the kept messages and their ids")
        return dismiss_reports(conn, report_ids, at=now or utcnow(), note=" ".join(note.split())[:300])


def raw_message(store: Store, report_id: int) -> bytes:
    """The kept bytes of report ``report_id`` (NotFound when there is no such report or nothing was kept)."""
    with store.begin(write=False) as conn:
        row = conn.execute(select(_R.raw, _R.evidence).where(_R.id == report_id)).first()
    if row is None:
        raise NotFound(f"there is no bounce report {report_id}", hint="`leadex-mail bounces status` lists the kept messages")
    removed = (row[1] or {}).get("removed")
    if row[0] is None and removed:
        why = "it named a person whose data was erased" if removed == "erasure" else "it was older than delivery_retention_days"
        raise NotFound(f"bounce report {report_id}: its message was removed ({why}); only how it was classified is kept")
    if row[0] is None:
        raise NotFound(f"bounce report {report_id} was understood and matched; its message was not kept", hint="`leadex-mail subscribers show EMAIL` shows its evidence")
    return bytes(row[0])
