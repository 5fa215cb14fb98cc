"""One rate for every sender of a store (issue 11 item 3), on SQLite and PostgreSQL.

Each "process" here is a ``Throttle`` with a ``Store`` of its own (its own
engine and connections, as another process has), sharing the buckets through
the database. Time is injected: every request arrives at one instant, as the
workers of several senders would, and each request's wait says when its
message may go. The schedule of all of them together must be the rate's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial

import pytest

from leadex_mail.campaign.ratelimit import Throttle, parse_rates
from leadex_mail.store import sendrate
from leadex_mail.store.db import Store, open_store

T0 = 1_775_000_000.0  # seconds since the epoch (2026-04-01)
RATE = "600/min"  # 10 a second, a burst of 10


@pytest.fixture
def senders(settings, store) -> Iterator[list[Store]]:
    """Four stores on the test's database, as four sender processes would open it."""
    opened = [open_store(settings) for _ in range(4)]
    yield opened
    for st in opened:
        st.close()


def throttle(store: Store, rate: str = RATE, *, wall=lambda: T0, seeded: int = 0) -> Throttle:
    """A process's limiter with its buckets in ``store``; it never sleeps (the waits are the schedule)."""
    limiter = Throttle(parse_rates(rate), clock=lambda: 0.0, sleep=lambda s: None)
    limiter.seed(lambda window: seeded)
    limiter.share(partial(sendrate.locked_buckets, store), [sendrate.bucket_key(r.count, r.window) for r in limiter.rates], wall=wall)
    return limiter


def expected_schedule(n: int, burst: int = 10, per_second: float = 10.0) -> list[float]:
    return [0.0] * burst + [round((i + 1) / per_second, 6) for i in range(n - burst)]


def test_senders_taking_turns_share_one_rate(senders) -> None:
    limiters = [throttle(st) for st in senders]
    waits = [limiters[i % 4].acquire() for i in range(60)]
    # 600/min for all four together: the 60th message goes 5 s after the first, as for one sender.
    # Per-process buckets (before) let each of the four send 15 at once: 60 within the first 0.5 s.
    assert sorted(round(w, 6) for w in waits) == expected_schedule(60)


def test_senders_at_once_lose_no_token(senders, backend) -> None:
    """Four senders' threads take 25 tokens each at the same moment: no two get the same slot (no lost update)."""
    limiters = [throttle(st) for st in senders]
    waits: list[float] = []
    guard = threading.Lock()
    start = threading.Barrier(4)

    def sender(limiter: Throttle) -> None:
        start.wait()
        for _ in range(25):
            w = limiter.acquire()
            with guard:
                waits.append(round(w, 6))

    threads = [threading.Thread(target=sender, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(waits) == expected_schedule(100)


def test_a_sender_started_later_finds_the_bucket_where_the_others_left_it(senders) -> None:
    first = throttle(senders[0])
    for _ in range(30):
        first.acquire()  # 10 at once, then 20 owed: the last may go at T0 + 2 s
    later = throttle(senders[1], wall=lambda: T0 + 1.0, seeded=0)  # a new process, one second on
    assert later.acquire() == pytest.approx(1.1)  # behind the 20 owed (1 s left of them), not a fresh burst of 10


def test_the_bucket_refills_while_no_one_sends(senders) -> None:
    first = throttle(senders[0])
    for _ in range(30):
        first.acquire()
    rested = throttle(senders[1], wall=lambda: T0 + 60.0)
    assert [rested.acquire() for _ in range(11)] == [0.0] * 10 + [pytest.approx(0.1)]  # a full burst again, never more


def test_each_limit_has_its_own_bucket(senders) -> None:
    """Changing the rate starts a new bucket, seeded from what was sent in its window (as a restart always was)."""
    for _ in range(30):
        throttle(senders[0]).acquire()
    slower = throttle(senders[1], "20/min", seeded=25)  # 25 sent in the last minute
    assert slower.acquire() == pytest.approx(18.0)  # owes 5 and its own first: 6 / (1/3 per s)
