"""The suppression list: addresses never to be mailed again, kept as keyed hashes.

The hash is HMAC-SHA256 of the normalised address under a random key made
when the store was created (``Meta.suppression_key``). It survives erasure
(the address itself is deleted) and rotation of ``LEADEX_SECRET_KEY``, and
without the store's key it cannot be tested against guessed addresses.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, select
from sqlmodel import Session

from leadex_mail.errors import StoreError
from leadex_mail.store.db import Store
from leadex_mail.store.models import Meta, Suppression, utcnow

SUPPRESSION_KEY = "suppression_key"


def suppression_key(store: Store) -> bytes:
    """The store's suppression hash key (read once per ``Store``)."""
    cached = store.cache.get(SUPPRESSION_KEY)
    if cached is None:
        with store.begin(write=False) as conn:
            value = conn.execute(select(Meta.__table__.c.value).where(Meta.__table__.c.key == SUPPRESSION_KEY)).scalar()
        if not value:
            raise StoreError("the store has no suppression key", hint="the database is damaged or not a leadex-mail store")
        cached = bytes.fromhex(value)
        store.cache[SUPPRESSION_KEY] = cached
    return cached


def address_hash(key: bytes, email: str) -> str:
    """The suppression hash of an already normalised address."""
    return hmac.new(key, email.encode("utf-8"), hashlib.sha256).hexdigest()


def suppressed_hashes(conn: Connection, hashes: list[str]) -> dict[str, str]:
    """Which of ``hashes`` are suppressed, with their reason (in chunks, for imports)."""
    table = Suppression.__table__
    found: dict[str, str] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        rows = conn.execute(select(table.c.address_hash, table.c.reason).where(table.c.address_hash.in_(chunk)))
        found.update({h: r for h, r in rows})
    return found


def suppression_reason(session: Session, key: bytes, email: str) -> str | None:
    """Why ``email`` is suppressed, or None."""
    row = session.get(Suppression, address_hash(key, email))
    return row.reason if row else None


def suppress(session: Session, key: bytes, email: str, reason: str) -> None:
    """Add ``email`` to the suppression list (keeping the first reason if already there)."""
    digest = address_hash(key, email)
    if session.get(Suppression, digest) is None:
        session.add(Suppression(address_hash=digest, reason=reason, created_at=utcnow()))


def unsuppress(session: Session, key: bytes, email: str) -> bool:
    """Lift the suppression of ``email``: only for the person's own new, confirmed sign-up."""
    row = session.get(Suppression, address_hash(key, email))
    if row is None:
        return False
    session.delete(row)
    return True
