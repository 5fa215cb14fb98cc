"""The campaign runner: send one issue to one list, exactly once per recipient.

Once per recipient per issue, too: someone on two lists who has the issue
from its campaign to one list is not queued by its campaign to the other
(``store.campaigns.queue_eligible``); plans, reports and ``status`` say how
many (``store.overlap``).

``send_campaign`` renders each edition once, builds one ``MessageTemplate``
per edition, opens (or resumes) the campaign and queues one delivery per
eligible subscriber (``store.campaigns``), then hands over to the worker
threads (``workers.py``) and reports per-state counts. ``plan_campaign`` says what a
send would do, for the confirmation prompt; ``campaign_status`` and
``retry_campaign`` serve the ``status`` and ``retry`` commands.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field, replace
from functools import partial
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Mapping

from leadex_mail.campaign.ratelimit import Rate, Throttle, parse_rates
from leadex_mail.campaign.workers import CampaignRun, Progress, TransportFactory, backoff_delay  # noqa: F401 (re-exported)
from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.delivery.message import Recipient, build_template
from leadex_mail.delivery.transport import make_transport
from leadex_mail.errors import CampaignError, LeadexError, NotFound, SendStopped
from leadex_mail.preflight import check_sending
from leadex_mail.render.pipeline import render_edition
from leadex_mail.store import campaigns, senders, sendrate
from leadex_mail.store.db import Store
from leadex_mail.store.languages import edition_for
from leadex_mail.store.lists import get_list
from leadex_mail.store.models import Campaign, utcnow
from leadex_mail.store.overlap import OtherList, delivered_elsewhere, joined_since, owned_elsewhere
from leadex_mail.store.subscribers import eligible_subscribers


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
    # People on the list whose delivery of the issue belongs to its campaign to another list: not sent it again.
    other_lists: tuple[OtherList, ...] = ()
    # Resuming: of ``per_language``, the people this campaign never queued (they joined the list since it started); they get it too.
    joined: int = 0
    route: Route | None = None  # ``transport`` as facts, for a face that says it in its own words (the studio)
    rates: tuple[Rate, ...] = ()  # ``rate`` as facts: every limit (none: unlimited)

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
    other_lists: tuple[OtherList, ...] = ()  # as in ``CampaignPlan``: left to the issue's campaigns to other lists
    elapsed: float = 0.0
    paused_reason: str | None = None
    interrupted: bool = False  # stopped on request (Ctrl-C, SIGTERM); the rest is back in the queue
    failures: list[campaigns.Failure] = field(default_factory=list)
    outbox: Path | None = None
    held_elsewhere: int = 0  # deliveries under live leases of other senders when this run ended (store.senders)

    @property
    def rate(self) -> float:
        """Messages sent per second in this run."""
        return self.sent_now / self.elapsed if self.elapsed > 0 else 0.0


def edition_language(issue: Issue, language: str) -> str:
    """The edition a subscriber of ``language`` gets: theirs (RFC 4647 lookup: ``en-GB`` gets ``en``), else the issue's default."""
    return edition_for(language, issue.editions, issue.default_language)


@dataclass(frozen=True)
class Route:
    """Where a send's messages go, as facts: ``kind`` ``"outbox"`` (files in ``folder``) or ``"smtp"`` (to ``host``:``port``,
    ``security`` one of ``"starttls"``, ``"tls"``, ``"none"``: the ``smtp_security`` setting).

    ``str()`` is the command line's line (``describe_transport``); the studio says the facts from its catalogs.
    """

    kind: str
    folder: Path | None = None
    host: str = ""
    port: int = 0
    security: str = ""

    def __str__(self) -> str:
        if self.kind == "outbox":
            return f"outbox (files in {self.folder})"
        return f"smtp {self.host}:{self.port} ({self.security})"


def transport_route(settings: Settings, subdir: str) -> Route:
    """Where messages of the campaign with outbox folder ``subdir`` go (``outbox_subdir``), as facts."""
    if settings.effective_transport == "outbox":
        return Route("outbox", folder=settings.outbox_dir / subdir)
    return Route("smtp", host=settings.smtp_host or "", port=settings.effective_smtp_port, security=settings.smtp_security)


def describe_transport(settings: Settings, subdir: str) -> str:
    """One line naming where messages go, for plans and summaries (the command line's words of ``transport_route``)."""
    return str(transport_route(settings, subdir))


