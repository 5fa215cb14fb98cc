"""Subscribers: adding, double opt-in, unsubscribing, bounces, preferences.

Every function takes the ``Store`` first, runs in one short transaction and
returns model objects (usable after the transaction). The rules that protect
people live here:

- an address that unsubscribed, bounced, complained or was erased is never
  made active again by the operator (``add_subscriber``, import); only the
  person's own new confirmation (``confirm_subscription``) re-activates an
  unsubscribed address;
- bounces, complaints and erasures put the address's keyed hash on the
  suppression list, which outlives the subscriber row;
- every change of consent is appended to the event log.

Erasure, exports and purging live in ``gdpr.py``; listing and counting in
``queries.py``; the web's batched unsubscribe in ``unsubscribe_batch.py``;
all are re-exported here so callers need one module.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from leadex_mail.errors import NotFound, Suppressed
from leadex_mail.store.db import Store
from leadex_mail.store.driver import StoreBusy  # noqa: F401 (re-exported: callers that ask not to wait catch it)
from leadex_mail.store.events import record_event
from leadex_mail.store.gdpr import export_subscribers, forget, purge_pending  # noqa: F401  (re-exported)
from leadex_mail.store.lists import find_list
from leadex_mail.store.models import (
    BLOCKING_STATUSES,
    Event,
    MailingList,
    Subscriber,
    Subscription,
    utcnow,
)
from leadex_mail.store.outgoing import ConfirmationRequest, queue_confirmation
from leadex_mail.store.queries import eligible_subscribers, list_subscribers, stats  # noqa: F401  (re-exported)
from leadex_mail.store.suppression import suppress, suppression_key, suppression_reason, unsuppress
from leadex_mail.store.unsubscribe_batch import UnsubscribeRequest, unsubscribe_many  # noqa: F401  (re-exported)
from leadex_mail.store.validation import (
    clean_attributes,
    clean_language,
    clean_text,
    normalise_email,
)

_SUPPRESSED_HINT = "only the person's own new confirmation (the subscribe form) can re-activate an address"


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this (already normalised) address, inside a session."""
    return session.exec(select(Subscriber).where(Subscriber.email == email)).first()


def get_subscriber(store: Store, email: str, *, allow_smtputf8: bool = True) -> Subscriber:
    """The subscriber with address ``email`` (any spelling); NotFound otherwise."""
    address = normalise_email(email, allow_smtputf8=allow_smtputf8)
    with store.session(write=False) as session:
        sub = find_subscriber(session, address)
    if sub is None:
        raise NotFound(f"no subscriber {address}", hint="`leadex-mail subscribers list` shows who is in the store")
    return sub


def get_subscriber_by_id(store: Store, subscriber_id: int) -> Subscriber:
    """The subscriber with this id; NotFound otherwise (e.g. erased since)."""
    with store.session(write=False) as session:
        sub = session.get(Subscriber, subscriber_id)
    if sub is None:
        raise NotFound(f"no subscriber with id {subscriber_id}")
    return sub


def subscriber_events(store: Store, subscriber_id: int) -> list[Event]:
    """The subscriber's event log, oldest first."""
    with store.session(write=False) as session:
        return list(session.exec(select(Event).where(Event.subscriber_id == subscriber_id).order_by(Event.at, Event.id)))  # type: ignore[arg-type]


def subscriber_lists(store: Store, subscriber_id: int) -> list[tuple[str, str]]:
    """``(list name, subscription status)`` of the subscriber's lists."""
    with store.session(write=False) as session:
        rows = session.exec(
            select(MailingList.name, Subscription.status)
            .join(Subscription, Subscription.list_id == MailingList.id)  # type: ignore[arg-type]
            .where(Subscription.subscriber_id == subscriber_id)
            .order_by(MailingList.name)
        )
        return [(name, status) for name, status in rows]


