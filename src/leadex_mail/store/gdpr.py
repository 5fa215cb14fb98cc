"""The data subject's rights: access and portability (export), erasure, and purging.

``forget`` (GDPR Art. 17) deletes the person's data everywhere it can be:
the subscriber row (and with it the subscriptions and the confirmation and
privacy mails queued or sent to them), their name, replies, IP and user
agent in the event log, server replies in delivery rows (they may quote the
address), every bounce or complaint report about them or naming the address
(matched to them or not: the kept message and the evidence; ``scrub.py``),
and the test sends to that address. What stays is not personal: anonymous
events and deliveries (kinds, times, states), how each report was
classified, the suppression hash (so the address is never mailed or
imported again) and an ``erased`` event with no subject. On SQLite the deleted bytes are zeroed
(``secure_delete``) and the write-ahead log is checkpointed and emptied.
The same erasure (``erase``) serves the self-service link
(``forget_subscriber``, by row and nonce) and retention
(``store/maintenance.py``).
"""

from __future__ import annotations

import hmac
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from leadex_mail.errors import NotFound
from leadex_mail.store.csvwrite import csv_writer
from leadex_mail.store.db import Store
from leadex_mail.store.events import record_event
from leadex_mail.store.models import (
    Campaign,
    Delivery,
    Event,
    MailingList,
    OutgoingMail,
    Subscriber,
    Subscription,
    TestSend,
    utcnow,
)
from leadex_mail.store.scrub import scrub_reports
from leadex_mail.store.suppression import suppress, suppression_key
from leadex_mail.store.validation import normalise_email

EXPORT_FORMATS = ("json", "csv", "excel")  # excel: the CSV with ";" between cells (store.csvwrite)
# A cell starting with one of these is a formula to Excel, LibreOffice and
# Google Sheets (OWASP "CSV Injection"; NUL from ASVS 5.0 1.2.10).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
CSV_COLUMNS = (
    "email", "name", "language", "status", "created_at", "confirmed_at", "unsubscribed_at", "lists", "attributes", "events", "deliveries", "mails",
)


@dataclass(frozen=True)
class Erasure:
    """What ``forget`` removed."""

    address: str
    subscriber_found: bool
    events_anonymised: int
    deliveries_anonymised: int
    test_sends_deleted: int
    reports_scrubbed: int = 0  # bounce/complaint reports about or naming the person (``store/scrub.py``)


def _anonymise(session: Session, subscriber_ids: list[int]) -> tuple[int, int]:
    """Strip personal data from the events and deliveries of these subscribers.

    Their bounce reports are the caller's to scrub (``scrub.scrub_reports``,
    with the addresses: reports quote them without being linked), before
    the rows are deleted (deleting unlinks the reports).
    """
    events = session.execute(
        update(Event).where(Event.subscriber_id.in_(subscriber_ids)).values(ip=None, user_agent=None, detail={})  # type: ignore[union-attr]
    ).rowcount  # type: ignore[attr-defined]
    deliveries = session.execute(
        update(Delivery).where(Delivery.subscriber_id.in_(subscriber_ids)).values(last_reply=None)  # type: ignore[union-attr]
    ).rowcount  # type: ignore[attr-defined]
    return events, deliveries


def forget(store: Store, email: str, *, source: str = "cli") -> Erasure:
    """Erase everything personal about ``email`` and suppress it for good.

    Works for an address the store never had too: it is suppressed so a
    later import cannot bring it in.
    """
    address = normalise_email(email, allow_smtputf8=True)
    key = suppression_key(store)
    with store.session() as session:
        sub = session.execute(select(Subscriber).where(Subscriber.email == address)).scalars().first()  # type: ignore[arg-type]
        done = erase(session, key, address, sub, source=source)
    store.checkpoint()
    return done


