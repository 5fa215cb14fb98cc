"""Scheduled campaigns and the long-running worker that sends them.

``send ISSUE --list L --at "2026-05-04 09:00"`` stores the campaign's time
(``store.schedule``): the time is read by ``sendtime.read_send_time`` in the
``timezone`` setting (an IANA name; unset: this machine's zone; times the
clocks skip are refused, repeated ones said back) and kept in UTC. ``leadex-mail worker``
(``run_worker``) then runs on any number of machines against one store.
Each round it

1. starts every scheduled campaign that is due (``send_campaign``: its
   insert-or-get makes several workers starting one campaign share it), and
2. resumes every scheduled campaign left ``running`` with deliveries still
   to send (a worker that crashed, was killed or stopped). Campaigns started
   by hand with ``send`` are left to ``send --resume`` (a ``send --limit 5``
   stays at 5) -- also one whose schedule row an older store kept
   (``store.schedule.waiting``: opened before its time, so a person's) --
   and paused ones wait for the operator, as a pause means a person should
   look. A resume sends to the list as it is then (``CampaignPlan.joined``).

and then waits ``poll_seconds`` (or until ``stop`` is set: SIGTERM). A stop
during a send ends it as Ctrl-C ends ``send``: the messages in hand are
finished and recorded, the rest stay queued for the next worker.

A worker runs for weeks, and its database may restart under it. When the
store cannot be reached (``StoreError``), the round is tried again after
1, 2, 4 … ``MAX_BACKOFF_S`` seconds (each wait ended at once by ``stop``),
reported as ``store-lost`` and, once it answers, ``store-back``. A campaign
whose send the loss interrupted ends as any stopped send does: messages
handed to the relay but not recorded keep their lease and are taken over
as ``uncertain`` by the next run (``workers.py``), which the first round
after the store is back starts (it is ``running`` with rows to send).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Callable

from leadex_mail.campaign.audit import record_finished, send_target
from leadex_mail.campaign.runner import CampaignReport, edition_versions, plan_campaign, send_campaign
from leadex_mail.campaign.sendtime import check_ahead, zone  # noqa: F401 (zone: the faces' name for it)
from leadex_mail.campaign.signals import start_without_stop_signals
from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.content.version import inputs_version
from leadex_mail.errors import CampaignError, ConfigError, ContentError, IssueNotReady, LeadexError, StoreError
from leadex_mail.gates.readiness import Readiness, ready_to_send
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.db import Store
from leadex_mail.store.models import utcnow


def schedule_campaign(
    store: Store, issue: Issue, list_name: str, send_at: datetime, *, language: str | None = None, now: datetime | None = None, actor: str | None = None,
    forced: bool = False, deep: bool | None = None,
) -> schedule.Scheduled:
    """Schedule ``issue`` to ``list_name`` at ``send_at``; a ``worker`` sends it when due. See ``store.schedule.schedule_send``.

    Raises ``SendTimeError`` (``far``) for a time more than a year ahead;
    one passed within a few minutes is due at once (``sendtime.check_ahead``).
    ``forced``, ``deep``: the ``send --force`` and ``--deep/--no-deep`` the
    worker checks the issue with at its time (``ready_at_its_time``).
    ``actor``: the audit log's ``send_schedule`` entry (``send_at`` in UTC,
    ``moved``, ``language`` when only one edition, ``forced`` when forced) is written in the same transaction.
    """
    from leadex_mail.store.accounts import Entry

    if language is not None and language not in issue.editions:
        raise CampaignError(f"issue {issue.slug!r} has no {language!r} edition", hint=f"editions: {', '.join(sorted(issue.editions))}")
    now = now or utcnow()
    due = check_ahead(send_at, now)
    audit = None
    if actor is not None:
        detail = {"send_at": due.astimezone(UTC).isoformat(), **({"language": language} if language else {}), **({"forced": True} if forced else {})}
        audit = Entry(actor, "send_schedule", send_target(issue.slug, list_name), detail=detail)
    return schedule.schedule_send(store, issue.slug, list_name, due, language=language, now=now, audit=audit, forced=forced, deep=deep)


def ready_at_its_time(issue: Issue, settings: Settings, scheduled: schedule.Scheduled) -> Readiness:
    """Judge ``issue`` at the time of ``scheduled`` as ``send`` does (``gates.readiness.ready_to_send``), with the options it was scheduled with.

    Raises ``IssueNotReady`` (every finding) when ``send`` would refuse it:
    the worker holds it then (``held``). A schedule made with ``--force``
    is sent as ``send --force`` sends.
    """
    return ready_to_send(issue, settings, force=scheduled.forced, deep=scheduled.deep)


def held_for(err: ContentError, at: datetime, inputs: str | None = None) -> schedule.Held:
    """What a hold records of ``err``: the check's errors (``check_errors``) or files that cannot be read (``unreadable``).

    ``inputs``: the version of the files the check read (``check_inputs``), kept with the hold, checked ``at``.
    """
    errors = [p for p in err.problems if p.severity == "error"]
    reason = "check_errors" if isinstance(err, IssueNotReady) else "unreadable"
    codes = tuple(dict.fromkeys(p.code for p in errors if p.code))
    return schedule.Held(reason, at, len(errors) or 1, codes, inputs, at)  # a refusal is at least one error


# A held send is checked again at the latest after this long even when no file of the issue changed: what else the
# check reads (the settings, the signing key, a SpamAssassin or Chromium installed since) may have.
RECHECK_HELD_AFTER = timedelta(minutes=15)


def check_inputs(settings: Settings, slug: str) -> str | None:
    """The version of the files the readiness check of ``slug`` reads (``content.version.inputs_version``); None when one cannot be read."""
    try:
        return inputs_version(settings.newsletters_dir, slug)
    except OSError:
        return None


def still_held(scheduled: schedule.Scheduled, inputs: str | None, now: datetime) -> bool:
    """Whether the worker may keep ``scheduled`` held without checking it again: nothing it read changed, and it was checked lately.

    True only for a held send whose files are the version its last check read
    (``inputs``; unknown versions never match) and whose last check is less
    than ``RECHECK_HELD_AFTER`` old. A correction is therefore checked (and
    sent) at the first round after it is saved.
    """
    held = scheduled.held
    if held is None or inputs is None or held.inputs != inputs or held.checked is None:
        return False
    return timedelta(0) <= now - held.checked < RECHECK_HELD_AFTER


# Longest wait between two tries to reach a lost store, in seconds.
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class WorkerEvent:
    """What a worker did.

    With one campaign: ``starting`` or ``resuming`` it, then ``sent`` (with
    the report) or ``failed`` (with the error), and ``not-recorded`` (with
    the store's error) when the audit log could not be told that it ended.
    ``held`` instead of ``starting`` when, at its time, the check refuses the
    issue (``error``: the ``IssueNotReady`` or ``ContentError`` with every
    finding; ``held``: what the store keeps): said when first held and
    whenever its reason or errors change, not at every round. With the store:
    ``store-lost`` (the error; the next try in ``retry_in`` seconds; the
    ``attempt`` number, 1, 2 …) and ``store-back`` (after ``attempt``
    failed tries); ``issue_slug`` and ``list_name`` are empty then.
    """

    kind: str
    issue_slug: str = ""
    list_name: str = ""
    report: CampaignReport | None = None
    error: LeadexError | None = None
    retry_in: float | None = None  # seconds (store-lost)
    attempt: int = 0  # store-lost, store-back
    held: schedule.Held | None = None  # held


@dataclass(frozen=True)
class Outlook:
    """What a worker finds in the store as it starts: campaigns due now (``held`` of them: refused by the check so far), left unfinished, and scheduled for later."""

    due: int
    unfinished: int
    later: int
    held: int = 0


def outlook(store: Store, now: datetime) -> Outlook:
    """Count the scheduled campaigns due at ``now`` (and how many of them are held), those left unfinished and those waiting for a later time."""
    work = _due_work(store, now)
    due = [s for kind, s in work if kind == "starting"]
    return Outlook(len(due), len(work) - len(due), len(schedule.waiting(store)) - len(due), sum(1 for s in due if s.held is not None))


def backoff(attempt: int) -> float:
    """Seconds to wait before try ``attempt`` + 1 at a lost store: 1, 2, 4 … at most ``MAX_BACKOFF_S``."""
    return min(MAX_BACKOFF_S, 2.0 ** max(0, attempt - 1))


def run_worker(
    store: Store,
    settings: Settings,
    load: Callable[[str], Issue],
    *,
    stop: threading.Event,
    poll_seconds: float = 30.0,
    once: bool = False,
    max_campaigns: int = 4,
    now: Callable[[], datetime] = utcnow,
    on_event: Callable[[WorkerEvent], None] = lambda e: None,
    wait: Callable[[float], object] | None = None,
    actor: str | None = None,
) -> int:
    """Start due scheduled campaigns and resume unfinished ones until ``stop`` is set; return how many runs it made.

    Campaigns run side by side, each in its own thread, at most
    ``max_campaigns`` at once (the rest start as others end): one campaign
    held back by its rate or a slow relay never delays another that is due.
    ``load`` reads an issue by slug. ``once``: one round, then wait for the
    campaigns it started and return (cron, tests). An error in one campaign
    (its content, the relay, the store) is reported through ``on_event`` and
    the worker goes on with the others and tries again next round; a
    ``ConfigError`` (the settings may not send at all) sets ``stop`` so the
    other campaigns stop as on SIGTERM, and is raised once they have.

    A store that cannot be reached is tried again with ``backoff`` (events
    ``store-lost``, ``store-back``), never the end of the worker; with
    ``once`` its ``StoreError`` is raised (cron runs it again). ``wait``
    (seconds) waits between rounds and tries: ``stop.wait`` unless a test
    injects its own clock; it must return early once ``stop`` is set.

    ``actor`` (``worker:<os user>``): each campaign it starts or resumes is
    in the audit log as ``send`` before it starts (not started when that
    cannot be written: ``failed``, tried again next round) and
    ``send_finished`` when it ends (``not-recorded`` with the error when that
    cannot be written), as the studio's sends are (``campaign.audit``).

    Before it starts a due campaign it checks the issue as ``send`` would
    (``ready_at_its_time``): one the check refuses is not started but held
    (``store.schedule.hold``; ``send_held`` in the audit log by ``actor``,
    once) and checked again at the first round after a file the check reads
    changes (``check_inputs``), and at the latest ``RECHECK_HELD_AFTER``
    after its last check; it starts at the first round that finds it ready. A campaign already started is resumed without a check,
    as ``send --resume`` of the same deliveries.
    """
    pause = wait or stop.wait
    pool = _Running(store, settings, load, stop=stop, now=now, on_event=on_event, limit=max_campaigns, actor=actor)
    failures = 0
    try:
        while not stop.is_set():
            try:
                work = _due_work(store, now())
            except StoreError as err:
                if once:
                    raise
                failures += 1
                on_event(WorkerEvent("store-lost", error=err, retry_in=backoff(failures), attempt=failures))
                pause(backoff(failures))
                continue
            if failures:
                on_event(WorkerEvent("store-back", attempt=failures))
                failures = 0
            pool.start_round(work)
            if once:
                break
            pause(poll_seconds)
    finally:
        pool.join()
    pool.raise_fatal()
    return pool.runs


class _Running:
    """The campaigns one worker is sending, one thread each, keyed by (issue, list)."""

    def __init__(self, store: Store, settings: Settings, load: Callable[[str], Issue], *, stop: threading.Event,
                 now: Callable[[], datetime], on_event: Callable[[WorkerEvent], None], limit: int, actor: str | None = None) -> None:
        self.store, self.settings, self.load, self.stop, self.now, self.on_event = store, settings, load, stop, now, on_event
        self.actor = actor
        self.slots = threading.BoundedSemaphore(max(1, limit))
        self.lock = threading.Lock()
        self.threads: dict[tuple[str, str], threading.Thread] = {}
        self.runs = 0
        self.fatal: BaseException | None = None

    def start_round(self, work: list[tuple[str, schedule.Scheduled]]) -> None:
        """Start a thread for each due or unfinished campaign of ``work`` (``_due_work``) this worker is not already sending."""
        for kind, scheduled in work:
            if self.stop.is_set():
                return
            slug, list_name = scheduled.issue_slug, scheduled.list_name
            with self.lock:
                alive = self.threads.get((slug, list_name))
                if alive is not None and alive.is_alive():
                    continue
            if not self.slots.acquire(blocking=False):
                return  # the limit is reached: the next round starts it
            thread = threading.Thread(target=self._run, args=(kind, scheduled), name=f"campaign {slug} to {list_name}", daemon=True)
            with self.lock:
                self.threads[(slug, list_name)] = thread
            start_without_stop_signals(thread)  # SIGTERM reaches the main thread's wait at once

    def _ready(self, scheduled: schedule.Scheduled) -> Issue | None:
        """The issue of a due ``scheduled`` when ``send`` would send it now; else None, and it is held (``store.schedule.hold``)."""
        from leadex_mail.store.accounts import Entry

        now = self.now()
        inputs = check_inputs(self.settings, scheduled.issue_slug)  # before the check: a file saved while it runs is a new version
        if still_held(scheduled, inputs, now):
            return None  # the files the check refused are unchanged: not checked again (a deep check costs seconds)
        try:
            issue = self.load(scheduled.issue_slug)
            ready_at_its_time(issue, self.settings, scheduled)
        except ContentError as err:  # IssueNotReady (the check's errors) or files that cannot be read
            held = held_for(err, now, inputs)
            target = send_target(scheduled.issue_slug, scheduled.list_name)
            audit = Entry(self.actor, "send_held", target, detail={"send_at": scheduled.send_at.astimezone(UTC).isoformat()}) if self.actor else None
            first = schedule.hold(self.store, scheduled, held, audit=audit)
            if first or not held.same(scheduled.held):  # said once, and again only when what holds it changes
                self.on_event(WorkerEvent("held", scheduled.issue_slug, scheduled.list_name, error=err, held=held))
            return None
        if scheduled.held is not None:
            schedule.release(self.store, scheduled)
        return issue

    def _run(self, kind: str, scheduled: schedule.Scheduled) -> None:
        slug, list_name, language = scheduled.issue_slug, scheduled.list_name, scheduled.language
        started = False
        try:
            ready = self._ready(scheduled) if kind == "starting" else None  # a campaign resumed is not checked again: see run_worker
            if kind == "starting" and ready is None:
                return  # held
            issue = ready or self.load(slug)
            if not self._claim(scheduled, issue):
                return  # a person started it by hand, or cancelled or moved it, or another sender finished it: not this worker's
            started = self.actor is not None
            self.on_event(WorkerEvent(kind, slug, list_name))
            report = send_campaign(self.store, issue, self.settings, list_name=list_name, language=language, now=self.now, stop=self.stop)
        except LeadexError as err:
            self._finished(started, slug, list_name, None, err.message)
            if not isinstance(err, ConfigError):
                self.on_event(WorkerEvent("failed", slug, list_name, error=err))
                return
            self._halt(err)  # the settings cannot send at all
            return
        except Exception as exc:  # noqa: BLE001 (a defect: raised by run_worker, as before campaigns had threads)
            self._halt(exc)
            return
        finally:
            self.slots.release()
        with self.lock:
            self.runs += 1
        self._finished(started, slug, list_name, report)
        self.on_event(WorkerEvent("sent", slug, list_name, report=report))

    def _claim(self, scheduled: schedule.Scheduled, issue: Issue) -> bool:
        """Open (or join) the campaign of ``scheduled`` with this worker's ``send`` entry, when it is still this worker's to send (``store.schedule.claim``).

        The entry is written in the transaction that decides (a send the audit
        log cannot show is not started: ``StoreError``); a schedule a person
        replaced, cancelled or moved since this round read it writes nothing.
        """
        from leadex_mail.store.accounts import Entry

        plan = plan_campaign(self.store, issue, self.settings, list_name=scheduled.list_name, language=scheduled.language)
        send = None
        if self.actor is not None:
            send = Entry(self.actor, "send", send_target(scheduled.issue_slug, scheduled.list_name),
                         detail={"recipients": plan.total, "per_language": plan.per_language})
        hashes, subject = edition_versions(issue, self.settings)
        return schedule.claim(self.store, scheduled, hashes, subject, now=self.now(), send=send)

    def _finished(self, started: bool, slug: str, list_name: str, report: CampaignReport | None, error: str | None = None) -> None:
        """``send_finished`` of a send whose ``send`` is in the audit log; ``not-recorded`` (with the store's error) when it cannot be written."""
        if not started or self.actor is None:
            return
        try:
            record_finished(self.store, self.actor, slug, list_name, report, error)
        except StoreError as err:  # the send's outcome is in its deliveries; the log lacks its end
            self.on_event(WorkerEvent("not-recorded", slug, list_name, error=err))

    def _halt(self, exc: BaseException) -> None:
        with self.lock:
            self.fatal = self.fatal or exc
        self.stop.set()  # every campaign of this worker stops as on SIGTERM

    def join(self) -> None:
        """Wait for every campaign thread (a stop makes them finish the messages in hand and end)."""
        with self.lock:
            threads = list(self.threads.values())
        for thread in threads:
            thread.join()

    def raise_fatal(self) -> None:
        if self.fatal is not None:
            raise self.fatal


def _due_work(store: Store, now: datetime) -> list[tuple[str, schedule.Scheduled]]:
    """(``starting`` or ``resuming``, the schedule) of each scheduled campaign due at ``now`` and each left unfinished."""
    work: list[tuple[str, schedule.Scheduled]] = [("starting", s) for s in schedule.waiting(store, due_at=now)]
    for s in schedule.waiting(store, started=True):
        campaign = campaigns.find_campaign(store, s.issue_slug, s.list_name)
        if campaign.status == "running" and campaigns.unfinished(campaigns.state_counts(store, campaign.id)):  # type: ignore[arg-type]
            work.append(("resuming", s))
    return work


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC (for showing both the typed and the stored time)."""
    return value.astimezone(UTC)
