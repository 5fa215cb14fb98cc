"""The store side of bounce processing: processed reports, and the changes a report makes.

Every function takes the caller's ``Session`` so that one report — its row,
the delivery's new state, the subscriber's status, the suppression and the
event — is written in one transaction: a crash leaves the report either
fully processed or not at all (and then it is processed on the next run).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from leadex_mail.store.events import record_event
from leadex_mail.store.models import BounceReport, Delivery, Subscriber, Subscription
from leadex_mail.store.suppression import suppress

_R = BounceReport.__table__.c  # type: ignore[attr-defined]
_D = Delivery.__table__.c  # type: ignore[attr-defined]
EVENT_SOURCE = "bounce-mail"
# Subscriber statuses a bounce turns into "bounced" (an unsubscribe or a complaint says more).
_BOUNCEABLE = ("active", "pending")


def already_processed(session: Session, content_hash: str, message_id: str | None) -> int | None:
    """The id of the report already recorded with these bytes or this Message-ID, or None."""
    condition = _R.content_hash == content_hash
    if message_id:
        condition = or_(condition, _R.message_id == message_id)
    found = session.execute(select(_R.id).where(condition).limit(1)).scalar()
    return int(found) if found is not None else None


def add_report(session: Session, row: BounceReport) -> BounceReport:
    """Insert ``row`` and give it its id (flushed, not committed)."""
    session.add(row)
    session.flush()
    return row


def fail_delivery(session: Session, delivery_id: int, *, error_kind: str, reply: str, now: datetime) -> None:
    """Record a failure reported after the relay accepted the message (``sent_at`` is kept)."""
    session.execute(
        update(Delivery).where(_D.id == delivery_id).values(state="failed", error_kind=error_kind, last_reply=reply[:2000], updated_at=now)
    )


def soft_failures_since(session: Session, subscriber_id: int, since: datetime) -> int:
    """How many of the subscriber's deliveries failed soft (mailbox full, 4.x.x given up) since ``since``.

    Counted per delivery, from the session's replies and from bounce mail
    alike, so two reports about one message count once.
    """
    query = select(func.count()).select_from(Delivery.__table__).where(  # type: ignore[attr-defined]
        _D.subscriber_id == subscriber_id, _D.error_kind == "soft", _D.updated_at >= since
    )
    return int(session.execute(query).scalar() or 0)


def suppress_bounced(session: Session, key: bytes, subscriber_id: int, *, evidence: dict[str, Any], now: datetime) -> bool:
    """A bounce that suppresses: status ``bounced`` (unless already blocked harder), the suppression hash, an event.

    Returns False when the subscriber no longer exists (erased: the hash
    is already suppressed).
    """
    sub = session.get(Subscriber, subscriber_id)
    if sub is None:
        return False
    if sub.status in _BOUNCEABLE:
        sub.status, sub.updated_at = "bounced", now
        session.add(sub)
    suppress(session, key, sub.email, "bounced")
    record_event(session, "bounced", subscriber_id, source=EVENT_SOURCE, detail={**evidence, "hard": True})
    return True


def note_bounce(session: Session, subscriber_id: int, *, evidence: dict[str, Any]) -> bool:
    """A bounce that does not suppress (soft, below the limit): only the event."""
    if session.get(Subscriber, subscriber_id) is None:
        return False
    record_event(session, "bounced", subscriber_id, source=EVENT_SOURCE, detail={**evidence, "hard": False})
    return True


def complain(session: Session, key: bytes, subscriber_id: int, *, evidence: dict[str, Any], now: datetime) -> bool:
    """A complaint: unsubscribed from every list at once, status ``complained``, suppressed, one event.

    Nothing but the person's own new confirmed sign-up undoes it (imports
    and ``subscribers add`` refuse a complained address).
    """
    sub = session.get(Subscriber, subscriber_id)
    if sub is None:
        return False
    session.execute(
        update(Subscription).where(Subscription.subscriber_id == subscriber_id, Subscription.status != "unsubscribed").values(  # type: ignore[arg-type]
            status="unsubscribed", updated_at=now
        )
    )
    sub.status, sub.updated_at = "complained", now
    sub.unsubscribed_at = sub.unsubscribed_at or now
    session.add(sub)
    suppress(session, key, sub.email, "complained")
    record_event(session, "complained", subscriber_id, source=EVENT_SOURCE, detail=evidence)
    return True
