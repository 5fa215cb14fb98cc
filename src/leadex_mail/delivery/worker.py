"""The worker threads of one campaign send: claim, check, rate-limit, send, record.

``CampaignRun`` starts N threads, each with its own transport (N SMTP
connections). A worker claims a small batch under a lease, skips anyone no
longer eligible, and for each message waits for the rate limiter, fills the
edition's template, sends, and commits the outcome before the next message.
So after ``kill -9`` at most one accepted-but-unrecorded message per worker
can go out twice, and it comes back marked ``uncertain``.

Message-IDs are derived from the campaign and the delivery, so a retry or a
resend after a crash carries the Message-ID of the first attempt (receivers
that deduplicate by Message-ID show it once).

Policy lives here, not in the transport: retries with exponential backoff and
jitter, hard bounces, pausing after consecutive server failures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping

from leadex_mail.config import Settings
from leadex_mail.delivery import queue
from leadex_mail.delivery.message import MessageTemplate, Recipient
from leadex_mail.delivery.ratelimit import RateLimiter
from leadex_mail.delivery.transport import SendResult, Transport
from leadex_mail.delivery.transports import ServerFailure
from leadex_mail.errors import PermanentFailure, TemporaryFailure
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign
from leadex_mail.store.subscribers import mark_bounced

TransportFactory = Callable[..., Transport]
_BATCH = 50  # deliveries per claim: one short transaction amortised over 50 sends
# Eligibility is read with each claim; a message sent longer than this after
# its claim (slow rate, slow server) is checked again just before it goes out.
_RECHECK_AFTER = 1.0


@dataclass(frozen=True)
class Progress:
    """Where a running send stands, passed to the ``progress`` callback."""

    done: int  # handled in this run: sent, failed or skipped
    total: int  # to handle in this run
    sent: int
    failed: int
    retrying: int
    elapsed: float


def backoff_delay(attempt: int, base: float, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): exponential, with jitter.

    Half of the delay is fixed, half random ("equal jitter"), so many
    deliveries that failed together do not all come back at the same instant.
    """
    delay = base * (2 ** max(0, attempt - 1))
    return delay / 2 + rng.random() * delay / 2


@dataclass(frozen=True)
class RunOutcome:
    """What one run's workers did."""

    sent: int
    failed: int
    skipped: int
    elapsed: float
    paused_reason: str | None


