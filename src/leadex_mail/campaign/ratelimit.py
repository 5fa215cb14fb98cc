"""Sending rate limits: token buckets per minute and per hour.

``--rate 600/min`` (or ``settings.send_rate``; several limits joined by commas,
``600/min,20000/h``) becomes one bucket per limit. Each bucket refills at
``count / window`` tokens per second and holds at most about one second's
worth (never less than one token), so sending is smooth rather than a burst of
a whole minute's quota followed by silence, which is what receiving servers
tolerate best.

Restarts: a new process seeds each bucket from the deliveries actually sent
in that bucket's window (``Bucket.seed(sent_in_window)``), so killing and
restarting ``send`` never buys a fresh burst beyond the limit.

Several processes, several machines: ``Throttle.share`` keeps the buckets'
state in the store (``store.sendrate``) instead of in the process, so the
configured rate holds for every sender of the store together (two senders at
``--rate 600/min`` send 600 a minute between them, not 1200). Each message
then takes its token in one short transaction; a sender started later, or
restarted, finds the bucket where the others left it.

Time is injected (``clock`` returns seconds, ``sleep`` waits; ``wall`` the
epoch seconds a shared bucket is kept in), so tests run without sleeping.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from contextlib import AbstractContextManager
from typing import Callable, Iterable, MutableMapping, Sequence

from leadex_mail.errors import ConfigError

_WINDOWS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` messages per ``window`` seconds."""

    count: int
    window: float

    def __str__(self) -> str:
        unit = {1.0: "s", 60.0: "min", 3600.0: "h"}.get(self.window, f"{self.window:g}s")
        return f"{self.count}/{unit}"

    @property
    def per_second(self) -> float:
        """The steady rate in messages per second."""
        return self.count / self.window


def parse_rates(text: str | None) -> tuple[Rate, ...]:
    """Parse ``"600/min"``, ``"5000/h"`` or ``"600/min,20000/h"``; None or "" means no limit."""
    if not text:
        return ()
    rates = []
    for part in text.split(","):
        match = _RATE_RE.match(part.lower())
        if not match or match.group(2) not in _WINDOWS or int(match.group(1)) < 1:
            raise ConfigError(
                f"cannot read the sending rate {part.strip()!r}",
                hint="write it as N/min or N/h with N at least 1, e.g. --rate 600/min or --rate 600/min,20000/h",
            )
        rates.append(Rate(int(match.group(1)), _WINDOWS[match.group(2)]))
    return tuple(rates)


class Bucket:
    """One token bucket. Not thread-safe on its own; ``Throttle`` locks around it.

    Tokens may go negative: a reservation taken now is paid for by waiting
    until the bucket has refilled to zero, which keeps waiting threads fair
    (first come, first served) without a queue.
    """

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, float(math.ceil(rate.per_second)))
        self.tokens = self.capacity
        self.updated = now

    def seed(self, sent_in_window: int) -> None:
        """Start from what was already sent in the last window (across restarts)."""
        self.tokens = min(self.capacity, float(self.rate.count - sent_in_window))

    def reserve(self, now: float) -> float:
        """Take one token; return how many seconds to wait before using it."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate.per_second)
        self.updated = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate.per_second


# ``store.sendrate.locked_buckets`` bound to a store: {key: (tokens, at) or None}, locked, written back on exit.
SharedBuckets = Callable[[Sequence[str]], AbstractContextManager[MutableMapping[str, "tuple[float, float] | None"]]]


class Throttle:
    """Every configured limit at once; ``acquire()`` blocks until all allow one more message."""

    def __init__(
        self,
        rates: Iterable[Rate],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self.buckets = [Bucket(rate, now) for rate in rates]
        self._shared: SharedBuckets | None = None
        self._wall: Callable[[], float] = time.time
        self._keys: list[str] = []

    @property
    def rates(self) -> tuple[Rate, ...]:
        """The limits in force (empty: unlimited)."""
        return tuple(b.rate for b in self.buckets)

    def seed(self, sent_in_window: Callable[[float], int]) -> None:
        """Seed each bucket with ``sent_in_window(window_seconds)`` recent sends."""
        for bucket in self.buckets:
            bucket.seed(sent_in_window(bucket.rate.window))

    def share(self, buckets: SharedBuckets, keys: Sequence[str], *, wall: Callable[[], float] = time.time) -> None:
        """Keep the buckets in the store, one per limit under ``keys``: the limits then hold for every process together.

        A bucket no process used yet starts as ``seed`` left it (from what
        was sent in its window). ``wall`` gives seconds since the epoch, the
        one time all senders share.
        """
        if len(keys) != len(self.buckets):
            raise ValueError("one key per limit")
        self._shared, self._keys, self._wall = buckets, list(keys), wall

    def acquire(self) -> float:
        """Wait (with the injected ``sleep``) until one message may go; return the wait.

        Shared buckets: raises ``StoreError`` when the store fails.
        """
        if not self.buckets:
            return 0.0
        with self._lock:
            if self._shared is None:
                now = self._clock()
                wait = max(bucket.reserve(now) for bucket in self.buckets)
            else:
                wait = self._reserve_shared()
        if wait > 0:
            self._sleep(wait)
        return wait

    def _reserve_shared(self) -> float:
        """One token from each bucket as the store holds it, in one locked transaction; the longest wait."""
        now = self._wall()
        assert self._shared is not None
        with self._shared(self._keys) as state:
            waits = []
            for key, bucket in zip(self._keys, self.buckets):
                saved = state[key]
                if saved is not None:
                    bucket.tokens, bucket.updated = saved
                else:  # first use anywhere: as seeded, from now
                    bucket.updated = now
                waits.append(bucket.reserve(max(now, bucket.updated)))  # another machine's clock a little ahead: no refill
                state[key] = (bucket.tokens, bucket.updated)
        return max(waits)

    def describe(self) -> str:
        """``"600/min, 20000/h"`` or ``"unlimited"``, for plans and summaries."""
        return ", ".join(str(r) for r in self.rates) or "unlimited"
