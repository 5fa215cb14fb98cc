"""The worker threads of one campaign send: claim, check, rate-limit, send, record.

``CampaignRun`` starts N threads, each with its own transport (N SMTP
connections). A worker claims a small batch under a lease, skips anyone no
longer eligible, and for each message waits for the rate limiter, fills the
edition's template, marks the row ``sending`` (``Deliveries.start``), sends,
and commits the outcome before the next message. So after ``kill -9`` at
most one message per worker, the one in hand, can go out twice, and it comes
back marked ``uncertain``; the rest of its claim comes back as it was.
A worker whose claims run dry waits for the rows other senders still hold
(their leases end, or they record them) before it ends: no run leaves work
behind that nobody will do. The run's main thread keeps a heartbeat in the
store meanwhile (``presence.py``), for ``status``.

Message-IDs are derived from the campaign and the delivery, so a retry or a
resend after a crash carries the Message-ID of the first attempt (receivers
that deduplicate by Message-ID show it once; ``messageids.py``).

Policy lives here, not in the transport: retries with exponential backoff and
jitter; what a refusal means for the person (``replies.classify``: only a
hard bounce suppresses the address; a soft bounce or a rejection leaves them
alone); pausing after consecutive server failures, or after the same
rejection for many recipients in a row (then it is about the sender, and
those deliveries go back to the queue; ``pauses.py``); and what to do with a message whose
reply was lost after it went out whole (``send_uncertain``: re-send it marked
uncertain, or hold it unsent and uncertain).

Stopping (Ctrl-C, SIGTERM): the caller sets the ``stop`` event; each worker
finishes and records the message in hand, gives back what it claimed and
ends. The main thread waits on per-worker events, not ``Thread.join()``,
which on Python 3.11 may return early after a KeyboardInterrupt.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping

from leadex_mail.campaign.bouncewave import Bounce
from leadex_mail.campaign.messageids import MessageIds
from leadex_mail.campaign.pauses import Pauses
from leadex_mail.campaign.presence import Presence
from leadex_mail.campaign.ratelimit import Throttle
from leadex_mail.campaign.signals import block_stop_signals as _block_stop_signals, restore_signals as _restore_signals
from leadex_mail.config import Settings
from leadex_mail.delivery.message import MessageTemplate, Recipient
from leadex_mail.delivery.replies import Kind, classify
from leadex_mail.delivery.transport import SendResult, Transport
from leadex_mail.errors import PermanentFailure, ServerFailure, StoreError, TemporaryFailure, UncertainDelivery
from leadex_mail.store import campaigns, deliveries, senders
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign
from leadex_mail.store.subscribers import mark_bounced

TransportFactory = Callable[..., Transport]
_BATCH = 50  # deliveries per claim: one short transaction amortised over 50 sends
# Eligibility is read with each claim; a message sent longer than this after
# its claim (slow rate, slow server) is checked again just before it goes out.
_RECHECK_AFTER = 1.0
# Seconds between looks at the rows other senders hold, once ours ran out.
_LOOK_AGAIN = 1.0
RECLAIMED_REPLY = "not sent again: an earlier send stopped while handing it over (it may have arrived); send_uncertain = hold"


@dataclass(frozen=True)
class Progress:
    """Where a running send stands, passed to the ``progress`` callback."""

    done: int  # handled in this run: sent, failed or skipped
    total: int  # to handle in this run
    sent: int
    failed: int
    retrying: int
    elapsed: float
    # Temporary failures waiting for their retry time, as last seen: how many,
    # when the first is due (UTC), and the server's latest temporary reply.
    waiting: int = 0
    next_retry_at: datetime | None = None
    retry_reason: str | None = None


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
    failed: int  # failed for good in this run (those put back in the queue are not counted)
    skipped: int
    elapsed: float
    paused_reason: str | None
    interrupted: bool = False  # stopped on request (Ctrl-C, SIGTERM) before the work was done
    requeue: tuple[int, ...] = ()  # rejected deliveries to put back in the queue (the pause was about the sender)


class CampaignRun:
    """One send's workers and what they share: counters, quota, stop and pause decisions."""

    def __init__(
        self, store: Store, settings: Settings, campaign: Campaign, templates: Mapping[str, MessageTemplate], *,
        limiter: Throttle, language: str | None, limit: int | None, workers: int,
        transport_factory: TransportFactory, subdir: str, clock: Callable[[], float], sleep: Callable[[float], None],
        now: Callable[[], datetime], rng: random.Random, progress: Callable[[Progress], None] | None,
        stop: threading.Event | None = None,
    ) -> None:
        self.store, self.settings, self.campaign, self.templates = store, settings, campaign, templates
        self.campaign_id: int = campaign.id  # type: ignore[assignment]
        self.limiter, self.language, self.workers = limiter, language, workers
        self.transport_factory, self.subdir, self.rng = transport_factory, subdir, rng
        self.clock, self.sleep, self.now = clock, sleep, now
        self.progress = progress
        self.owner_prefix = deliveries.owner_prefix(store)
        self.lease = timedelta(seconds=settings.send_lease_seconds)
        self.batch = self._batch_size(workers)
        self._defer_sent = not limiter.rates  # write a sent row with the next message's start unless a rate may make that wait (rates are fixed for the run)
        self.quota = limit  # messages this run may still claim (None: no limit)
        self.requested = stop or threading.Event()  # the caller's request to stop (signals)
        self.stop = threading.Event()  # our own: a pause or an error
        self.wake = threading.Event()  # a worker ended
        self.lock = threading.Lock()  # counters, quota, pause decisions
        self.sent = self.failed = self.skipped = self.retrying = 0
        self.pauses = Pauses(settings, self.stop)  # runs of failures about the sender (under ``lock``)
        self.waiting, self.next_retry_at, self.retry_reason = 0, None, None  # see Progress (under ``lock``)
        self._looked = 0.0  # time.monotonic() of the last count of waiting retries taken from the store
        self._nap, self.sleep = sleep, self._idle  # a worker with nothing to claim first says what it waits for
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.total = 0
        self.presence = Presence(store, self.campaign_id, self.owner_prefix, self.lease, now, self.wake)  # heartbeat, dead senders

    def _batch_size(self, workers: int) -> int:
        """Claim fewer rows at slow rates so a batch is sent well within its lease."""
        rates = self.limiter.rates
        if not rates:
            return _BATCH
        per_second = min(r.per_second for r in rates)
        return max(1, min(_BATCH, int(per_second * self.settings.send_lease_seconds / 4 / workers)))

    # --- orchestration ---------------------------------------------------------

    def execute(self) -> RunOutcome:
        """Run the workers to the end (or a pause, a stop request, Ctrl-C) and say what they did.

        Raises the first error a worker met (e.g. ``StoreError``: disk full,
        database locked or gone) after every worker has ended and given back
        what it could. A KeyboardInterrupt (no handler turned Ctrl-C into a
        stop request) stops the workers the same way, then propagates.
        """
        self.presence.start()
        left = campaigns.unfinished(campaigns.state_counts(self.store, self.campaign_id))
        self.total = min(left, self.quota) if self.quota is not None else left
        # A small campaign is still spread over every connection.
        self.batch = max(1, min(self.batch, -(-self.total // self.workers)))
        done = [threading.Event() for _ in range(self.workers)]
        # Workers start with SIGINT/SIGTERM blocked, a mask they keep (threads
        # inherit it): the kernel then delivers those signals to the main
        # thread, whose wait they interrupt. Python runs handlers only there;
        # a signal handed to a worker would sit unseen. One that arrives while
        # they start waits until the main thread is ready for it, below.
        mask = _block_stop_signals()
        try:
            try:
                for i in range(self.workers):
                    threading.Thread(target=self._worker, args=(f"{self.owner_prefix}/{i}", done[i]), name=f"send-{i}", daemon=True).start()
            finally:
                _restore_signals(mask)
            self._wait(done)
        except KeyboardInterrupt:
            self.requested.set()  # workers finish the message in hand and give back the rest
            self._wait(done, interruptible=False)
            self._leave()
            raise
        self._leave()
        with self.lock:
            self.pauses.end()  # the send is over: a run of identical bounces shorter than the limit is taken at its word
        try:
            self._suppress_due()
        except Exception as exc:  # noqa: BLE001 (the store may be what failed; the first error is raised below)
            self._keep_error(exc)
        if self.error is not None:
            raise self.error
        requeue = tuple(self.pauses.requeue)
        return RunOutcome(
            self.sent, self.failed - len(requeue), self.skipped, time.monotonic() - self.started, self.pauses.reason,
            interrupted=self.requested.is_set(), requeue=requeue,
        )

    def _wait(self, done: list[threading.Event], *, interruptible: bool = True) -> None:
        """Block until every worker has ended (each sets its event, then ``wake``)."""
        while not all(d.is_set() for d in done):
            try:
                self.wake.wait(1.0)  # the timeout bounds a wake-up the main thread did not get, and paces the heartbeat
                self.wake.clear()
                self.presence.beat()
            except KeyboardInterrupt:
                if interruptible:
                    raise
                # Already stopping: the messages in hand are being finished.

    def _leave(self) -> None:
        try:
            self.presence.leave()
        except StoreError as exc:
            self._keep_error(exc)

    def _stopping(self) -> bool:
        return self.stop.is_set() or self.requested.is_set()

    def _keep_error(self, exc: BaseException) -> None:
        """Remember the first error of any worker and stop them all."""
        with self.lock:
            if self.error is None:
                self.error = exc
        self.stop.set()

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
            if self.next_retry_at is not None and self.next_retry_at <= self.now() and time.monotonic() - self._looked >= 1.0:
                self._look_at_waiting()  # retries came due and are being claimed: the count kept along the way is stale
            with self.lock:
                done = self.sent + self.failed + self.skipped
                waiting = (self.waiting, self.next_retry_at, self.retry_reason) if self.waiting else (0, None, None)
                report = Progress(done, self.total, self.sent, self.failed, self.retrying, time.monotonic() - self.started, *waiting)
            self.progress(report)

    def _look_at_waiting(self) -> None:
        """Take the store's count of retries not yet due, and when the first is due."""
        self._looked = time.monotonic()
        left = campaigns.pending(self.store, self.campaign_id, self.owner_prefix, now=self.now(), language=self.language)
        with self.lock:
            self.waiting, self.next_retry_at = left.waiting_retries, left.next_due

    def _idle(self, seconds: float) -> None:
        """The sleep of a worker waiting for more work (retries not yet due): the pages hear what is awaited first."""
        if self.progress is not None:
            self._look_at_waiting()
            self._report()
        self._nap(seconds)

    # --- one worker ---------------------------------------------------------------

    def _worker(self, owner: str, done: threading.Event) -> None:
        """One thread: claim a batch under ``owner``, send it in id order, repeat."""
        transport: Transport | None = None
        held: list[deliveries.Claimed] = []
        rec: deliveries.Deliveries | None = None
        try:
            rec = deliveries.open_deliveries(self.store)
            while not self._stopping():
                self.presence.take_over_dead()
                n = self._take_quota()
                if n == 0 or self._paused_elsewhere():
                    self._give_back(n)
                    return
                held = rec.claim(self.campaign_id, owner, n, self.now(), self.lease, language=self.language)
                self._give_back(n - len(held))
                if held:
                    self.presence.set_waiting(owner, False)
                if not held:
                    if self._wait_for_more(owner):
                        continue
                    return
                held = self._skip_ineligible(rec, held, owner)
                claimed_at = self.clock()
                while held and not self._stopping():
                    if held[0].reclaimed and self.settings.send_uncertain == "hold":
                        self._hold(rec, held.pop(0), owner, RECLAIMED_REPLY)
                        self._report()
                        continue
                    if transport is None:
                        transport = self.transport_factory(self.settings, outbox_subdir=self.subdir)
                    self.limiter.acquire()
                    if self._stopping():
                        break
                    if self.clock() - claimed_at > _RECHECK_AFTER and not self._recheck(rec, held[0], owner):
                        held.pop(0)
                        continue
                    # Popped first: once started, the row is "sending" under our
                    # lease; if recording fails after the server took the
                    # message, it comes back uncertain, never released as untried.
                    c = held.pop(0)
                    if rec.start(c.delivery_id, owner, self.now(), self.lease):
                        self._send_one(rec, transport, c, owner)
                    # else: our claim ran out (a slow batch) and another sender took the row: it is theirs
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread)
            self._keep_error(exc)
        finally:
            self._finish(rec, owner, held, transport)
            done.set()
            self.wake.set()

    def _finish(self, rec: deliveries.Deliveries | None, owner: str, held: list[deliveries.Claimed], transport: Transport | None) -> None:
        """Give back what was claimed but not attempted, close connections; errors are kept, never raised in a thread."""
        try:
            if rec is not None:
                rec.release(owner, [c.delivery_id for c in held], self.now())
        except BaseException as exc:  # noqa: BLE001 (the store may be what failed: the rows come back after the lease)
            self._keep_error(exc)
        self._give_back(len(held))
        for resource in (rec, transport):
            try:
                if resource is not None:
                    resource.close()
            except BaseException as exc:  # noqa: BLE001
                self._keep_error(exc)

    def _paused_elsewhere(self) -> bool:
        """Another process paused the campaign (e.g. the relay refused it everyone): stop claiming too."""
        reason = campaigns.paused_reason(self.store, self.campaign_id)
        if reason is None:
            return False
        with self.lock:
            self.pauses.pause(reason)
        return True

    def _wait_for_more(self, owner: str) -> bool:
        """The claim came back empty: claim again, wait for the next due retry or other senders' leases, or say we are done.

        Done only when nothing is queued, due, waiting for a retry or leased
        by anyone else. Rows another claim held for a moment (PostgreSQL
        skips locked rows) are claimed again at once. Rows under another
        sender's live lease are waited for: that sender records them, or, if
        it died, its lease runs out and they are claimed here (only the one
        it had in hand uncertain); a dead process of this host is seen at
        once. So no run ends leaving work that nobody will do.
        """
        now = self.now()
        left = campaigns.pending(self.store, self.campaign_id, owner, now=now, language=self.language)
        if left.claimable:
            return True
        if left.held_elsewhere and senders.expire_dead_leases(self.store, self.campaign_id, now):
            return True
        waits: list[tuple[float, float]] = []  # (seconds until, longest sleep)
        if left.waiting_retries and left.next_due is not None:
            waits.append(((left.next_due - now).total_seconds(), 5.0))
        if left.held_elsewhere and left.lease_ends is not None:
            # Look again often: the other sender usually records its rows long before its lease ends.
            waits.append(((left.lease_ends - now).total_seconds(), _LOOK_AGAIN))
        if not waits:
            return False
        self.presence.set_waiting(owner, bool(left.held_elsewhere))
        self.sleep(min(min(max(until, 0.01), cap) for until, cap in waits))
        return True

    def _skip_ineligible(self, rec: deliveries.Deliveries, claimed: list[deliveries.Claimed], owner: str) -> list[deliveries.Claimed]:
        gone = [c for c in claimed if not c.eligible]
        if gone:
            rec.skipped([c.delivery_id for c in gone], owner, now=self.now())
            with self.lock:
                self.skipped += len(gone)
            self._report()
        return [c for c in claimed if c.eligible]

    def _recheck(self, rec: deliveries.Deliveries, c: deliveries.Claimed, owner: str) -> bool:
        """The claim is old (slow rate, slow server): ask the store again before sending."""
        if rec.still_eligible(self.campaign_id, c.subscriber_id):
            return True
        self._skip_ineligible(rec, [dataclasses.replace(c, eligible=False)], owner)
        return False

    def message_id(self, delivery_id: int, template: MessageTemplate) -> str:
        """A Message-ID stable across retries and crash resends of one delivery (``messageids.py``)."""
        return self._message_ids(delivery_id, template.domain)

    @functools.cached_property
    def _message_ids(self) -> MessageIds:
        return MessageIds(self.settings.signing_key(), self.campaign_id, self.campaign.created_at)

    def _send_one(self, rec: deliveries.Deliveries, transport: Transport, c: deliveries.Claimed, owner: str) -> None:
        template = self.templates[c.language]
        recipient = Recipient(c.subscriber_id, c.email, c.name, link_nonce=c.link_nonce)  # type: ignore[arg-type]
        msg = template.for_recipient(recipient, message_id=self.message_id(c.delivery_id, template))
        try:
            result = transport.send(template.return_path(c.delivery_id), [msg.recipient], msg.data, stuffed=msg.wire or None)
            _raise_refused(result, msg.recipient)
        except UncertainDelivery as exc:
            self._uncertain(rec, c, owner, _reply(exc))
        except TemporaryFailure as exc:
            self._temporary(rec, c, owner, _reply(exc), server=isinstance(exc, ServerFailure))
            if getattr(exc, "lasting", False):  # a TlsFailure: nothing goes until the settings change; pause now, saying what to set
                with self.lock:
                    self.pauses.pause(f"{exc.message} (hint: {exc.hint})")
        except PermanentFailure as exc:
            self._permanent(rec, c, owner, _reply(exc))
        else:
            rec.sent(c.delivery_id, reply=result.reply, message_id=msg.message_id, now=self.now(), defer=self._defer_sent)
            with self.lock:
                self.sent += 1
                self.pauses.answered()
        self._suppress_due()
        self._report()

    def _suppress_due(self) -> None:
        """Suppress the hard bounces whose run ended (outside ``lock``: it writes to the store)."""
        with self.lock:
            due = self.pauses.take_due()
        for bounce in due:
            if bounce.subscriber_id is not None:
                mark_bounced(self.store, bounce.subscriber_id, reply=bounce.reply, hard=True)

    def _temporary(self, rec: deliveries.Deliveries, c: deliveries.Claimed, owner: str, reply: str, *, server: bool, uncertain: bool = False) -> None:
        attempt = c.attempts + 1
        now = self.now()
        if attempt >= self.settings.send_max_attempts:
            rec.failed(c.delivery_id, owner, kind="temporary", reply=reply, now=now, uncertain=uncertain)
            with self.lock:
                self.failed += 1
        else:
            next_at = now + timedelta(seconds=backoff_delay(attempt, self.settings.send_backoff_seconds, self.rng))
            rec.retry(c.delivery_id, owner, next_at=next_at, reply=reply, now=now, uncertain=uncertain)
            with self.lock:
                self.retrying += 1
                self.waiting += 1
                self.next_retry_at = min(self.next_retry_at or next_at, next_at)
                self.retry_reason = reply
        with self.lock:
            if server:
                self.pauses.server_failure(reply)
            else:
                self.pauses.answered()

    def _uncertain(self, rec: deliveries.Deliveries, c: deliveries.Claimed, owner: str, reply: str) -> None:
        """No reply after the whole message went out: it may have arrived (RFC 5321 leaves it open).

        ``send_uncertain = "resend"`` (the default, as MTAs do: a missing
        issue is worse than a second copy with the same Message-ID) retries it
        marked uncertain; ``"hold"`` leaves it unsent and uncertain.
        """
        if self.settings.send_uncertain == "hold":
            self._hold(rec, c, owner, reply)
            with self.lock:
                self.pauses.server_failure(reply)
        else:
            self._temporary(rec, c, owner, reply, server=True, uncertain=True)

    def _hold(self, rec: deliveries.Deliveries, c: deliveries.Claimed, owner: str, reply: str) -> None:
        rec.failed(c.delivery_id, owner, kind="uncertain", reply=reply, now=self.now(), uncertain=True)
        with self.lock:
            self.failed += 1

    def _permanent(self, rec: deliveries.Deliveries, c: deliveries.Claimed, owner: str, reply: str) -> None:
        """A refusal for good, by what it means (RFC 3463): hard bounce, soft bounce or rejection."""
        verdict = classify(reply)
        kind = {Kind.HARD_BOUNCE: "permanent", Kind.SOFT_BOUNCE: "soft"}.get(verdict.kind, "rejected")
        rec.failed(c.delivery_id, owner, kind=kind, reply=reply, now=self.now())
        if c.subscriber_id is not None and kind == "soft":
            # A soft bounce is logged and the person kept; a hard one suppresses, once its run allows (bouncewave.py).
            mark_bounced(self.store, c.subscriber_id, reply=reply, hard=False)
        with self.lock:
            self.failed += 1
            if kind == "rejected":
                self.pauses.rejection(c.delivery_id, verdict, reply)
            elif kind == "permanent":
                self.pauses.hard_bounce(Bounce(c.delivery_id, c.subscriber_id, reply), verdict)
            else:
                self.pauses.answered()
        self._suppress_due()


def _reply(exc: Exception) -> str:
    reply = getattr(exc, "reply", None)
    return reply or str(exc)


def _raise_refused(result: SendResult, recipient: str) -> None:
    """A transport that reports a refused recipient instead of raising: classify its reply."""
    if not result.refused:
        return
    reply = result.refused.get(recipient) or next(iter(result.refused.values()))
    if classify(reply).temporary:
        raise TemporaryFailure(f"{recipient} refused for now", reply=reply)
    raise PermanentFailure(f"{recipient} refused", reply=reply)