def _subscribe_lists(session: Session, sub: Subscriber, names: Iterable[str], *, source: str, **evidence: Any) -> list[str]:
    """Put ``sub`` on the named lists (active); return the names newly joined."""
    joined = []
    now = utcnow()
    for name in names:
        item = find_list(session, name)
        row = session.get(Subscription, (sub.id, item.id))
        if row is None:
            session.add(Subscription(subscriber_id=sub.id, list_id=item.id, status="active", created_at=now, updated_at=now))  # type: ignore[arg-type]
        elif row.status != "active":
            row.status, row.updated_at = "active", now
        else:
            continue
        joined.append(item.name)
        record_event(session, "subscribed", sub.id, source=source, list_id=item.id, **evidence)
    return joined


def add_subscriber(
    store: Store,
    email: str,
    *,
    name: str | None = None,
    language: str = "sl",
    lists: Iterable[str] = (),
    status: str = "active",
    source: str = "cli",
    ip: str | None = None,
    user_agent: str | None = None,
    consent_version: str | None = None,
    attributes: dict[str, Any] | None = None,
    allow_smtputf8: bool = False,
) -> Subscriber:
    """Add a subscriber (or add an existing one to more lists) as the operator.

    Refuses (``Suppressed``) an address that is suppressed or unsubscribed:
    the operator cannot re-activate it.
    """
    address = normalise_email(email, allow_smtputf8=allow_smtputf8)
    clean_name = clean_text(name, "the name")
    lang = clean_language(language)
    attrs = clean_attributes(attributes)
    key = suppression_key(store)
    evidence = {"ip": ip, "user_agent": user_agent, "consent_version": consent_version}
    with store.session() as session:
        reason = suppression_reason(session, key, address)
        if reason:
            raise Suppressed(f"{address} is suppressed ({reason}) and cannot be added", hint=_SUPPRESSED_HINT)
        sub = find_subscriber(session, address)
        now = utcnow()
        if sub is None:
            sub = Subscriber(email=address, name=clean_name, language=lang, status=status, attributes=attrs, created_at=now, updated_at=now)
            sub.confirmed_at = now if status == "active" else None
            session.add(sub)
            session.flush()
            record_event(session, "subscribed", sub.id, source=source, detail={"status": status}, **evidence)
        elif sub.status in BLOCKING_STATUSES:
            raise Suppressed(f"{address} is {sub.status} and cannot be re-activated by the operator", hint=_SUPPRESSED_HINT)
        else:
            sub.name = clean_name or sub.name
            sub.language = lang
            sub.attributes = {**sub.attributes, **attrs}
            sub.updated_at = now
            session.add(sub)
        _subscribe_lists(session, sub, lists, source=source, **evidence)
    return sub


# Statuses a person's own confirmed sign-up may turn active again.
_CONFIRMABLE = ("pending", "unsubscribed", "bounced", "complained")


def request_subscription(
    store: Store,
    email: str,
    *,
    name: str | None,
    language: str,
    lists: Iterable[str],
    consent_version: str | None,
    source: str,
    ip: str | None,
    user_agent: str | None,
    allow_smtputf8: bool = False,
    confirmation: ConfirmationRequest | None = None,
    notice_version: str | None = None,
) -> Subscriber | None:
    """Record a sign-up request (double opt-in, step one).

    A new address becomes a *pending* subscriber on the lists; a pending one
    is refreshed. An unsubscribed, bounced or complained one keeps its status
    and remembers the request until it is confirmed; an erased (suppressed)
    address starts again as pending — the person's own confirmation is the
    one way back. Returns None for an address already active, so callers
    answer the same either way. With ``confirmation``, the confirmation
    mail is queued in the same transaction (``outgoing.queue_confirmation``:
    at most one per ``resend_after``). ``notice_version`` is the privacy
    notice shown with the form, recorded beside ``consent_version``.
    """
    address = normalise_email(email, allow_smtputf8=allow_smtputf8)
    request = {"pending": True, "name": clean_text(name, "the name"), "language": clean_language(language), "lists": sorted(set(lists))}
    with store.session() as session:
        for list_name in request["lists"]:
            find_list(session, list_name)  # unknown lists are an error of the caller
        sub = find_subscriber(session, address)
        if sub is not None and sub.status not in _CONFIRMABLE:
            return None
        now = utcnow()
        if sub is None:
            sub = Subscriber(email=address, status="pending", language=request["language"], created_at=now)
        if sub.status == "pending":
            # Only a pending sign-up may be overwritten by an unconfirmed form.
            sub.name, sub.language = request["name"], request["language"]
        sub.updated_at = now
        session.add(sub)
        session.flush()
        record_event(
            session, "subscribed", sub.id, source=source, ip=ip, user_agent=user_agent,
            consent_version=consent_version, notice_version=notice_version, detail=request,
        )
        if confirmation is not None:
            queue_confirmation(session, int(sub.id or 0), confirmation)
    return sub