def outbox_subdir(issue_slug: str, list_name: str) -> str:
    """The outbox folder of a campaign: ``<issue>-<list>``."""
    return f"{issue_slug}-{list_name}"


def _eligible(store: Store, issue: Issue, list_name: str, language: str | None) -> list[tuple[int, str, str, str | None, str]]:
    """(subscriber_id, edition language, email, name, link_nonce) for everyone who may get this issue."""
    out = []
    for sub in eligible_subscribers(store, list_name):
        edition = edition_language(issue, sub.language)
        if language is None or edition == language:
            out.append((sub.id, edition, sub.email, sub.name, sub.link_nonce))
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
    """Say what ``send_campaign`` would do, without writing anything.

    Raises what ``send_campaign`` would refuse, before anyone confirms:
    ``ConfigError`` when the settings may not send over SMTP
    (``preflight.check_sending``); ``ChangedAfterSend`` when the issue
    changed after some of this campaign's messages went out (its editions
    are rendered to compare, only then); ``CampaignError`` when the
    campaign's delivery records were anonymised; ``NotFound`` for no such list.
    """
    check_sending(settings)
    _check_language(issue, language)
    list_id: int = get_list(store, list_name).id  # type: ignore[assignment]
    already, status, campaign_id, joined = 0, None, None, 0
    try:
        campaign = campaigns.find_campaign(store, issue.slug, list_name)
        campaigns.refuse_anonymised(campaign)
        status, campaign_id = campaign.status, campaign.id
        counts = campaigns.state_counts(store, campaign.id)  # type: ignore[arg-type]
        already = counts["sent"]
        joined = joined_since(store, issue.slug, list_id, campaign.id)  # type: ignore[arg-type]
        if already or counts["sending"]:  # open_campaign would refuse an issue changed since: say it now
            hashes = {lang: render_edition(issue, lang, settings).content_hash for lang in sorted(issue.editions)}
            campaigns.check_unchanged(store, campaign.id, hashes)  # type: ignore[arg-type]
    except NotFound:
        campaigns.refuse_forgotten_issue(store, issue.slug, list_id)  # as opening the campaign would
    per_language: dict[str, int] = {}
    for own, n in campaigns.todo_by_language(store, list_id, campaign_id, issue.slug).items():
        edition = edition_language(issue, own)
        if language is None or edition == language:
            per_language[edition] = per_language.get(edition, 0) + n
    route = transport_route(settings, outbox_subdir(issue.slug, list_name))
    throttle = Throttle(parse_rates(rate or settings.send_rate))
    return CampaignPlan(
        issue.slug, list_name, dict(sorted(per_language.items())), already,
        str(route), throttle.describe(),
        concurrency or settings.send_concurrency, status,
        tuple(delivered_elsewhere(store, issue.slug, list_id, campaign_id)), joined if language is None else 0,
        route=route, rates=throttle.rates,
    )


