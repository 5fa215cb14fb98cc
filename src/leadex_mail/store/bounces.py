"""The store side of bounce processing: processed reports, and the changes a report makes.

Every function takes the caller's Core ``Connection`` inside its
transaction, so that a report — its row, the delivery's new state, the
subscriber's status, the suppression and the event — is written together
with the others of its batch: a crash leaves them either processed or not
at all (and then they are processed on the next run). Core statements,
not ORM sessions: importing 10 000 reports is dominated by per-statement
overhead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, literal, or_, select, update

from leadex_mail.store.models import BounceReport, Delivery, Event, Subscriber, Subscription, Suppression
from leadex_mail.store.suppression import address_hash

_R = BounceReport.__table__.c  # type: ignore[attr-defined]
_D = Delivery.__table__.c  # type: ignore[attr-defined]
_S = Subscriber.__table__.c  # type: ignore[attr-defined]
_SUP = Suppression.__table__.c  # type: ignore[attr-defined]
EVENT_SOURCE = "bounce-mail"
# Subscriber statuses a bounce turns into "bounced" (an unsubscribe or a complaint says more).
_BOUNCEABLE = ("active", "pending")


# Statements built once with bind parameters: at 10 000 reports, building and
# cache-keying a statement per call costs more than running it.
_SEEN_HASH = select(_R.id).where(_R.content_hash == bindparam("h")).limit(1)
_SEEN_BOTH = select(_R.id).where(or_(_R.content_hash == bindparam("h"), _R.message_id == bindparam("m"))).limit(1)
_INSERT_REPORT = insert(BounceReport.__table__)  # type: ignore[attr-defined]
_FAIL = (
    update(Delivery.__table__)  # type: ignore[attr-defined]
    .where(_D.id == bindparam("d_id"))
    .values(state="failed", error_kind=bindparam("d_kind"), last_reply=bindparam("d_reply"), updated_at=bindparam("d_now"))
)
_SOFT = select(func.count()).where(
    _D.subscriber_id == bindparam("s_id"), _D.error_kind == "soft", _D.updated_at >= bindparam("since"), _D.updated_at <= bindparam("until")
)
_SUBSCRIBER = select(_S.email, _S.status).where(_S.id == bindparam("s_id"))
_BOUNCED = update(Subscriber.__table__).where(_S.id == bindparam("s_id")).values(status="bounced", updated_at=bindparam("s_now"))  # type: ignore[attr-defined]
_SUPPRESSED = select(_SUP.address_hash).where(_SUP.address_hash == bindparam("a_hash"))
_SUPPRESS = insert(Suppression.__table__)  # type: ignore[attr-defined]
_EVENTS = insert(Event.__table__)  # type: ignore[attr-defined]


_REFUSED = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """``value`` with every text in it fit for any backend: NUL removed, undecodable bytes as U+FFFD.

    PostgreSQL refuses NUL in ``text`` and ``\\u0000`` in JSON, and no
    driver can encode the lone surrogates the standard library leaves for
    undecodable 8-bit header bytes. Reports are a stranger's text, so every
    value written from one goes through here (dicts and lists recursively).
    """
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:
            return value
        if _REFUSED.search(value) is None:
            return value
        try:
            data = value.encode("utf-8", "surrogateescape")  # the bytes the standard library could not decode
        except UnicodeEncodeError:
            data = value.encode("utf-8", "replace")
        return data.decode("utf-8", "replace").replace("\x00", "")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value


@dataclass
class Lookups:
    """What a batch's messages would otherwise each ask the database: read once per batch, kept current by its writes.

    ``reports_by_hash``/``reports_by_mid``: reports recorded (before, or
    earlier in the batch); ``deliveries``: ``id -> (id, campaign_id,
    subscriber_id, message_id)`` or None for the ids asked that do not
    exist; ``subscribers``: ``id -> (email, status)`` or None; and which
    suppression hashes exist among those asked (``suppressed``/``checked``).
    """

    reports_by_hash: dict[str, int] = field(default_factory=dict)
    reports_by_mid: dict[str, int] = field(default_factory=dict)
    deliveries: dict[int, tuple[int, int, int | None, str | None] | None] = field(default_factory=dict)
    subscribers: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    pending: list[tuple[int, str, dict[str, Any] | None]] = field(default_factory=list)  # reports to check for erased addresses
    erasures: bool = True  # anyone erased yet (``scrub.any_erasure``)? Until then no report can name someone erased

    @classmethod
    def load(cls, conn: Connection, key: bytes, hashes: list[str], message_ids: list[str], delivery_ids: set[int]) -> Lookups:
        """Four statements for a whole batch: its reports seen before, its deliveries, their subscribers, their suppressions."""
        found = cls()
        for rid, digest, mid in conn.execute(select(_R.id, _R.content_hash, _R.message_id).where(or_(_R.content_hash.in_(hashes), _R.message_id.in_(message_ids or [""])))).all():
            found.reports_by_hash.setdefault(digest, int(rid))
            if mid:
                found.reports_by_mid.setdefault(mid, int(rid))
        found.deliveries = dict.fromkeys(delivery_ids)
        if delivery_ids:
            for row in conn.execute(select(_D.id, _D.campaign_id, _D.subscriber_id, _D.message_id).where(_D.id.in_(delivery_ids))).all():
                found.deliveries[int(row[0])] = (int(row[0]), int(row[1]), row[2], row[3])
        subscriber_ids = {d[2] for d in found.deliveries.values() if d is not None and d[2] is not None}
        found.subscribers = dict.fromkeys(subscriber_ids)
        if subscriber_ids:
            for sid, email, status in conn.execute(select(_S.id, _S.email, _S.status).where(_S.id.in_(subscriber_ids))).all():
                found.subscribers[int(sid)] = (email, status)
        digests = [address_hash(key, sub[0]) for sub in found.subscribers.values() if sub is not None]
        if digests:
            found.suppressed = {row[0] for row in conn.execute(select(_SUP.address_hash).where(_SUP.address_hash.in_(digests))).all()}
        found.checked = set(digests)
        return found

    def check_erased_later(self, report_id: int, text: str, evidence: dict[str, Any] | None) -> None:
        """Remember a report just inserted, to check at the batch's end whether it names an erased address."""
        self.pending.append((report_id, text, evidence))

    def scrub_erased(self, conn: Connection, key: bytes) -> list[int]:
        """``scrub.names_erased`` for every report of the batch at once; those naming an erased address are stripped.

        A report naming someone erased (suppressed, without a subscriber row)
        keeps only its classification (``scrub.keep_classification``) and
        loses its bytes, as erasure leaves one. Two statements a batch
        instead of one or two a report. Returns the ids stripped.
        """
        from leadex_mail.store.scrub import addresses_in, keep_classification
        from leadex_mail.store.suppression import suppressed_hashes

        named = [(rid, {address_hash(key, a): a for a in addresses_in(text)}, evidence) for rid, text, evidence in self.pending]
        self.pending = []
        hashes = sorted({h for _rid, hashed, _e in named for h in hashed})
        suppressed = set(suppressed_hashes(conn, hashes)) if hashes else set()
        addresses = sorted({hashed[h] for _rid, hashed, _e in named for h in hashed if h in suppressed})
        if not addresses:
            return []
        live = {sub[0] for sub in self.subscribers.values() if sub is not None}
        asked = [a for a in addresses if a not in live]
        live |= set(conn.execute(select(_S.email).where(_S.email.in_(asked))).scalars()) if asked else set()
        stripped = []
        for rid, hashed, evidence in named:
            if any(h in suppressed and a not in live for h, a in hashed.items()):
                conn.execute(update(BounceReport.__table__).where(_R.id == rid).values(raw=None, evidence=storable(keep_classification(evidence, "erasure"))))  # type: ignore[attr-defined]
                stripped.append(rid)
        return stripped

    def seen(self, content_hash: str, message_id: str | None) -> int | None:
        """The report recorded with these bytes or this Message-ID, or None."""
        found = self.reports_by_hash.get(content_hash)
        if found is None and message_id:
            found = self.reports_by_mid.get(message_id)
        return found

    def recorded(self, report_id: int, content_hash: str, message_id: str | None) -> None:
        """A report was inserted in this batch: later copies of it are duplicates."""
        self.reports_by_hash.setdefault(content_hash, report_id)
        if message_id:
            self.reports_by_mid.setdefault(storable(message_id), report_id)