def forget_subscriber(store: Store, subscriber_id: int, link_nonce: str, *, source: str = "web") -> Erasure | None:
    """``forget`` for the subscriber row ``subscriber_id``, only if it is still the row with ``link_nonce``.

    The self-service erasure link's way in: it names a row, not an address,
    and is checked against the row inside the erasing transaction (a row
    erased meanwhile, or another one, is never erased by it). None when
    there is no such row any more.
    """
    key = suppression_key(store)
    with store.session() as session:
        sub = session.get(Subscriber, subscriber_id)
        if sub is None or not hmac.compare_digest(sub.link_nonce.encode(), link_nonce.encode()):
            return None
        done = erase(session, key, sub.email, sub, source=source)
    store.checkpoint()
    return done


def erase(session: Session, key: bytes, address: str, sub: Subscriber | None, *, source: str, reports: bool = True) -> Erasure:
    """Erase one person in the caller's transaction, as ``forget`` does; the caller checkpoints after commit.

    Suppresses the (normalised) ``address`` (a first reason such as
    ``bounced`` is kept), strips their events and deliveries of personal
    data, strips every bounce or complaint report about them or naming the
    address, matched or not (``scrub.scrub_reports``: only how it was
    classified stays), deletes the subscriber row ``sub`` (subscriptions
    and queued or sent confirmation and privacy mails go with it) and the
    test sends to the address, and appends an ``erased`` event that names
    nobody. ``reports=False`` leaves the reports to a caller that erases
    many people at once and scrubs the reports once for all of them.
    """
    suppress(session, key, address, "erased")
    events = deliveries = scrubbed = 0
    ids = [int(sub.id or 0)] if sub is not None else []
    if sub is not None:
        events, deliveries = _anonymise(session, ids)
    if reports:
        scrubbed = scrub_reports(session, [address], ids)  # before the row goes: deleting it unlinks its reports
    if sub is not None:
        session.delete(sub)
    sends = session.execute(
        delete(TestSend).where(func.lower(TestSend.recipient).contains(address, autoescape=True))  # type: ignore[attr-defined]
    ).rowcount  # type: ignore[attr-defined]
    record_event(session, "erased", None, source=source)
    return Erasure(address, sub is not None, events, deliveries, sends, scrubbed)