def edition_versions(issue: Issue, settings: Settings) -> tuple[dict[str, str], str]:
    """({language: content hash} of every edition as rendered now, the default edition's subject): what opens its campaign."""
    rendered = {lang: render_edition(issue, lang, settings) for lang in sorted(issue.editions)}
    return {lang: r.content_hash for lang, r in rendered.items()}, rendered[issue.default_language].subject


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
    sleep: Callable[[float], object] | None = None,
    now: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    by_hand: str | None = None,
) -> CampaignReport:
    """Send ``issue`` to ``list_name`` (or resume it); return what happened.

    ``by_hand``: the actor of a send started by a person (the studio's "Send
    now", the command line's ``send``), not by a ``worker``: a send scheduled
    for this (issue, list) is replaced -- removed as the campaign opens, in the
    same transaction as its ``send_unschedule`` audit entry
    (``store.campaigns.open_campaign``) -- so no worker takes the send over.

    ``resume`` refuses to start a new campaign. ``dry_run`` builds every
    message and writes and sends nothing. ``clock``/``sleep`` drive the rate
    limiter and waits for retries, ``now`` the stored times: tests inject them
    (the default sleep ends early when ``stop`` is set).

    ``stop``: set it (e.g. from a SIGINT/SIGTERM handler) to end the run
    early: the messages in hand are finished and recorded, the rest given
    back; the report says ``interrupted``.

    Raises ``SendStopped`` (wrapping e.g. a ``StoreError``: disk full,
    database locked or gone) when an error ends a run whose campaign exists,
    so the caller can say how to resume. Raises ``ConfigError`` before
    anything is written when the settings may not send over SMTP (no https
    public URL, no real secret key: ``preflight``).
    """
    check_sending(settings)
    _check_language(issue, language)
    stop = stop or threading.Event()
    sleep = sleep or stop.wait
    limiter = Throttle(parse_rates(rate or settings.send_rate), clock=clock, sleep=sleep)
    workers = concurrency or settings.send_concurrency
    if workers < 1:
        raise CampaignError("concurrency must be at least 1", hint="e.g. --concurrency 2")
    rendered = {lang: render_edition(issue, lang, settings) for lang in sorted(issue.editions)}
    hashes = {lang: r.content_hash for lang, r in rendered.items()}
    if dry_run:
        return _dry_run(store, issue, settings, list_name, rendered, _eligible(store, issue, list_name, language), limit)
    if resume:
        campaigns.find_campaign(store, issue.slug, list_name)  # NotFound: nothing to resume
    default = rendered[issue.default_language]
    replaces = None
    if by_hand is not None:
        from leadex_mail.campaign.audit import send_target
        from leadex_mail.store.accounts import Entry

        replaces = Entry(by_hand, "send_unschedule", send_target(issue.slug, list_name))
    campaign = campaigns.open_campaign(store, issue.slug, list_name, hashes, default.subject, now=now(), by_hand=replaces)
    try:
        return _run(store, issue, settings, campaign, rendered, list_name=list_name, language=language, limit=limit, workers=workers,
                    limiter=limiter, transport_factory=transport_factory, clock=clock, sleep=sleep, now=now, rng=rng, progress=progress, stop=stop)
    except LeadexError as err:
        raise SendStopped(err, campaign_id=campaign.id) from err  # type: ignore[arg-type]


def _run(
    store: Store, issue: Issue, settings: Settings, campaign: Campaign, rendered: Mapping, *, list_name: str, language: str | None,
    limit: int | None, workers: int, limiter: Throttle, transport_factory: TransportFactory, clock: Callable[[], float],
    sleep: Callable[[float], object], now: Callable[[], datetime], rng: random.Random | None, progress: Callable[[Progress], None] | None,
    stop: threading.Event,
) -> CampaignReport:
    """Queue, send and settle one run of an open campaign (``send_campaign``'s second half)."""
    # Everyone is queued; ``language`` only narrows what this run sends, so the
    # campaign stays "running" until the other editions went out too.
    campaigns.queue_eligible(store, campaign, issue.editions, issue.default_language)
    if campaign.status == "paused":
        campaigns.set_status(store, campaign.id, "running", now=now())  # type: ignore[arg-type]
    templates = {lang: build_template(r, settings, issue.brand, campaign_id=campaign.id) for lang, r in rendered.items()}  # type: ignore[arg-type]
    limiter.seed(lambda window: campaigns.sent_since(store, now() - timedelta(seconds=window)))
    # One rate for every sender of this store, on any machine (store.sendrate).
    limiter.share(partial(sendrate.locked_buckets, store), [sendrate.bucket_key(r.count, r.window) for r in limiter.rates], wall=lambda: now().timestamp())
    subdir = outbox_subdir(issue.slug, list_name)
    run = CampaignRun(
        store, settings, campaign, templates, limiter=limiter, language=language, limit=limit, workers=workers,
        transport_factory=transport_factory, subdir=subdir, clock=clock, sleep=sleep, now=now, rng=rng or random.Random(),  # type: ignore[arg-type]
        progress=progress, stop=stop,
    )
    outcome = run.execute()
    if outcome.requeue:
        campaigns.requeue_rejected(store, campaign.id, outcome.requeue, now=now())  # type: ignore[arg-type]
    status = campaigns.settle_status(store, campaign.id, outcome.paused_reason, now=now())  # type: ignore[arg-type]
    counts = campaigns.state_counts(store, campaign.id)  # type: ignore[arg-type]
    if status == "running" and not campaigns.unfinished(counts):
        # Another sender finished the rest between the two reads and settled
        # after us: the stored status is right; settle again to report it.
        status = campaigns.settle_status(store, campaign.id, outcome.paused_reason, now=now())  # type: ignore[arg-type]
    elsewhere = sum(s.leased for s in senders.live(store, campaign.id, now())) if status == "running" else 0  # type: ignore[arg-type]
    return CampaignReport(
        campaign.id, issue.slug, list_name, status, counts, held_elsewhere=elsewhere,
        sent_now=outcome.sent, failed_now=outcome.failed, skipped_now=outcome.skipped, elapsed=outcome.elapsed,
        paused_reason=outcome.paused_reason, interrupted=outcome.interrupted, failures=campaigns.failures(store, campaign.id),  # type: ignore[arg-type]
        outbox=settings.outbox_dir / subdir if settings.effective_transport == "outbox" else None,
        other_lists=tuple(delivered_elsewhere(store, issue.slug, campaign.list_id, campaign.id)),
    )


