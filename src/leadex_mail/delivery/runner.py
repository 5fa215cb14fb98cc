"""The campaign runner: send one issue to one list, exactly once per recipient.

``send_campaign`` renders each edition once, builds one ``MessageTemplate``
per edition, queues a delivery per eligible subscriber (``queue.py``), then
runs N worker threads, each with its own transport (N connections). A worker
claims a small batch under a lease, skips anyone who stopped being eligible
since queueing, and for each message waits for the rate limiter, fills the
template, sends, and commits the outcome before sending the next one — so
after ``kill -9`` at most one accepted-but-unrecorded message per worker can
go out twice, and it comes back marked ``uncertain``.

Message-IDs are derived from the campaign and delivery, so a resend after a
crash or a retry carries the same Message-ID as the first attempt (receivers
that deduplicate by Message-ID then show it once).

Policy lives here, not in the transport: retries with exponential backoff and
jitter, hard bounces, pausing after consecutive failures, rate, concurrency.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Mapping

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.delivery import queue
from leadex_mail.delivery.message import MessageTemplate, Recipient, build_template
from leadex_mail.delivery.ratelimit import RateLimiter, parse_rates
from leadex_mail.delivery.transport import SendResult, Transport
from leadex_mail.delivery.transports import ServerFailure, make_transport
from leadex_mail.errors import CampaignError, LeadexError, PermanentFailure, TemporaryFailure
from leadex_mail.render.pipeline import render_edition
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, utcnow
from leadex_mail.store.subscribers import eligible_subscribers, mark_bounced

TransportFactory = Callable[..., Transport]
_BATCH = 20  # deliveries per claim: one short transaction amortised over 20 sends


@dataclass(frozen=True)
class Progress:
    """Where a running send stands, passed to the ``progress`` callback."""

    done: int  # handled in this run: sent, failed or skipped
    total: int  # to handle in this run
    sent: int
    failed: int
    retrying: int
    elapsed: float


@dataclass(frozen=True)
class CampaignPlan:
    """What ``send`` is about to do, for the confirmation prompt."""

    issue_slug: str
    list_name: str
    per_language: dict[str, int]  # deliveries still to send, by edition
    already_sent: int
    transport: str
    rate: str
    concurrency: int
    campaign_status: str | None  # None: a new campaign

    @property
    def total(self) -> int:
        """Messages still to send."""
        return sum(self.per_language.values())


@dataclass
class CampaignReport:
    """The outcome of one ``send`` run (also what ``status`` shows)."""

    campaign_id: int | None
    issue_slug: str
    list_name: str
    status: str  # running | paused | done | dry-run
    counts: dict[str, int]
    sent_now: int = 0
    failed_now: int = 0
    skipped_now: int = 0
    built: int = 0  # dry run: messages built
    elapsed: float = 0.0
    paused_reason: str | None = None
    failures: list[queue.Failure] = field(default_factory=list)
    outbox: Path | None = None

    @property
    def rate(self) -> float:
        """Messages sent per second in this run."""
        return self.sent_now / self.elapsed if self.elapsed > 0 else 0.0


def edition_language(issue: Issue, language: str) -> str:
    """The edition a subscriber of ``language`` gets: theirs, else the issue's default."""
    return language if language in issue.editions else issue.default_language


def describe_transport(settings: Settings, subdir: str) -> str:
    """One line naming where messages go, for plans and summaries."""
    if settings.effective_transport == "outbox":
        return f"outbox (files in {settings.outbox_dir / subdir})"
    return f"smtp {settings.smtp_host}:{settings.effective_smtp_port} ({settings.smtp_security})"


def outbox_subdir(issue_slug: str, list_name: str) -> str:
    """The outbox folder of a campaign: ``<issue>-<list>``."""
    return f"{issue_slug}-{list_name}"


