"""Delivery figures per issue, for project reporting: by list and language, failures, bounces, complaints.

    rows = campaign_figures(store)          # one row per campaign and edition language
    text = figures_csv(rows, zone(settings))  # the same as CSV (spreadsheet-safe cells, times in that zone); "excel": with ;

Read from the store only: one delivery row per recipient per campaign (its
state), and the bounce mailbox's reports (``bounce_report``) where they were
matched to a campaign. Uncertain deliveries (may have arrived twice after a
crash) are counted among the sent and shown apart.

Times are stored in UTC; the CSV gives each in the zone it is asked for
(the ``timezone`` setting: ``campaign.sendtime.zone``) as ISO 8601 with its
offset, ``2026-12-02T03:04+01:00``, so no reader takes a UTC time for a
local one (a14 finding 2; docs/decisions.md, Reporting).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, fields
from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select

from leadex_mail.store.csvwrite import csv_writer
from leadex_mail.store.db import Store
from leadex_mail.store.gdpr import spreadsheet_safe
from leadex_mail.store.models import BounceReport, Campaign, Delivery, MailingList


@dataclass(frozen=True)
class Figures:
    """One campaign's deliveries in one edition language."""

    issue: str
    list: str
    language: str
    started: datetime
    status: str  # done, running, paused, interrupted (stored as running, nobody sends it: resume it)
    recipients: int
    sent: int
    waiting: int
    failed: int
    skipped: int
    uncertain: int
    bounces: int
    complaints: int


def campaign_figures(store: Store, issue_slug: str | None = None) -> list[Figures]:
    """Every campaign (of ``issue_slug``), newest first, split by the edition language each recipient got."""
    d, c, m, b = Delivery.__table__, Campaign.__table__, MailingList.__table__, BounceReport.__table__  # type: ignore[attr-defined]
    query = (
        select(c.c.id, c.c.issue_slug, m.c.name, c.c.created_at, c.c.status, d.c.language, d.c.state, d.c.uncertain, func.count())
        .select_from(d.join(c, c.c.id == d.c.campaign_id).join(m, m.c.id == c.c.list_id))
        .group_by(c.c.id, c.c.issue_slug, m.c.name, c.c.created_at, c.c.status, d.c.language, d.c.state, d.c.uncertain)
    )
    if issue_slug:
        query = query.where(c.c.issue_slug == issue_slug)
    reports = (
        select(b.c.campaign_id, d.c.language, b.c.kind, func.count(func.distinct(b.c.delivery_id)))
        .select_from(b.join(d, d.c.id == b.c.delivery_id))
        .where(b.c.kind.in_(("bounce", "complaint")), b.c.action != "ignored")
        .group_by(b.c.campaign_id, d.c.language, b.c.kind)
    )
    counts: dict[tuple[int, str], dict[str, object]] = {}
    with store.begin(write=False) as conn:
        for cid, slug, list_name, started, status, language, state, uncertain, n in conn.execute(query).all():
            row = counts.setdefault((cid, language), {"issue": slug, "list": list_name, "started": started, "status": status, "states": {}, "uncertain": 0})
            states: dict[str, int] = row["states"]  # type: ignore[assignment]
            states[state] = states.get(state, 0) + n
            if uncertain:
                row["uncertain"] = int(row["uncertain"]) + n  # type: ignore[call-overload]
        found = {(cid, language, kind): n for cid, language, kind, n in conn.execute(reports).all()}
    shown = _shown_statuses(store, counts)
    out = []
    for (cid, language), row in counts.items():
        states = row["states"]  # type: ignore[assignment]
        started = row["started"]
        out.append(
            Figures(
                issue=str(row["issue"]), list=str(row["list"]), language=language,
                started=started if isinstance(started, datetime) else datetime.fromisoformat(str(started)),
                status=shown[cid], recipients=sum(states.values()), sent=states.get("sent", 0),
                waiting=states.get("queued", 0) + states.get("sending", 0) + states.get("retry_wait", 0),
                failed=states.get("failed", 0), skipped=states.get("skipped", 0), uncertain=int(row["uncertain"]),  # type: ignore[call-overload]
                bounces=found.get((cid, language, "bounce"), 0), complaints=found.get((cid, language, "complaint"), 0),
            )
        )
    return sorted(out, key=lambda f: (f.started, f.issue, f.list, f.language), reverse=True)


def _shown_statuses(store: Store, counts: dict[tuple[int, str], dict[str, object]]) -> dict[int, str]:
    """Each campaign's status as people read it (``runner.shown_status``): ``interrupted`` when stored running and nobody sends it."""
    from leadex_mail.campaign.runner import shown_status

    statuses: dict[int, str] = {}
    states: dict[int, dict[str, int]] = {}
    for (cid, _), row in counts.items():
        statuses[cid] = str(row["status"])
        total = states.setdefault(cid, {})
        for state, n in row["states"].items():  # type: ignore[attr-defined]
            total[state] = total.get(state, 0) + n
    return {cid: shown_status(store, cid, status, counts=states[cid]) for cid, status in statuses.items()}


def figures_csv(rows: list[Figures], where: tzinfo | None, kind: str = "csv") -> str:
    """The figures as CSV (header row, UTF-8 with its byte order mark), cells a spreadsheet would run as formulas quoted.

    ``kind``: ``"csv"`` (comma) or ``"excel"`` (semicolon, for Excel set to a
    comma-decimal language; ``store.csvwrite``). ``where``: the zone of the
    times (None: this machine's), each written ISO 8601 with its offset (``local_iso``).
    """
    out = io.StringIO()
    writer = csv_writer(out, kind)
    names = [f.name for f in fields(Figures)]
    writer.writerow(names)
    for row in rows:
        values = [getattr(row, name) for name in names]
        writer.writerow([spreadsheet_safe(local_iso(v, where) if isinstance(v, datetime) else str(v)) for v in values])
    return out.getvalue()


def local_iso(value: datetime, where: tzinfo | None) -> str:
    """A stored time (naive: UTC) in ``where`` (None: this machine's zone), ISO 8601 to the minute with its offset.

    ``2026-12-02T03:04+01:00``; UTC itself as ``+00:00``, never ``Z``, so every row reads alike.
    """
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(where).isoformat(timespec="minutes")