def _dry_run(store: Store, issue: Issue, settings: Settings, list_name: str, rendered: Mapping, eligible: list, limit: int | None) -> CampaignReport:
    """Build every message that would go out now; write nothing, send nothing."""
    campaign_id, finished = 0, set()
    try:
        campaign_id = campaigns.find_campaign(store, issue.slug, list_name).id or 0
        finished = campaigns.finished_subscribers(store, campaign_id)
    except NotFound:
        pass
    finished = finished | owned_elsewhere(store, issue.slug, campaign_id)  # their delivery of the issue is another campaign's
    templates = {lang: build_template(r, settings, issue.brand, campaign_id=campaign_id) for lang, r in rendered.items()}
    started = time.monotonic()
    counts: dict[str, int] = {}
    todo = [e for e in eligible if e[0] not in finished][:limit]
    for sid, lang, email, name, nonce in todo:
        templates[lang].for_recipient(Recipient(sid, email, name, link_nonce=nonce))
        counts[lang] = counts.get(lang, 0) + 1
    return CampaignReport(campaign_id or None, issue.slug, list_name, "dry-run", counts, built=len(todo), elapsed=time.monotonic() - started)


def campaign_list(store: Store, issue_slug: str, list_name: str | None) -> str:
    """The list an existing campaign of ``issue_slug`` went to (for ``--resume`` without ``--list``)."""
    if list_name:
        return list_name
    campaign = campaigns.find_campaign(store, issue_slug)
    return next(name for c, name in campaigns.list_campaigns(store, issue_slug) if c.id == campaign.id)


@dataclass(frozen=True)
class CampaignSummary:
    """One campaign as ``status`` shows it."""

    campaign: Campaign
    list_name: str
    # On this list, but their delivery of the issue is another list's campaign's (filled last by ``campaign_status``).
    other_lists: tuple[OtherList, ...] = field(default=(), kw_only=True)
    counts: dict[str, int]
    rate: float  # average messages per second over the time spent sending (each run: CampaignFigures)
    failures: list[campaigns.Failure]
    uncertain: list[campaigns.Failure] = field(default_factory=list)  # sent, but possibly twice
    live_senders: list[senders.Sender] = field(default_factory=list)  # live senders of a running campaign (store.senders)

    @property
    def total(self) -> int:
        """Deliveries in the campaign (uncertain is a flag, not a state)."""
        return sum(n for state, n in self.counts.items() if state not in ("uncertain", "held"))

    @property
    def interrupted(self) -> bool:
        """Stored as running with deliveries left, but no sender is live: it was stopped or killed, and waits for a resume."""
        return self.campaign.status == "running" and campaigns.unfinished(self.counts) > 0 and not self.live_senders


@dataclass(frozen=True)
class CampaignFigures:
    """A campaign's figures as ``status`` says them; the studio's progress page says the same (``campaign_figures``).

    ``counts``: deliveries per state (``store.campaigns.state_counts``); ``rate``:
    the average messages per second over the time spent sending: between the
    first and the last sent of each run (``store.sendruns``), so the time a
    stopped send stood still before its resume is not in it.
    """

    counts: dict[str, int]
    rate: float

    @property
    def total(self) -> int:
        """Deliveries in the campaign (uncertain and held are flags, not states)."""
        return sum(n for state, n in self.counts.items() if state not in ("uncertain", "held"))

    @property
    def handled(self) -> int:
        """Deliveries over: sent, failed or skipped (messages, not attempts)."""
        return sum(self.counts.get(state, 0) for state in ("sent", "failed", "skipped"))

    @property
    def waiting(self) -> int:
        """Messages waiting for their retry (``retry_wait``): each counted once, however many attempts it had."""
        return self.counts.get("retry_wait", 0)

    def shown(self) -> dict[str, int | float]:
        """``{"handled", "total", "failed", "waiting", "rate"}``: what a progress line says (rate to one decimal, as ``status``)."""
        return {"handled": self.handled, "total": self.total, "failed": self.counts.get("failed", 0), "waiting": self.waiting, "rate": round(self.rate, 1)}