class CampaignRun:
    """One send's workers and what they share: counters, quota, stop and pause decisions."""

    def __init__(
        self, store: Store, settings: Settings, campaign: Campaign, templates: Mapping[str, MessageTemplate], *,
        limiter: RateLimiter, language: str | None, limit: int | None, workers: int,
        transport_factory: TransportFactory, subdir: str, clock: Callable[[], float], sleep: Callable[[float], None],
        now: Callable[[], datetime], rng: random.Random, progress: Callable[[Progress], None] | None,
    ) -> None:
        self.store, self.settings, self.campaign, self.templates = store, settings, campaign, templates
        self.campaign_id: int = campaign.id  # type: ignore[assignment]
        self.limiter, self.language, self.workers = limiter, language, workers
        self.transport_factory, self.subdir, self.rng = transport_factory, subdir, rng
        self.clock, self.sleep, self.now = clock, sleep, now
        self.progress = progress
        self.owner_prefix = queue.new_owner().split("/")[0]
        self.lease = timedelta(seconds=settings.send_lease_seconds)
        self.batch = self._batch_size(workers)
        self.quota = limit  # messages this run may still claim (None: no limit)
        self.stop = threading.Event()
        self.lock = threading.Lock()  # counters, quota, consecutive failures
        self.sent = self.failed = self.skipped = self.retrying = self.consecutive = 0
        self.paused_reason: str | None = None
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.total = 0

    def _batch_size(self, workers: int) -> int:
        """Claim fewer rows at slow rates so a batch is sent well within its lease."""
        rates = self.limiter.rates
        if not rates:
            return _BATCH
        per_second = min(r.per_second for r in rates)
        return max(1, min(_BATCH, int(per_second * self.settings.send_lease_seconds / 4 / workers)))

    # --- orchestration ---------------------------------------------------------

    def execute(self) -> RunOutcome:
        """Run the workers to the end (or a pause, or Ctrl-C) and say what they did."""
        queue.expire_dead_leases(self.store, self.campaign_id, self.now())
        left = queue.unfinished(queue.state_counts(self.store, self.campaign_id))
        self.total = min(left, self.quota) if self.quota is not None else left
        # A small campaign is still spread over every connection.
        self.batch = max(1, min(self.batch, -(-self.total // self.workers)))
        threads = [threading.Thread(target=self._worker, args=(f"{self.owner_prefix}/{i}",), name=f"send-{i}", daemon=True) for i in range(self.workers)]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except KeyboardInterrupt:
            self.stop.set()  # workers finish the message in hand and give back the rest
            for t in threads:
                t.join()
            raise
        if self.error is not None:
            raise self.error
        return RunOutcome(self.sent, self.failed, self.skipped, time.monotonic() - self.started, self.paused_reason)

    def _take_quota(self) -> int:
        with self.lock:
            if self.quota is None:
                return self.batch
            n = min(self.batch, self.quota)
            self.quota -= n
            return n

    def _give_back(self, n: int) -> None:
        with self.lock:
            if self.quota is not None:
                self.quota += n

    def _report(self) -> None:
        if self.progress is not None:
            done = self.sent + self.failed + self.skipped
            self.progress(Progress(done, self.total, self.sent, self.failed, self.retrying, time.monotonic() - self.started))

    # --- one worker ---------------------------------------------------------------

    def _worker(self, owner: str) -> None:
        """One thread: claim a batch under ``owner``, send it in id order, repeat."""
        transport: Transport | None = None
        held: list[queue.Claimed] = []
        rec = queue.Recorder(self.store)
        try:
            while not self.stop.is_set():
                n = self._take_quota()
                if n == 0:
                    return
                held = rec.claim(self.campaign_id, owner, n, self.now(), self.lease, language=self.language)
                self._give_back(n - len(held))
                if not held:
                    if self._wait_for_more(owner):
                        continue
                    return
                held = self._skip_ineligible(rec, held, owner)
                claimed_at = self.clock()
                while held and not self.stop.is_set():
                    if transport is None:
                        transport = self.transport_factory(self.settings, outbox_subdir=self.subdir)
                    self.limiter.acquire()
                    if self.clock() - claimed_at > _RECHECK_AFTER and not self._recheck(rec, held[0], owner):
                        held.pop(0)
                        continue
                    # Popped first: if recording fails after the server took the
                    # message, the row stays "sending" under our lease and comes
                    # back uncertain, instead of being released as never tried.
                    self._send_one(rec, transport, held.pop(0), owner)
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread)
            self.error = exc
            self.stop.set()
        finally:
            rec.release(owner, [c.delivery_id for c in held], self.now())
            rec.close()
            self._give_back(len(held))
            if transport is not None:
                transport.close()

    def _wait_for_more(self, owner: str) -> bool:
        """Nothing claimable now: wait for the next due retry, or say we are done."""
        left = queue.pending(self.store, self.campaign_id, owner, language=self.language)
        if left.waiting_retries and left.next_due is not None:
            wait = (left.next_due - self.now()).total_seconds()
            self.sleep(min(max(wait, 0.01), 5.0))
            return True
        if left.held_elsewhere and queue.expire_dead_leases(self.store, self.campaign_id, self.now()):
            return True
        return False  # rows under another live process's lease are that process's to finish

    def _skip_ineligible(self, rec: queue.Recorder, claimed: list[queue.Claimed], owner: str) -> list[queue.Claimed]:
        gone = [c for c in claimed if not c.eligible]
        if gone:
            rec.skipped([c.delivery_id for c in gone], owner, now=self.now())
            with self.lock:
                self.skipped += len(gone)
            self._report()
        return [c for c in claimed if c.eligible]

    def _recheck(self, rec: queue.Recorder, c: queue.Claimed, owner: str) -> bool:
        """The claim is old (slow rate, slow server): ask the store again before sending."""
        if rec.still_eligible(self.campaign_id, c.subscriber_id):
            return True
        self._skip_ineligible(rec, [dataclasses.replace(c, eligible=False)], owner)
        return False

    def message_id(self, delivery_id: int, template: MessageTemplate) -> str:
        """A Message-ID stable across retries and crash resends of one delivery."""
        seed = f"{self.campaign_id}:{self.campaign.created_at.isoformat()}:{delivery_id}".encode()
        digest = hashlib.sha256(self.settings.signing_key() + seed).hexdigest()[:16]
        return f"<lx.{self.campaign_id}.{delivery_id}.{digest}@{template.domain}>"

    def _send_one(self, rec: queue.Recorder, transport: Transport, c: queue.Claimed, owner: str) -> None:
        template = self.templates[c.language]
        recipient = Recipient(c.subscriber_id, c.email, c.name, link_nonce=c.link_nonce)  # type: ignore[arg-type]
        msg = template.for_recipient(recipient, message_id=self.message_id(c.delivery_id, template))
        try:
            result = transport.send(msg.envelope_from, [msg.recipient], msg.data)
            _raise_refused(result, msg.recipient)
        except TemporaryFailure as exc:
            self._temporary(rec, c, owner, _reply(exc), server=isinstance(exc, ServerFailure))
        except PermanentFailure as exc:
            self._permanent(rec, c, owner, _reply(exc))
        else:
            rec.sent(c.delivery_id, reply=result.reply, message_id=msg.message_id, now=self.now())
            with self.lock:
                self.sent += 1
                self.consecutive = 0
        self._report()

    def _temporary(self, rec: queue.Recorder, c: queue.Claimed, owner: str, reply: str, *, server: bool) -> None:
        attempt = c.attempts + 1
        now = self.now()
        if attempt >= self.settings.send_max_attempts:
            rec.failed(c.delivery_id, owner, kind="temporary", reply=reply, now=now)
            with self.lock:
                self.failed += 1
        else:
            next_at = now + timedelta(seconds=backoff_delay(attempt, self.settings.send_backoff_seconds, self.rng))
            rec.retry(c.delivery_id, owner, next_at=next_at, reply=reply, now=now)
            with self.lock:
                self.retrying += 1
        if server:
            self._count_server_failure(reply)
        else:
            with self.lock:
                self.consecutive = 0  # the server answered about this recipient: it works

    def _permanent(self, rec: queue.Recorder, c: queue.Claimed, owner: str, reply: str) -> None:
        rec.failed(c.delivery_id, owner, kind="permanent", reply=reply, now=self.now())
        if c.subscriber_id is not None:
            mark_bounced(self.store, c.subscriber_id, reply=reply, hard=True)
        with self.lock:
            self.failed += 1
            self.consecutive = 0

    def _count_server_failure(self, reply: str) -> None:
        """Pause after ``send_pause_after_failures`` server/connection failures in a row."""
        limit = self.settings.send_pause_after_failures
        with self.lock:
            self.consecutive += 1
            if self.consecutive >= limit and self.paused_reason is None:
                self.paused_reason = f"{self.consecutive} connection or server failures in a row; last: {reply}"
                self.stop.set()


def _reply(exc: Exception) -> str:
    reply = getattr(exc, "reply", None)
    return reply or str(exc)


def _raise_refused(result: SendResult, recipient: str) -> None:
    """A transport that reports a refused recipient instead of raising: classify its reply."""
    if not result.refused:
        return
    reply = result.refused.get(recipient) or next(iter(result.refused.values()))
    if reply.strip().startswith("5"):
        raise PermanentFailure(f"{recipient} refused", reply=reply)
    raise TemporaryFailure(f"{recipient} refused for now", reply=reply)