def already_processed(conn: Connection, content_hash: str, message_id: str | None, lookups: Lookups | None = None) -> int | None:
    """The id of the report already recorded with these bytes or this Message-ID, or None."""
    if lookups is not None:
        return lookups.seen(content_hash, storable(message_id) if message_id else None)
    if message_id:
        found = conn.execute(_SEEN_BOTH, {"h": content_hash, "m": storable(message_id)}).scalar()
    else:
        found = conn.execute(_SEEN_HASH, {"h": content_hash}).scalar()
    return int(found) if found is not None else None


def add_report(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a ``bounce_report`` row from ``values`` (its columns); return its id."""
    return int(conn.execute(_INSERT_REPORT, storable(values)).inserted_primary_key[0])


def add_events(conn: Connection, events: list[dict[str, Any]]) -> None:
    """Append events (``kind``, ``subscriber_id``, ``detail``, ``at``) from bounce mail to the event log."""
    if events:
        conn.execute(_EVENTS, [storable({**e, "source": EVENT_SOURCE}) for e in events])


def fail_delivery(conn: Connection, delivery_id: int, *, error_kind: str, reply: str, now: datetime) -> None:
    """Record a failure reported after the relay accepted the message (``sent_at`` is kept)."""
    conn.execute(_FAIL, {"d_id": delivery_id, "d_kind": error_kind, "d_reply": storable(reply[:2000]), "d_now": now})


def soft_failures_since(conn: Connection, subscriber_id: int, since: datetime, *, until: datetime) -> int:
    """How many of the subscriber's deliveries failed soft (mailbox full, 4.x.x given up) from ``since`` to ``until``.

    Counted per delivery, from the session's replies and from bounce mail
    alike, so two reports about one message count once; a delivery's
    failure time is its ``updated_at`` (for bounce mail, the report's date).
    """
    return int(conn.execute(_SOFT, {"s_id": subscriber_id, "since": since, "until": until}).scalar() or 0)


def subscriber_exists(conn: Connection, subscriber_id: int, lookups: Lookups | None = None) -> bool:
    """True while the subscriber's row exists (not erased)."""
    return _subscriber(conn, subscriber_id, lookups) is not None


def _subscriber(conn: Connection, subscriber_id: int, lookups: Lookups | None = None) -> tuple[str, str] | None:
    if lookups is not None and subscriber_id in lookups.subscribers:
        return lookups.subscribers[subscriber_id]
    row = conn.execute(_SUBSCRIBER, {"s_id": subscriber_id}).first()
    found = (row[0], row[1]) if row else None
    if lookups is not None:
        lookups.subscribers[subscriber_id] = found
    return found


def _set_status(lookups: Lookups | None, subscriber_id: int, status: str) -> None:
    if lookups is not None and lookups.subscribers.get(subscriber_id) is not None:
        lookups.subscribers[subscriber_id] = (lookups.subscribers[subscriber_id][0], status)  # type: ignore[index]


def _suppress(conn: Connection, key: bytes, email: str, reason: str, now: datetime, lookups: Lookups | None = None) -> None:
    digest = address_hash(key, email)
    if lookups is not None and digest in lookups.checked:
        exists = digest in lookups.suppressed
    else:
        exists = conn.execute(_SUPPRESSED, {"a_hash": digest}).first() is not None
    if not exists:
        conn.execute(_SUPPRESS, {"address_hash": digest, "reason": reason, "created_at": now})
    if lookups is not None:
        lookups.checked.add(digest)
        lookups.suppressed.add(digest)


def suppress_bounced(conn: Connection, key: bytes, subscriber_id: int, *, now: datetime, lookups: Lookups | None = None) -> bool:
    """A bounce that suppresses: status ``bounced`` (unless already blocked harder) and the suppression hash.

    Returns False when the subscriber no longer exists (erased: the hash
    is already suppressed). The caller appends the event (``add_events``).
    """
    sub = _subscriber(conn, subscriber_id, lookups)
    if sub is None:
        return False
    if sub[1] in _BOUNCEABLE:
        conn.execute(_BOUNCED, {"s_id": subscriber_id, "s_now": now})
        _set_status(lookups, subscriber_id, "bounced")
    _suppress(conn, key, sub[0], "bounced", now, lookups)
    return True


def complain(conn: Connection, key: bytes, subscriber_id: int, *, now: datetime, lookups: Lookups | None = None) -> dict[str, Any] | None:
    """A complaint: unsubscribed from every list at once, status ``complained``, suppressed (the caller appends the event).

    Returns what it changed, for the event (``{"was": status before,
    "lists": [[list id, status before], ...]}`` of the subscriptions it ended: what lifting an
    unverified complaint restores), or None when the subscriber no longer
    exists. Nothing but the person's own new confirmed sign-up undoes a
    verified complaint (imports and ``subscribers add`` refuse the address).
    """
    sub = _subscriber(conn, subscriber_id, lookups)
    if sub is None:
        return None
    sc = Subscription.__table__.c  # type: ignore[attr-defined]
    ended = [[int(r[0]), str(r[1])] for r in conn.execute(select(sc.list_id, sc.status).where(sc.subscriber_id == subscriber_id, sc.status != "unsubscribed")).all()]
    if ended:
        conn.execute(update(Subscription.__table__).where(sc.subscriber_id == subscriber_id, sc.status != "unsubscribed").values(status="unsubscribed", updated_at=now))  # type: ignore[attr-defined]
    conn.execute(
        update(Subscriber.__table__).where(_S.id == subscriber_id).values(  # type: ignore[attr-defined]
            status="complained", updated_at=now, unsubscribed_at=func.coalesce(_S.unsubscribed_at, literal(now, type_=_S.unsubscribed_at.type))
        )
    )
    _set_status(lookups, subscriber_id, "complained")
    _suppress(conn, key, sub[0], "complained", now, lookups)
    return {"was": sub[1], "lists": ended}


def dismiss_reports(conn: Connection, report_ids: list[int] | None, *, at: datetime, note: str) -> list[int]:
    """Mark kept or unmatched reports as dealt with (``evidence["dismissed"]``); ``None`` means all of them not yet dismissed.

    Returns the ids marked. The bytes stay (``bounces show`` still prints them).
    """
    query = select(_R.id, _R.evidence).where(_R.action.in_(("kept", "unmatched")))
    if report_ids is not None:
        query = query.where(_R.id.in_(report_ids))
    marked: list[int] = []
    for rid, evidence in conn.execute(query).all():
        evidence = dict(evidence or {})
        if evidence.get("dismissed"):
            continue
        evidence["dismissed"] = {"at": at.isoformat(timespec="seconds"), "note": note}
        conn.execute(update(BounceReport.__table__).where(_R.id == rid).values(evidence=storable(evidence)))  # type: ignore[attr-defined]
        marked.append(int(rid))
    return marked