def _pending_request(session: Session, subscriber_id: int) -> dict[str, Any]:
    """The detail of the latest sign-up request not yet confirmed (or {})."""
    last = session.exec(
        select(Event).where(Event.subscriber_id == subscriber_id, Event.kind.in_(("subscribed", "confirmed"))).order_by(Event.id.desc())  # type: ignore[union-attr,attr-defined]
    ).first()
    if last is None or last.kind != "subscribed" or not last.detail.get("pending"):
        return {}
    return last.detail


def confirm_subscription(
    store: Store,
    subscriber_id: int,
    *,
    ip: str | None,
    user_agent: str | None,
    consent_version: str | None,
    source: str = "web",
    link_nonce: str | None = None,
    notice_version: str | None = None,
) -> Subscriber:
    """Double opt-in, step two: the person confirmed; make them active.

    Pending, unsubscribed, bounced and complained subscribers become active
    on the lists they asked for, and a suppression of the address is lifted:
    this confirmation, from the address itself, is the only path that may do
    that. Confirming twice changes nothing. ``link_nonce`` (from the
    confirmation link) must be the row's, checked in the same transaction:
    a link made for another row confirms nobody (NotFound). The consent and
    privacy notice versions shown are recorded with the confirmation.
    """
    key = suppression_key(store)  # before the write session: it may read the store itself
    with store.session() as session:
        sub = session.get(Subscriber, subscriber_id)
        if sub is None or (link_nonce is not None and not hmac.compare_digest(link_nonce.encode(), sub.link_nonce.encode())):
            raise NotFound(f"no subscriber with id {subscriber_id}", hint="the sign-up may have expired and been purged; subscribe again")
        if sub.status == "active":
            return sub
        if sub.status not in _CONFIRMABLE:
            raise Suppressed(f"subscriber {subscriber_id} is {sub.status} and cannot be confirmed")
        request = _pending_request(session, subscriber_id)
        if sub.status in ("bounced", "complained") and not request:
            raise Suppressed(f"subscriber {subscriber_id} is {sub.status}; only a new sign-up can be confirmed")
        now = utcnow()
        unsuppress(session, key, sub.email)
        if sub.status != "pending" and request:
            sub.name = request.get("name") or sub.name
            sub.language = request.get("language") or sub.language
        sub.status, sub.confirmed_at, sub.unsubscribed_at, sub.updated_at = "active", now, None, now
        session.add(sub)
        evidence = {"consent_version": consent_version, "notice_version": notice_version}
        record_event(session, "confirmed", sub.id, source=source, ip=ip, user_agent=user_agent, **evidence)
        _subscribe_lists(session, sub, request.get("lists", ()), source=source, **evidence)
    return sub