def backoff_delay(attempt: int, base: float, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): exponential, with jitter.

    Half of the delay is fixed, half random ("equal jitter"), so many
    deliveries that failed together do not all come back at the same instant.
    """
    delay = base * (2 ** max(0, attempt - 1))
    return delay / 2 + rng.random() * delay / 2


def _eligible(store: Store, issue: Issue, list_name: str, language: str | None) -> list[tuple[int, str, str, str | None]]:
    """(subscriber_id, edition language, email, name) for everyone who may get this issue."""
    out = []
    for sub in eligible_subscribers(store, list_name):
        edition = edition_language(issue, sub.language)
        if language is None or edition == language:
            out.append((sub.id, edition, sub.email, sub.name))
    return out


def plan_campaign(
    store: Store,
    issue: Issue,
    settings: Settings,
    *,
    list_name: str,
    language: str | None = None,
    rate: str | None = None,
    concurrency: int | None = None,
) -> CampaignPlan:
    """Say what ``send_campaign`` would do, without writing anything."""
    _check_language(issue, language)
    eligible = _eligible(store, issue, list_name, language)
    per_language: dict[str, int] = {}
    already, status = 0, None
    try:
        campaign = queue.find_campaign(store, issue.slug, list_name)
    except LeadexError:
        campaign = None
    done_ids: set[int] = set()
    if campaign is not None:
        status = campaign.status
        done_ids = queue.finished_subscribers(store, campaign.id)  # type: ignore[arg-type]
        already = queue.state_counts(store, campaign.id)["sent"]  # type: ignore[arg-type]
    for sid, edition, _email, _name in eligible:
        if sid not in done_ids:
            per_language[edition] = per_language.get(edition, 0) + 1
    return CampaignPlan(
        issue.slug, list_name, dict(sorted(per_language.items())), already,
        describe_transport(settings, outbox_subdir(issue.slug, list_name)),
        RateLimiter(parse_rates(rate or settings.send_rate)).describe(),
        concurrency or settings.send_concurrency, status,
    )


def _check_language(issue: Issue, language: str | None) -> None:
    if language is not None and language not in issue.editions:
        raise CampaignError(
            f"issue {issue.slug!r} has no {language!r} edition",
            hint=f"editions: {', '.join(sorted(issue.editions))}",
        )


def send_campaign(
    store: Store,
    issue: Issue,
    settings: Settings,
    *,
    list_name: str,
    language: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    resume: bool = False,
    rate: str | None = None,
    concurrency: int | None = None,
    transport_factory: TransportFactory = make_transport,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> CampaignReport:
    """Send ``issue`` to ``list_name`` (or resume it); return what happened.

    ``resume`` refuses to start a new campaign. ``dry_run`` builds every
    message and writes and sends nothing. ``clock``/``sleep`` drive the rate
    limiter and waits for retries, ``now`` the stored times: tests inject them.
    """
    _check_language(issue, language)
    limiter = RateLimiter(parse_rates(rate or settings.send_rate), clock=clock, sleep=sleep)
    workers = concurrency or settings.send_concurrency
    if workers < 1:
        raise CampaignError("concurrency must be at least 1", hint="e.g. --concurrency 2")
    # Everyone is queued; ``language`` only narrows what this run sends, so the
    # campaign stays "running" until the other editions went out too.
    eligible = _eligible(store, issue, list_name, None)
    rendered = {lang: render_edition(issue, lang, settings) for lang in sorted(issue.editions)}
    hashes = {lang: r.content_hash for lang, r in rendered.items()}
    if dry_run:
        chosen = [e for e in eligible if language is None or e[1] == language]
        return _dry_run(store, issue, settings, list_name, rendered, chosen, limit)
    if resume:
        queue.find_campaign(store, issue.slug, list_name)  # NotFound: nothing to resume
    default = rendered[issue.default_language]
    campaign = queue.open_campaign(store, issue.slug, list_name, hashes, default.subject, now=now())
    queue.queue_deliveries(store, campaign, ((sid, lang) for sid, lang, _e, _n in eligible))
    if campaign.status == "paused":
        queue.set_status(store, campaign.id, "running", now=now())  # type: ignore[arg-type]
    templates = {lang: build_template(r, settings, issue.brand, campaign_id=campaign.id) for lang, r in rendered.items()}  # type: ignore[arg-type]
    limiter.seed(lambda window: queue.sent_since(store, now() - timedelta(seconds=window)))
    run = _Run(store, settings, campaign, templates, limiter, language, limit, workers, transport_factory, outbox_subdir(issue.slug, list_name), sleep, now, rng or random.Random(), progress)
    return run.execute(list_name)


def _dry_run(store: Store, issue: Issue, settings: Settings, list_name: str, rendered: Mapping, eligible: list, limit: int | None) -> CampaignReport:
    """Build every message that would go out; write nothing, send nothing."""
    try:
        campaign_id = queue.find_campaign(store, issue.slug, list_name).id or 0
    except LeadexError:
        campaign_id = 0
    templates = {lang: build_template(r, settings, issue.brand, campaign_id=campaign_id) for lang, r in rendered.items()}
    started = time.monotonic()
    built = 0
    counts: dict[str, int] = {}
    for sid, lang, email, name in eligible[:limit]:
        templates[lang].for_recipient(Recipient(sid, email, name))
        built += 1
        counts[lang] = counts.get(lang, 0) + 1
    return CampaignReport(campaign_id or None, issue.slug, list_name, "dry-run", counts, built=built, elapsed=time.monotonic() - started)


class _Run:
    """The shared state of one send: workers, counters, stop and pause decisions."""

    def __init__(
        self, store: Store, settings: Settings, campaign: Campaign, templates: Mapping[str, MessageTemplate],
        limiter: RateLimiter, language: str | None, limit: int | None, workers: int,
        transport_factory: TransportFactory, subdir: str, sleep: Callable[[float], None],
        now: Callable[[], datetime], rng: random.Random, progress: Callable[[Progress], None] | None,
    ) -> None:
        self.store, self.settings, self.campaign, self.templates = store, settings, campaign, templates
        self.campaign_id: int = campaign.id  # type: ignore[assignment]
        self.limiter, self.language, self.workers = limiter, language, workers
        self.transport_factory, self.subdir, self.sleep, self.now, self.rng = transport_factory, subdir, sleep, now, rng
        self.progress = progress
        self.owner = queue.new_owner()
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

    def execute(self, list_name: str) -> CampaignReport:
        """Run the workers to the end (or a pause / Ctrl-C) and report."""
        queue.expire_dead_leases(self.store, self.campaign_id, self.now())
        counts = queue.state_counts(self.store, self.campaign_id)
        self.total = min(queue.unfinished(counts), self.quota) if self.quota is not None else queue.unfinished(counts)
        threads = [threading.Thread(target=self._worker, name=f"send-{i}", daemon=True) for i in range(self.workers)]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except KeyboardInterrupt:
            self.stop.set()
            for t in threads:
                t.join()
            raise
        if self.error is not None:
            raise self.error
        return self._finish(list_name)

    def _finish(self, list_name: str) -> CampaignReport:
        counts = queue.state_counts(self.store, self.campaign_id)
        if self.paused_reason:
            status = "paused"
        elif queue.unfinished(counts) == 0:
            status = "done"
        else:
            status = "running"
        queue.set_status(self.store, self.campaign_id, status, self.paused_reason, now=self.now())
        outbox = self.settings.outbox_dir / self.subdir if self.settings.effective_transport == "outbox" else None
        return CampaignReport(
            self.campaign_id, self.campaign.issue_slug, list_name, status, counts,
            sent_now=self.sent, failed_now=self.failed, skipped_now=self.skipped,
            elapsed=time.monotonic() - self.started, paused_reason=self.paused_reason,
            failures=queue.failures(self.store, self.campaign_id), outbox=outbox,
        )

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

    def _worker(self) -> None:
        transport: Transport | None = None
        held: list[queue.Claimed] = []
        try:
            while not self.stop.is_set():
                n = self._take_quota()
                if n == 0:
                    return
                held = queue.claim(self.store, self.campaign_id, self.owner, n, self.now(), self.lease, language=self.language)
                self._give_back(n - len(held))
                if not held:
                    if self._wait_for_more():
                        continue
                    return
                held = self._skip_ineligible(held)
                while held and not self.stop.is_set():
                    if transport is None:
                        transport = self.transport_factory(self.settings, outbox_subdir=self.subdir)
                    self.limiter.acquire()
                    # Popped first: if recording fails after the server took the
                    # message, the row stays "sending" under our lease and comes
                    # back uncertain, instead of being released as never tried.
                    self._send_one(transport, held.pop(0))
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread)
            self.error = exc
            self.stop.set()
        finally:
            queue.release(self.store, self.owner, [c.delivery_id for c in held], self.now())
            self._give_back(len(held))
            if transport is not None:
                transport.close()

    def _wait_for_more(self) -> bool:
        """Nothing claimable now: wait for the next due retry, or say we are done."""
        left = queue.pending(self.store, self.campaign_id, self.owner, language=self.language)
        if left.waiting_retries and left.next_due is not None:
            wait = (left.next_due - self.now()).total_seconds()
            self.sleep(min(max(wait, 0.01), 5.0))
            return True
        if left.held_elsewhere and queue.expire_dead_leases(self.store, self.campaign_id, self.now()):
            return True
        return False  # rows under another live process's lease are that process's to finish

    def _skip_ineligible(self, claimed: list[queue.Claimed]) -> list[queue.Claimed]:
        gone = [c for c in claimed if not c.eligible]
        if gone:
            queue.mark_skipped(self.store, [c.delivery_id for c in gone], self.owner, now=self.now())
            with self.lock:
                self.skipped += len(gone)
            self._report()
        return [c for c in claimed if c.eligible]

    def message_id(self, delivery_id: int, template: MessageTemplate) -> str:
        """A Message-ID stable across retries and crash resends of one delivery."""
        seed = f"{self.campaign_id}:{self.campaign.created_at.isoformat()}:{delivery_id}".encode()
        digest = hashlib.sha256(self.settings.signing_key() + seed).hexdigest()[:16]
        return f"<lx.{self.campaign_id}.{delivery_id}.{digest}@{template.domain}>"

    def _send_one(self, transport: Transport, c: queue.Claimed) -> None:
        template = self.templates[c.language]
        msg = template.for_recipient(Recipient(c.subscriber_id, c.email, c.name), message_id=self.message_id(c.delivery_id, template))  # type: ignore[arg-type]
        try:
            result = transport.send(msg.envelope_from, [msg.recipient], msg.data)
            _raise_refused(result, msg.recipient)
        except TemporaryFailure as exc:
            self._temporary(c, _reply(exc), server=isinstance(exc, ServerFailure))
        except PermanentFailure as exc:
            self._permanent(c, _reply(exc))
        else:
            queue.mark_sent(self.store, c.delivery_id, reply=result.reply, message_id=msg.message_id, now=self.now())
            with self.lock:
                self.sent += 1
                self.consecutive = 0
        self._report()

    def _temporary(self, c: queue.Claimed, reply: str, *, server: bool) -> None:
        attempt = c.attempts + 1
        now = self.now()
        if attempt >= self.settings.send_max_attempts:
            queue.mark_failed(self.store, c.delivery_id, self.owner, kind="temporary", reply=reply, now=now)
            with self.lock:
                self.failed += 1
        else:
            next_at = now + timedelta(seconds=backoff_delay(attempt, self.settings.send_backoff_seconds, self.rng))
            queue.mark_retry(self.store, c.delivery_id, self.owner, next_at=next_at, reply=reply, now=now)
            with self.lock:
                self.retrying += 1
        if server:
            self._count_server_failure(reply)
        else:
            with self.lock:
                self.consecutive = 0  # the server answered about this recipient: it works

    def _permanent(self, c: queue.Claimed, reply: str) -> None:
        queue.mark_failed(self.store, c.delivery_id, self.owner, kind="permanent", reply=reply, now=self.now())
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
