"""Importing a 10 000-message mbox of mixed bounce reports vs a plain ``mailbox`` + ``email`` parse of the same file.

    python bench/bounce_bench.py [--n 10000]

The mbox is made from the test corpus (DSNs of several MTAs, non-standard
bounces, ARF complaints, auto-replies, messages not understood), each copy
naming a delivery of its own, into a real SQLite store seeded with a sent
campaign to 10 000 people, so every report is parsed, matched, acted on
and committed as in production. The baseline reads the same file with
``mailbox.mbox`` and parses each message with ``email.message_from_bytes``,
in this run, so the ratio holds whatever the machine's load.
"""

from __future__ import annotations

import argparse
import email
import mailbox
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "bounces"))

from bounce_helpers import DOMAINS, corpus_files, message_id  # noqa: E402

from leadex_mail.bounces.service import import_paths  # noqa: E402
from leadex_mail.config import Settings  # noqa: E402
from leadex_mail.store.db import open_store  # noqa: E402
from leadex_mail.store.models import Campaign, Delivery, MailingList, Subscriber, Subscription  # noqa: E402

_PERSON = re.compile(rb"person(\d+)@")


def make_mbox(path: Path, n: int) -> None:
    """``n`` messages cycling through the corpus, message ``i`` about delivery/person ``i`` (1-based)."""
    templates = [(int(f.name[:2]), f.read_bytes()) for f in corpus_files()]
    box = mailbox.mbox(path, create=True)
    box.lock()
    try:
        for i in range(1, n + 1):
            d, raw = templates[(i - 1) % len(templates)]
            if d in DOMAINS:
                raw = raw.replace(message_id(1, d).encode(), message_id(1, i).encode()).replace(f"person{d}@{DOMAINS[d]}".encode(), f"person{i}@example.org".encode())
            # Each report a Message-ID (and bytes) of its own, as in a real mailbox.
            raw = re.sub(rb"(?im)^(Message-I[dD]: <)", rb"\g<1>b" + str(i).encode() + rb".", raw, count=1)
            box.add(raw)
    finally:
        box.unlock()
        box.close()


def seed(settings: Settings, n: int) -> None:
    """A list, ``n`` subscribers and a sent campaign with one delivery each (Message-IDs as the reports name them)."""
    at = datetime(2026, 5, 5, 7, 0, tzinfo=UTC)
    store = open_store(settings)
    with store.begin() as conn:
        conn.execute(insert(MailingList.__table__), [{"id": 1, "name": "newsletter", "title": "", "description": "", "created_at": at}])
        conn.execute(insert(Subscriber.__table__), [{"id": i, "email": f"person{i}@example.org", "language": "sl", "status": "active", "attributes": {},
                                                     "created_at": at, "updated_at": at} for i in range(1, n + 1)])
        conn.execute(insert(Subscription.__table__), [{"subscriber_id": i, "list_id": 1, "status": "active", "created_at": at, "updated_at": at} for i in range(1, n + 1)])
        conn.execute(insert(Campaign.__table__), [{"id": 1, "issue_slug": "bench", "list_id": 1, "content_hash": "{}", "subject": "LeadEx novice 1",
                                                   "status": "done", "created_at": at, "updated_at": at}])
        conn.execute(insert(Delivery.__table__), [{"id": i, "campaign_id": 1, "subscriber_id": i, "language": "sl", "state": "sent", "attempts": 1,
                                                   "message_id": message_id(1, i), "uncertain": False, "created_at": at, "updated_at": at, "sent_at": at}
                                                  for i in range(1, n + 1)])
    store.close()


def baseline(path: Path) -> float:
    """Seconds for ``mailbox.mbox`` + ``email.message_from_bytes`` over every message."""
    start = time.perf_counter()
    box = mailbox.mbox(path, create=False)
    for key in box.iterkeys():
        email.message_from_bytes(box.get_bytes(key))
    box.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mbox = folder / "bounces.mbox"
        make_mbox(mbox, args.n)
        settings = Settings(database_url=f"sqlite:///{folder / 'subscribers.db'}")
        seed(settings, args.n)
        base = baseline(mbox)
        store = open_store(settings)
        start = time.perf_counter()
        summary = import_paths(store, settings, [mbox])
        took = time.perf_counter() - start
        store.close()
    rate = args.n / took
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"mbox: {args.n} messages, {mbox.stat().st_size / 1e6 if mbox.exists() else 0:.1f} MB" if False else f"mbox: {args.n} messages")
    print(f"baseline mailbox + email parse: {base:.2f} s ({args.n / base:.0f} messages/s)")
    print(f"bounces import (parse, match, act, commit each): {took:.2f} s = {rate:.0f} reports/s  ({took / base:.1f}x the baseline)  target >= 500/s {'OK' if rate >= 500 else 'MISSED'}")
    print(f"outcomes: {dict(sorted(summary.actions.items()))}")


if __name__ == "__main__":
    main()