def unsubscribe(
    store: Store, subscriber_id: int, *, source: str, ip: str | None = None, user_agent: str | None = None, list_id: int | None = None
) -> bool:
    """Unsubscribe from one list, or from everything when ``list_id`` is None.

    Idempotent: returns True when something changed, False when it was
    already so (or the subscriber no longer exists).
    """
    now = utcnow()
    with store.session() as session:
        sub = session.get(Subscriber, subscriber_id)
        if sub is None:
            return False
        query = update(Subscription).where(Subscription.subscriber_id == subscriber_id, Subscription.status == "active")  # type: ignore[arg-type]
        if list_id is not None:
            query = query.where(Subscription.list_id == list_id)  # type: ignore[arg-type]
        changed = session.execute(query.values(status="unsubscribed", updated_at=now)).rowcount > 0  # type: ignore[attr-defined]
        if list_id is None and sub.status in ("active", "pending"):
            sub.status, sub.unsubscribed_at, sub.updated_at = "unsubscribed", now, now
            session.add(sub)
            changed = True
        if changed:
            record_event(session, "unsubscribed", subscriber_id, source=source, ip=ip, user_agent=user_agent, list_id=list_id)
    return changed


def mark_bounced(store: Store, subscriber_id: int, *, reply: str | None, hard: bool = True, source: str = "smtp") -> None:
    """Record a bounce; a hard one marks the subscriber bounced and suppresses the address."""
    _mark_undeliverable(store, subscriber_id, "bounced", reply=reply, hard=hard, source=source)


def mark_complained(store: Store, subscriber_id: int, *, source: str = "feedback-loop", detail: str | None = None) -> None:
    """Record a spam complaint: the subscriber is never mailed again."""
    _mark_undeliverable(store, subscriber_id, "complained", reply=detail, hard=True, source=source)


def _mark_undeliverable(store: Store, subscriber_id: int, kind: str, *, reply: str | None, hard: bool, source: str) -> None:
    key = suppression_key(store)
    with store.session() as session:
        sub = session.get(Subscriber, subscriber_id)
        if sub is None:
            return  # erased meanwhile: its hash is already suppressed
        record_event(session, kind, subscriber_id, source=source, detail={"reply": reply, "hard": hard})
        if not hard:
            return
        sub.status, sub.updated_at = kind, utcnow()
        session.add(sub)
        suppress(session, key, sub.email, kind)


def set_preferences(store: Store, subscriber_id: int, *, language: str | None = None, list_names: Iterable[str] | None = None) -> Subscriber:
    """Change the language and/or exactly which lists the subscriber is on.

    Lists not named are unsubscribed. Does not re-activate an unsubscribed
    subscriber (that takes a confirmation).
    """
    now = utcnow()
    with store.session() as session:
        sub = session.get(Subscriber, subscriber_id)
        if sub is None:
            raise NotFound(f"no subscriber with id {subscriber_id}")
        detail: dict[str, Any] = {}
        if language is not None:
            sub.language = detail["language"] = clean_language(language)
        if list_names is not None:
            wanted = {find_list(session, n).id for n in list_names}
            current = session.exec(select(Subscription).where(Subscription.subscriber_id == subscriber_id)).all()
            for row in current:
                row.status, row.updated_at = ("active" if row.list_id in wanted else "unsubscribed"), now
                session.add(row)
            for list_id in wanted - {row.list_id for row in current}:
                session.add(Subscription(subscriber_id=subscriber_id, list_id=list_id, status="active", created_at=now, updated_at=now))  # type: ignore[arg-type]
            detail["lists"] = sorted(list_names)
        sub.updated_at = now
        session.add(sub)
        record_event(session, "preferences", subscriber_id, source="web", detail=detail)
    return sub


def is_suppressed(store: Store, email: str) -> bool:
    """True when ``email`` must not be mailed: on the suppression list, or unsubscribed/bounced/complained."""
    address = normalise_email(email, allow_smtputf8=True)
    key = suppression_key(store)
    with store.session(write=False) as session:
        if suppression_reason(session, key, address):
            return True
        sub = find_subscriber(session, address)
        return sub is not None and sub.status in BLOCKING_STATUSES
