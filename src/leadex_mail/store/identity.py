"""Which subscriber row a personal link was made for, and whether it still is that row.

A personal link's signed payload (``tokens.py``) names a subscriber by id
``s`` and, since migration 0005, by the row's random ``link_nonce`` as
``n``. Ids are never reused (``models.py``), and the nonce also tells a row
apart from one with the same id in a re-created or restored store: a link
whose nonce differs from the row's acts on nobody.

Links sent before migration 0005 carry no nonce ("legacy" links). They keep
working where they cannot name anyone else (docs/decisions.md, "Links are
bound to the row they were made for"):

- only for ids up to ``meta.legacy_links_max_subscriber_id``, the highest id
  when the store was upgraded (higher ids belonged to rows erased before the
  upgrade, and may have been given to someone new since);
- unsubscribe and view links only when that campaign really was sent to that
  subscriber (a delivery row (``c``, ``s``) exists; an erased person's
  deliveries lose their subscriber id, so a reused id has none of theirs);
- confirmation links never: they expire within days anyway, and a legacy
  one accepted for the wrong row is the double opt-in bypass itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select

from leadex_mail.store.db import Store
from leadex_mail.store.models import Delivery, Meta, Subscriber

LEGACY_KEY = "legacy_links_max_subscriber_id"
_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]


def link_is_for(store: Store, purpose: str, payload: Mapping[str, Any], row_nonce: str) -> bool:
    """True when a verified link's ``payload`` was made for the row whose ``link_nonce`` is ``row_nonce``.

    ``payload["s"]`` must be that row's id (the caller looked the row up by
    it). Bound links are compared in constant time, without touching the
    store; legacy links follow the rules in the module docstring.
    """
    if "n" in payload:
        given = payload["n"]
        return isinstance(given, str) and hmac.compare_digest(given.encode(), row_nonce.encode())
    return _legacy_link_is_for(store, purpose, payload)


def _legacy_link_is_for(store: Store, purpose: str, payload: Mapping[str, Any]) -> bool:
    subscriber_id = payload.get("s")
    if purpose == "confirm" or not isinstance(subscriber_id, int) or subscriber_id > legacy_limit(store):
        return False
    if purpose in ("unsubscribe", "view"):
        return _was_sent(store, payload.get("c"), subscriber_id)
    return True


def legacy_limit(store: Store) -> int:
    """The highest subscriber id a link without a nonce may name (0: none, e.g. a store made after 0005)."""
    found = store.cache.get(LEGACY_KEY)
    if found is None:
        with store.session(write=False) as session:
            row = session.get(Meta, LEGACY_KEY)
        found = store.cache[LEGACY_KEY] = int(row.value) if row is not None else 0
    return int(found)


def _was_sent(store: Store, campaign_id: object, subscriber_id: int) -> bool:
    """True when campaign ``campaign_id`` has a delivery row for ``subscriber_id``."""
    if not isinstance(campaign_id, int) or campaign_id <= 0:
        return False
    query = select(exists().where(_DELIVERY.c.campaign_id == campaign_id, _DELIVERY.c.subscriber_id == subscriber_id))
    with store.begin(write=False) as conn:
        return bool(conn.execute(query).scalar())


def linked_subscriber(store: Store, purpose: str, payload: Mapping[str, Any]) -> Subscriber | None:
    """The subscriber a verified link names; None when that row is gone or is not the one it was made for."""
    subscriber_id = payload.get("s")
    if not isinstance(subscriber_id, int) or isinstance(subscriber_id, bool):
        return None
    with store.session(write=False) as session:
        sub = session.get(Subscriber, subscriber_id)
    if sub is None or not link_is_for(store, purpose, payload, sub.link_nonce):
        return None
    return sub
