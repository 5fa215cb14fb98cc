"""What the bounce tests (and bench/bounce_bench.py) share: the corpus, a store seeded to match it.

The corpus's reports name deliveries by the campaign engine's Message-IDs,
``<lx.1.{d}.{d:016d}@news.example.org>``, and people ``person{d}@…``: the
seeded store has exactly those rows (campaign 1, delivery and subscriber
``d``), all sent.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, Delivery, MailingList, Subscriber, Subscription

CORPUS = Path(__file__).resolve().parent / "corpus"
ISSUE_SLUG = "2026-04-leadex-01"
SUBJECT = "LeadEx novice 1"
DOMAIN = "news.example.org"
# person number -> domain, as the corpus's reports spell the addresses
DOMAINS = {1: "example.com", 2: "example.com", 3: "example.net", 4: "example.com", 5: "example.org", 6: "example.net", 7: "example.com",
           8: "example.org", 9: "example.com", 10: "example.net", 11: "example.com", 12: "example.org", 13: "example.org",
           14: "yahoo.example", 15: "example.com", 16: "yahoo.example", 17: "example.com", 18: "example.com", 19: "example.net",
           20: "example.org", 21: "example.com", 22: "example.com", 24: "example.com", 25: "example.org",
           26: "example.org"}


# The return path the corpus's VERP report (26) was sent from: bounces+<token signed with this key>@news.example.org.
VERP_ENV = {"LEADEX_BOUNCE_ADDRESS": "bounces@news.example.org", "LEADEX_VERP": "true", "LEADEX_SECRET_KEY": "corpus-verp-key"}


def corpus_settings(settings):  # type: ignore[no-untyped-def]
    """``settings`` with the corpus's return path (bounce address, VERP, the key its token was signed with)."""
    import dataclasses

    return dataclasses.replace(settings, bounce_address="bounces@news.example.org", verp=True, secret_key="corpus-verp-key")


def corpus_files() -> list[Path]:
    """The corpus's messages, in file-name order."""
    return sorted(CORPUS.glob("*.eml"))


def address(d: int) -> str:
    """The address of corpus person ``d``."""
    return f"person{d}@{DOMAINS[d]}"


def message_id(campaign_id: int, delivery_id: int) -> str:
    """The Message-ID the corpus uses for a delivery (the engine's form, a fixed digest)."""
    return f"<lx.{campaign_id}.{delivery_id}.{delivery_id:016d}@{DOMAIN}>"


def seed(store: Store, *, sent_at: datetime | None = None) -> None:
    """Lists ``newsletter`` and ``partners``, everyone on both, campaign 1 with one sent delivery each."""
    at = sent_at or datetime(2026, 5, 5, 7, 0).astimezone()
    with store.begin() as conn:
        conn.execute(insert(MailingList.__table__), [{"id": 1, "name": "newsletter", "title": "Newsletter", "description": "", "created_at": at},
                                                     {"id": 2, "name": "partners", "title": "Partners", "description": "", "created_at": at}])
        conn.execute(insert(Subscriber.__table__), [_person(d, at) for d in DOMAINS])
        conn.execute(insert(Subscription.__table__), [{"subscriber_id": d, "list_id": lst, "status": "active", "created_at": at, "updated_at": at}
                                                      for d in DOMAINS for lst in (1, 2)])
        conn.execute(insert(Campaign.__table__), [{"id": 1, "issue_slug": ISSUE_SLUG, "list_id": 1, "content_hash": "{}", "subject": SUBJECT,
                                                   "status": "done", "created_at": at, "updated_at": at}])
        conn.execute(insert(Delivery.__table__), [_delivery(1, d, d, at) for d in DOMAINS])
    _advance_sequences(store)


def add_campaign(store: Store, campaign_id: int, slug: str, subscriber_ids: list[int], *, first_delivery: int, at: datetime) -> dict[int, int]:
    """Another sent campaign on ``newsletter``; returns ``{subscriber: delivery id}``."""
    ids = {s: first_delivery + i for i, s in enumerate(subscriber_ids)}
    with store.begin() as conn:
        conn.execute(insert(Campaign.__table__), [{"id": campaign_id, "issue_slug": slug, "list_id": 1, "content_hash": "{}", "subject": slug,
                                                   "status": "done", "created_at": at, "updated_at": at}])
        conn.execute(insert(Delivery.__table__), [_delivery(campaign_id, d, s, at) for s, d in ids.items()])
    _advance_sequences(store)
    return ids


def _person(d: int, at: datetime) -> dict[str, object]:
    return {"id": d, "email": address(d), "name": f"Oseba {d}", "language": "sl", "status": "active", "attributes": {},
            "created_at": at, "confirmed_at": at, "updated_at": at}


def _delivery(campaign_id: int, delivery_id: int, subscriber_id: int, at: datetime) -> dict[str, object]:
    return {"id": delivery_id, "campaign_id": campaign_id, "subscriber_id": subscriber_id, "language": "sl", "state": "sent", "attempts": 1,
            "last_reply": "250 2.0.0 Ok: queued", "message_id": message_id(campaign_id, delivery_id), "uncertain": False,
            "created_at": at, "updated_at": at, "sent_at": at}


def _advance_sequences(store: Store) -> None:
    """PostgreSQL: move the id sequences past the explicit ids used here."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.begin() as conn:
        for table in ("mailing_list", "subscriber", "campaign", "delivery"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def delivery_of(name: str) -> int | None:
    """The corpus person/delivery number in a file's expected row (``person12`` -> 12)."""
    found = re.search(r"person(\d+)", name)
    return int(found.group(1)) if found else None


def days(n: float) -> timedelta:
    """``timedelta(days=n)``."""
    return timedelta(days=n)
