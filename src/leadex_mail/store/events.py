"""The append-only consent and event log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from leadex_mail.store.models import Event, utcnow


def record_event(
    session: Session,
    kind: str,
    subscriber_id: int | None,
    *,
    source: str,
    ip: str | None = None,
    user_agent: str | None = None,
    consent_version: str | None = None,
    notice_version: str | None = None,
    detail: dict[str, Any] | None = None,
    list_id: int | None = None,
) -> Event:
    """Append one event (never updated afterwards, except by erasure)."""
    event = Event(
        subscriber_id=subscriber_id,
        kind=kind,
        at=utcnow(),
        source=source,
        ip=ip,
        user_agent=(user_agent or None) and user_agent[:1000],
        consent_version=consent_version,
        notice_version=notice_version,
        detail=detail or {},
        list_id=list_id,
    )
    session.add(event)
    return event