def campaign_figures(store: Store, campaign_id: int) -> CampaignFigures:
    """The figures of one campaign, read from the store: what ``status`` prints and the studio shows (read only)."""
    from leadex_mail.store.sendruns import sending_rate, sent_runs

    counts = campaigns.state_counts(store, campaign_id)
    return CampaignFigures(counts, sending_rate(sent_runs(store, campaign_id)))


def shown_status(store: Store, campaign_id: int, status: str, *, now: Callable[[], datetime] = utcnow, counts: Mapping[str, int] | None = None) -> str:
    """The campaign's status as people should read it: ``interrupted`` for one stored as running that no sender works on.

    Stored ``running`` with deliveries left and no live sender (a send
    stopped by Ctrl-C, killed, or its computer stopped; its leases ran out)
    waits for a resume: the rule of ``CampaignSummary.interrupted``. Else the
    stored ``status`` (running, paused, done). ``counts``: the campaign's
    ``state_counts`` when the caller has them. Read only.
    """
    if status != "running":
        return status
    counts = counts if counts is not None else campaigns.state_counts(store, campaign_id)
    if not campaigns.unfinished(counts) or senders.live(store, campaign_id, now()):
        return "running"
    return "interrupted"


def campaign_status(
    store: Store, issue_slug: str | None = None, *, failures: int = 20, now: Callable[[], datetime] = utcnow,
) -> list[CampaignSummary]:
    """Every campaign (of one issue), newest first, with counts, rate, failures and, while running, who sends it.

    Read only: a campaign whose senders all died is shown ``interrupted``
    (``CampaignSummary.interrupted``), its stored status left as it is.
    """
    out = []
    for campaign, list_name in campaigns.list_campaigns(store, issue_slug):
        figures = campaign_figures(store, campaign.id)  # type: ignore[arg-type]
        counts = figures.counts
        running = campaign.status == "running" and campaigns.unfinished(counts) > 0
        live = senders.live(store, campaign.id, now()) if running else []  # type: ignore[arg-type]
        out.append(CampaignSummary(
            campaign, list_name, counts, figures.rate, campaigns.failures(store, campaign.id, limit=failures),  # type: ignore[arg-type]
            campaigns.uncertain_sent(store, campaign.id, limit=failures), live,  # type: ignore[arg-type]
        ))
    if issue_slug and not out:
        raise NotFound(f"issue {issue_slug!r} has not been sent", hint="`leadex-mail status` lists every campaign")
    # Who on each campaign's list has the issue through its campaign to another list (one delivery per person per issue).
    return [replace(s, other_lists=tuple(delivered_elsewhere(store, s.campaign.issue_slug, s.campaign.list_id, s.campaign.id))) for s in out]  # type: ignore[arg-type]


def retry_campaign(store: Store, issue_slug: str, list_name: str | None = None, *, uncertain: bool = False, actor: str | None = None) -> tuple[str, int]:
    """Re-queue the campaign's deliveries that may succeed another time; return (list name, how many).

    Those are temporary failures, soft bounces (mailbox full) and rejections
    (policy, content, size: about the sender or the message), never hard
    bounces. ``uncertain`` also re-queues deliveries held unsent after a
    lost reply (``send_uncertain = "hold"``); they stay marked uncertain.
    ``actor``: the audit log's ``send_retry`` entry (``to_retry``: what a send
    would now send) is written in the same transaction, when there is any.
    """
    from leadex_mail.campaign.audit import send_target
    from leadex_mail.store.accounts import Entry

    name = campaign_list(store, issue_slug, list_name)
    campaign = campaigns.find_campaign(store, issue_slug, name)
    kinds = campaigns.RETRYABLE_KINDS + (("uncertain",) if uncertain else ())
    audit = Entry(actor, "send_retry", send_target(issue_slug, name)) if actor is not None else None
    return name, campaigns.requeue_failed(store, campaign, kinds=kinds, audit=audit)

