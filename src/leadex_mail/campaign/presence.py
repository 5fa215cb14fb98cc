"""One send run's presence in the store: its heartbeat, and its looks for dead senders of this host.

``status`` tells a campaign some sender works on from an abandoned one by
the senders' heartbeats and leases (``store.senders``). A run's main thread
renews its heartbeat while the workers send (``beat``), and at once when a
worker starts or stops waiting for the rows other senders hold
(``set_waiting``); the heartbeat goes when the run ends (``leave``).
``take_over_dead`` frees, every few seconds, what dead processes of this
host held, so a sender killed beside a running one costs seconds, not a
whole lease.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Callable

from leadex_mail.errors import StoreError
from leadex_mail.store import senders
from leadex_mail.store.db import Store

DEAD_CHECK = timedelta(seconds=5)  # between looks for dead senders of this host while sending


class Presence:
    """The heartbeat and dead-sender looks of one run of ``campaign_id`` by the process ``owner_prefix``; thread-safe."""

    def __init__(self, store: Store, campaign_id: int, owner_prefix: str, lease: timedelta, now: Callable[[], datetime], wake: threading.Event) -> None:
        self.store, self.campaign_id, self.owner_prefix, self.lease, self.now = store, campaign_id, owner_prefix, lease, now
        self.wake = wake  # set to make the main thread renew the heartbeat at once
        self.lock = threading.Lock()
        self.beaten_at: datetime | None = None  # the last heartbeat written
        self.beaten_waiting = False  # what it said: some worker waits for rows other senders hold
        self.waiting: set[str] = set()  # the workers (owners) that wait for rows other senders hold
        self.dead_checked_at = now()  # the last look for dead senders of this host

    def start(self) -> None:
        """The run begins: take back what dead senders of this host held (all their rows), write the first heartbeat."""
        with self.lock:
            self.dead_checked_at = self.now()
        senders.expire_dead_leases(self.store, self.campaign_id, self.dead_checked_at)
        self.beat()

    def beat(self) -> None:
        """Renew the heartbeat when due, or when what it says about waiting changed (main thread only).

        Advisory: a store error here is left to the workers, whose next
        write meets it too and stops the run properly.
        """
        now = self.now()
        with self.lock:
            waiting = bool(self.waiting)
        every = senders.beat_every(self.lease)
        if self.beaten_at is not None and now < self.beaten_at + every and waiting == self.beaten_waiting:
            return
        try:
            senders.beat(self.store, self.campaign_id, self.owner_prefix, now + 3 * every, waiting=waiting)
            self.beaten_at, self.beaten_waiting = now, waiting
        except StoreError:
            pass

    def leave(self) -> None:
        """The run is over: its heartbeat goes. Raises ``StoreError``."""
        senders.leave(self.store, self.campaign_id, self.owner_prefix, self.now())

    def set_waiting(self, owner: str, waiting: bool) -> None:
        """Whether worker ``owner`` waits for rows other senders hold; a change is written at once."""
        with self.lock:
            changed = (owner in self.waiting) != waiting
            (self.waiting.add if waiting else self.waiting.discard)(owner)
        if changed:
            self.wake.set()  # the main thread renews the heartbeat

    def take_over_dead(self) -> None:
        """Every ``DEAD_CHECK``, in one worker: free what dead processes of this host held, found among the rows in flight.

        (A full look, at every claimed row, runs when a claim comes back empty.)
        """
        now = self.now()
        with self.lock:
            if now < self.dead_checked_at + DEAD_CHECK:
                return
            self.dead_checked_at = now
        senders.expire_dead_leases(self.store, self.campaign_id, now, in_flight_only=True)
