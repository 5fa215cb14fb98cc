"""Lifting a bounce suppression that was wrong, by the operator, with a reason on record.

A hard bounce suppresses an address for good (``subscribers.mark_bounced``).
When that was a mistake (a relay's refusal misread, a mailbox that exists
again), the operator may make the subscriber active again, and the event log
keeps who did it and why. Only a bounce: an erasure (GDPR Art. 17), an
unsubscribe or a spam complaint is the person's own act, and only the
person's own new, confirmed sign-up undoes it.
"""

from __future__ import annotations

from leadex_mail.errors import InvalidValue, NotFound, StoreError, Suppressed
from leadex_mail.store.db import Store
from leadex_mail.store.events import record_event
from leadex_mail.store.models import Subscriber, utcnow
from leadex_mail.store.subscribers import find_subscriber
from leadex_mail.store.suppression import suppression_key, suppression_reason, unsuppress
from leadex_mail.store.validation import normalise_email

_PERSONS_OWN = "only the person's own new sign-up (the subscribe form, confirmed from the address) can bring it back"


def reactivate_bounced(store: Store, email: str, *, reason: str, source: str = "cli") -> Subscriber:
    """Make a bounced subscriber active again and lift their bounce suppression; return them.

    ``reason`` (required, plain words) goes into the ``reactivated`` event.
    Their subscriptions are as they were before the bounce. Raises
    ``InvalidValue`` (no reason), ``NotFound`` (no such address),
    ``Suppressed`` (erased, unsubscribed or complained: never lifted here)
    and ``StoreError`` (not bounced: nothing to lift).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidValue("a reason is required to lift a bounce", hint='say why, e.g. --reason "relay refused everyone on 2026-05-02 (5.7.1)"')
    address = normalise_email(email, allow_smtputf8=True)
    key = suppression_key(store)  # before the write session: it may read the store itself
    with store.session() as session:
        sub = find_subscriber(session, address)
        why = suppression_reason(session, key, address)
        if sub is None and why:  # a suppression without a subscriber row is what an erasure leaves
            raise Suppressed(f"{address} was erased at the person's request (GDPR Art. 17) and cannot be reactivated", hint=_PERSONS_OWN)
        if sub is None:
            raise NotFound(f"no subscriber {address}", hint="`leadex-mail subscribers list --status bounced` lists the bounced ones")
        # A complaint or an unsubscribe, now or recorded first on the suppression list, is the person's own.
        own = {"unsubscribed": "unsubscribed", "complained": "complained (marked the newsletter as spam)"}
        decision = own.get(sub.status) or own.get(why or "")
        if decision:
            raise Suppressed(f"{address} {decision}: that is the person's decision, not a bounce, and the operator never lifts it", hint=_PERSONS_OWN)
        if sub.status != "bounced":
            raise StoreError(f"{address} is {sub.status}, not bounced: there is no bounce to lift")
        unsuppress(session, key, address)
        sub.status, sub.updated_at = "active", utcnow()
        session.add(sub)
        record_event(session, "reactivated", sub.id, source=source, detail={"reason": reason, "was": "bounced"})
    return sub