def purge_pending(store: Store, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete sign-ups never confirmed and untouched for ``older_than`` before ``now``; return how many."""
    return purge_unconfirmed(store, older_than, now=now)[0]


def purge_unconfirmed(store: Store, older_than: timedelta, *, now: datetime | None = None) -> tuple[int, int]:
    """``purge_pending``, also saying how many bounce reports naming those people were stripped: ``(sign-ups, reports)``."""
    cutoff = (now or utcnow()) - older_than
    scrubbed = 0
    with store.session() as session:
        rows = session.execute(
            select(Subscriber.id, Subscriber.email).where(Subscriber.status == "pending", Subscriber.updated_at < cutoff)  # type: ignore[arg-type]
        ).all()
        ids = [int(sid) for sid, _ in rows]
        for start in range(0, len(rows), 500):
            chunk = ids[start : start + 500]
            _anonymise(session, chunk)
            # A confirmation mail that bounced is no delivery: its report names the address, linked to nobody.
            scrubbed += scrub_reports(session, [address for _, address in rows[start : start + 500]], chunk)
            session.execute(delete(Subscriber).where(Subscriber.id.in_(chunk)))  # type: ignore[union-attr]
    if ids:
        store.checkpoint()
    return len(ids), scrubbed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_subscribers(store: Store, email: str | None = None) -> list[dict[str, Any]]:
    """Everything stored about one address (or everyone): profile, lists, events, deliveries, mails from ``serve``.

    Shaped for GDPR Art. 15 (access) and 20 (portability); NotFound when
    ``email`` is given and unknown.
    """
    with store.session(write=False) as session:
        query = select(Subscriber).order_by(Subscriber.email)
        if email is not None:
            address = normalise_email(email, allow_smtputf8=True)
            query = query.where(Subscriber.email == address)
        subs = list(session.execute(query).scalars())
        if email is not None and not subs:
            raise NotFound(f"no subscriber {address}", hint="nothing is stored about this address")
        ids = [s.id for s in subs] if email is not None else None
        lists = _grouped(session, select(Subscription.subscriber_id, MailingList.name, Subscription.status, Subscription.created_at)
                         .join(MailingList, MailingList.id == Subscription.list_id), Subscription.subscriber_id, ids)  # type: ignore[arg-type]
        events = _grouped(session, select(Event.subscriber_id, Event.kind, Event.at, Event.source, Event.ip, Event.user_agent,
                                          Event.consent_version, Event.notice_version, Event.detail).order_by(Event.id),
                          Event.subscriber_id, ids)  # type: ignore[arg-type]
        sent = _grouped(session, select(Delivery.subscriber_id, Campaign.issue_slug, Delivery.language, Delivery.state, Delivery.sent_at)
                        .join(Campaign, Campaign.id == Delivery.campaign_id), Delivery.subscriber_id, ids)  # type: ignore[arg-type]
        mails = _grouped(session, select(OutgoingMail.subscriber_id, OutgoingMail.kind, OutgoingMail.state, OutgoingMail.created_at,
                                         OutgoingMail.sent_at, OutgoingMail.attempts, OutgoingMail.last_reply).order_by(OutgoingMail.id),
                         OutgoingMail.subscriber_id, ids)  # type: ignore[arg-type]
    return [_record(s, lists.get(s.id, []), events.get(s.id, []), sent.get(s.id, []), mails.get(s.id, [])) for s in subs]


def _grouped(session: Session, query: Any, column: Any, ids: list[int] | None) -> dict[int, list[tuple[Any, ...]]]:
    """Rows of ``query`` grouped by their first column (the subscriber id)."""
    if ids is not None:
        query = query.where(column.in_(ids))
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in session.execute(query):
        out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


def _record(
    sub: Subscriber, lists: list[tuple[Any, ...]], events: list[tuple[Any, ...]], sent: list[tuple[Any, ...]], mails: list[tuple[Any, ...]]
) -> dict[str, Any]:
    """One person's export record; ``mails`` are the confirmation and privacy mails ``serve`` sent or queued for them."""
    return {
        "email": sub.email,
        "name": sub.name,
        "language": sub.language,
        "status": sub.status,
        "attributes": sub.attributes,
        "created_at": _iso(sub.created_at),
        "confirmed_at": _iso(sub.confirmed_at),
        "unsubscribed_at": _iso(sub.unsubscribed_at),
        "lists": [{"name": n, "status": st, "since": _iso(at)} for n, st, at in lists],
        "events": [
            {"kind": k, "at": _iso(at), "source": src, "ip": ip, "user_agent": ua, "consent_version": cv, "notice_version": nv, "detail": d}
            for k, at, src, ip, ua, cv, nv, d in events
        ],
        "deliveries": [{"issue": slug, "language": lang, "state": st, "sent_at": _iso(at)} for slug, lang, st, at in sent],
        "mails": [
            {"kind": kind, "state": st, "queued_at": _iso(at), "sent_at": _iso(sent_at), "attempts": n, "server_reply": reply}
            for kind, st, at, sent_at, n, reply in mails
        ],
    }


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a leading ``'`` when it would start a formula (OWASP CSV Injection).

    The quote is what Excel itself puts before text that looks like a
    formula; the spreadsheet hides it, other readers see it.
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_export(records: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """Write export records as JSON (one document) or CSV (``csv``, ``excel``: ``store.csvwrite``; nested parts as JSON cells).

    CSV cells that a spreadsheet would run as a formula get a leading
    ``'`` (``spreadsheet_safe``); JSON is exact.
    """
    if fmt == "json":
        json.dump(list(records), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    writer = csv_writer(out, fmt)  # UTF-8 with its byte order mark, CRLF; "excel": ";" between cells
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        row = dict(rec)
        row["lists"] = ";".join(f"{item['name']}:{item['status']}" for item in rec["lists"])
        for nested in ("attributes", "events", "deliveries", "mails"):
            row[nested] = json.dumps(rec[nested], ensure_ascii=False)
        writer.writerow([spreadsheet_safe(str(row[c])) if row[c] is not None else "" for c in CSV_COLUMNS])


def export_text(store: Store, fmt: str, email: str | None = None) -> str:
    """The export as text in ``fmt`` (json, csv or excel)."""
    buf = io.StringIO()
    write_export(export_subscribers(store, email), fmt, buf)
    return buf.getvalue()
