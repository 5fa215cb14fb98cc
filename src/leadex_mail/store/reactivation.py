"""Lifting a bounce suppression that was wrong, by the operator, with a reason on record.

A hard bounce suppresses an address for good (``subscribers.mark_bounced``).
When that was a mistake (a relay's refusal misread, a mailbox that exists
again), the operator may make the subscriber active again, and the event log
keeps who did it and why. Only a bounce: an erasure (GDPR Art. 17), an
unsubscribe or a spam complaint is the person's own act, and only the
person's own new, confirmed sign-up undoes it.

A wrong *wave* of bounces (a relay that refused everyone with a reply that
was misread as "no such mailbox") is lifted in one go by campaign:
``reactivate_campaign_bounces`` takes back the hard bounces recorded against
one issue's deliveries (optionally only those whose reply holds some words),
with the same rules for each person.

One exception: a complaint report matched to the person by address only
(``verified: false`` on every ``complained`` event: nothing in it proved it
was about our mail, so it may be forged) may be lifted like a bounce; the
subscriptions it ended come back as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from leadex_mail.errors import InvalidValue, NotFound, StoreError, Suppressed
from leadex_mail.store.db import Store
from leadex_mail.store.events import record_event
from leadex_mail.store.models import Campaign, Delivery, Event, MailingList, Subscriber, Subscription, utcnow
from leadex_mail.store.subscribers import find_subscriber
from leadex_mail.store.suppression import suppression_key, suppression_reason, unsuppress
from leadex_mail.store.validation import normalise_email

_PERSONS_OWN = "only the person's own new sign-up (the subscribe form, confirmed from the address) can bring it back"


def reactivate_bounced(store: Store, email: str, *, reason: str, source: str = "cli") -> Subscriber:
    """Make a bounced subscriber active again and lift their bounce suppression; return them.

    ``reason`` (required, plain words) goes into the ``reactivated`` event.
    Their subscriptions are as they were before the bounce. Raises
    ``InvalidValue`` (no reason), ``NotFound`` (no such address),
    ``Suppressed`` (erased, unsubscribed or complained: never lifted here,
    but for a complaint matched by address only, which is lifted)
    and ``StoreError`` (not bounced: nothing to lift).
    """
    reason = _reason(reason)
    address = normalise_email(email, allow_smtputf8=True)
    key = suppression_key(store)  # before the write session: it may read the store itself
    with store.session() as session:
        sub = find_subscriber(session, address)
        why = suppression_reason(session, key, address)
        if sub is None and why:  # a suppression without a subscriber row is what an erasure leaves
            raise Suppressed(f"{address} was erased at the person's request (GDPR Art. 17) and cannot be reactivated", hint=_PERSONS_OWN)
        if sub is None:
            raise NotFound(f"no subscriber {address}", hint="`leadex-mail subscribers list --status bounced` lists the bounced ones")
        if sub.status == "complained" and why in (None, "complained"):
            restore = _unverified_complaint(session, sub.id)  # type: ignore[arg-type]
            if restore is not None:
                was, lists = restore
                unsuppress(session, key, address)
                _restore_subscriptions(session, sub.id, lists)  # type: ignore[arg-type]
                sub.status, sub.updated_at = was, utcnow()
                if was in ("active", "pending"):
                    sub.unsubscribed_at = None
                session.add(sub)
                record_event(session, "reactivated", sub.id, source=source, detail={"reason": reason, "was": "complained (unverified report)"})
                return sub
        refusal = _persons_own(sub, why)
        if refusal:
            raise Suppressed(f"{address} {refusal}", hint=_PERSONS_OWN)
        if sub.status != "bounced":
            raise StoreError(f"{address} is {sub.status}, not bounced: there is no bounce to lift")
        _lift(session, key, sub, reason, source)
    return sub


@dataclass(frozen=True)
class WaveReactivation:
    """What ``reactivate_campaign_bounces`` did (or, with ``dry_run``, would do).

    ``reactivated``: addresses made active again, in delivery order;
    ``kept``: (address, why it stays suppressed) for bounced recipients of the
    campaign whose suppression is the person's own decision.
    """

    reactivated: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)


def reactivate_campaign_bounces(
    store: Store, issue_slug: str, *, reason: str, list_name: str | None = None, reply_contains: str | None = None,
    dry_run: bool = False, source: str = "cli",
) -> WaveReactivation:
    """Lift every hard bounce recorded against ``issue_slug``'s deliveries, in one transaction.

    Candidates: deliveries of the issue's campaigns (only to ``list_name``
    when given) that failed as a hard bounce (``error_kind = "permanent"``:
    from the SMTP session or from bounce mail) of subscribers who are still
    ``bounced``; with ``reply_contains``, only those whose recorded reply
    holds those words (case-insensitive). Each gets a ``reactivated`` event
    with ``reason``; an unsubscribe or complaint recorded first is kept.
    Raises ``InvalidValue`` (no reason) and ``NotFound`` (no campaign of that
    issue, or of that issue to that list).
    """
    reason = _reason(reason)
    key = suppression_key(store)
    words = " ".join((reply_contains or "").split()).lower()
    result = WaveReactivation()
    with store.session(write=not dry_run) as session:
        campaigns = select(Campaign.id).where(Campaign.issue_slug == issue_slug)
        if list_name is not None:
            campaigns = campaigns.join(MailingList, MailingList.id == Campaign.list_id).where(MailingList.name == list_name)
        ids = list(session.exec(campaigns).all())
        if not ids:
            target = f"{issue_slug} to the list {list_name!r}" if list_name else issue_slug
            raise NotFound(f"no campaign of {target}", hint="`leadex-mail status` lists the campaigns")
        query = (
            select(Subscriber, Delivery.last_reply)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.campaign_id.in_(ids), Delivery.error_kind == "permanent", Subscriber.status == "bounced")  # type: ignore[attr-defined]
            .order_by(Delivery.id)
        )
        seen: set[int] = set()
        for sub, reply in session.exec(query).all():
            if sub.id in seen or (words and words not in " ".join((reply or "").split()).lower()):
                continue
            seen.add(sub.id)  # type: ignore[arg-type]
            refusal = _persons_own(sub, suppression_reason(session, key, sub.email))
            if refusal:
                result.kept.append((sub.email, refusal))
                continue
            result.reactivated.append(sub.email)
            if not dry_run:
                _lift(session, key, sub, reason, source, campaign=issue_slug)
    return result


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidValue("a reason is required to lift a bounce", hint='say why, e.g. --reason "relay refused everyone on 2026-05-02 (5.7.1)"')
    bad = next((c for c in reason if not c.isprintable()), None)
    if bad is not None:  # an escape sequence would reach every terminal and export that shows the log
        raise InvalidValue(f"the reason contains an invisible control character (U+{ord(bad):04X})", hint="write the reason in plain words")
    return reason


def _persons_own(sub: Subscriber, why: str | None) -> str | None:
    """Why the subscriber's suppression is the person's own decision (never lifted here), or None."""
    # A complaint or an unsubscribe, now or recorded first on the suppression list, is the person's own.
    own = {"unsubscribed": "unsubscribed", "complained": "complained (marked the newsletter as spam)"}
    decision = own.get(sub.status) or own.get(why or "")
    return f"{decision}: that is the person's decision, not a bounce, and the operator never lifts it" if decision else None


def _lift(session: Session, key: bytes, sub: Subscriber, reason: str, source: str, *, campaign: str | None = None) -> None:
    unsuppress(session, key, sub.email)
    sub.status, sub.updated_at = "active", utcnow()
    session.add(sub)
    detail = {"reason": reason, "was": "bounced"} | ({"campaign": campaign} if campaign else {})
    record_event(session, "reactivated", sub.id, source=source, detail=detail)


def _unverified_complaint(session: Session, subscriber_id: int) -> tuple[str, list[list[object]]] | None:
    """``(status before, subscriptions ended)`` when every complaint on record was matched by address only, else None."""
    events = session.exec(select(Event).where(Event.subscriber_id == subscriber_id, Event.kind == "complained").order_by(Event.id)).all()  # type: ignore[arg-type]
    if not events or any((e.detail or {}).get("verified") is not False for e in events):
        return None
    first = events[0].detail or {}
    was = str(first.get("was") or "active")
    if was not in ("active", "pending", "bounced"):
        return None  # they had unsubscribed before: that stays their decision
    lists = [pair for e in events for pair in ((e.detail or {}).get("lists") or [])]
    return was, lists


def _restore_subscriptions(session: Session, subscriber_id: int, lists: list[list[object]]) -> None:
    for list_id, status in lists:
        row = session.exec(select(Subscription).where(Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id)).first()
        if row is not None and row.status == "unsubscribed":
            row.status, row.updated_at = str(status), utcnow()
            session.add(row)
