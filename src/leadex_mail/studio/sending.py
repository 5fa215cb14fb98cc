"""Sending from the studio: the campaign engine in a background thread, its progress to the pages.

    job = jobs.start(store, issue, settings, list_name="newsletter", actor="maja")
    async for event in job.events(closed): ...     # progress, then done

The send itself is ``campaign.runner.send_campaign`` -- the CLI's -- run in a
thread of its own (it has its own workers and rate limiter), so a page
closing or a second tab changes nothing about it. Its ``progress`` callback
is called from worker threads (also while the send waits to retry temporary
failures: how many, until when, the server's reply); each report is handed to the event loop and
sent to every page watching the job as a Server-Sent Event. One send per
issue and list runs at a time (the engine would refuse a second one anyway:
deliveries are leased).

Scheduling a send for later is ``views_schedule``'s: a ``worker`` sends it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.errors import LeadexError

KEEPALIVE_SECONDS = 5.0
log = logging.getLogger(__name__)


@dataclass
class SendJob:
    """One send of an issue to a list, running or finished, and the pages watching it."""

    id: str  # ``job_id``: unique across restarts, names the list (the page of a send stays its own)
    slug: str
    list_name: str
    actor: str
    started: datetime
    total: int = 0
    done: int = 0
    failed: int = 0
    retrying: int = 0
    elapsed: float = 0.0
    finished: bool = False
    status: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    # What this send itself did (``campaign.audit.run_counts``): its ``send_finished`` entry's figures; ``counts`` are the campaign's.
    own_counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    hint: str | None = None
    paused_reason: str | None = None
    waiting: int = 0  # temporary failures waiting for their retry time
    retry_at: str | None = None  # when the first of them is tried again: "14:05 CET" (the studio's time zone)
    retry_reason: str | None = None  # the mail server's latest temporary reply (or the transport's words: ``retry_why``)
    retry_why: str | None = None  # no reply of a server behind it: why, a ``test_why_*`` kind (``not_answered``)
    not_recorded: str | None = None  # the end of the send could not be written in the audit log (the store's words)
    interrupted: bool = False  # stopped on request (the studio stopping) with deliveries left: "Resume the send"
    # The campaign's figures as ``leadex-mail status`` says them (``runner.campaign_figures``): what the progress line
    # shows ({"handled", "total", "failed", "waiting", "rate"}); None until first read.
    figures: dict[str, Any] | None = None
    number: int = 0  # the how-manieth send this studio started (``SendJobs.count``): later sends have higher numbers
    _listeners: set[asyncio.Queue[str | None]] = field(default_factory=set)
    _loop: asyncio.AbstractEventLoop | None = None
    stop: threading.Event = field(default_factory=threading.Event)  # set when the studio stops: finish the message in hand
    ended: threading.Event = field(default_factory=threading.Event)  # the sending thread is over

    def state(self) -> dict[str, Any]:
        """What a progress event carries."""
        # The line's figures are the campaign's, as ``status`` says them: messages (not attempts), its average rate.
        figures = self.figures or {"handled": 0, "total": self.total, "failed": 0, "waiting": 0, "rate": 0.0}
        return {
            "id": self.id, "done": self.done, "total": self.total, "failed": self.failed, "retrying": self.retrying,
            "figures": figures, "finished": self.finished, "status": self.status, "counts": self.counts,
            "error": self.error, "hint": self.hint, "paused_reason": self.paused_reason,
            "waiting": self.waiting, "retry_at": self.retry_at, "retry_reason": self.retry_reason, "retry_why": self.retry_why,
        }

    def _publish(self) -> None:
        data = json.dumps(self.state())
        for queue in list(self._listeners):
            queue.put_nowait(data)

    def publish_from_thread(self) -> None:
        """Tell the pages (called from the sending threads)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._publish)

    async def events(self, closed: asyncio.Event) -> AsyncIterator[str]:
        """Server-Sent Events: ``progress`` now and after each report, ``done`` at the end.

        Every stream of a send that ended ends with ``done``, however late it
        was opened: a send that ended before (or while) the page listened is
        said at once, never left at its last figures (the stream used to stop
        without ``done`` when the send ended while it was being written).
        """
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            yield "retry: 1000\n\n"
            if self.finished:
                yield _event("done", json.dumps(self.state()))
                return
            yield _event("progress", json.dumps(self.state()))
            while not closed.is_set():
                try:
                    data = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if self.finished:  # ended, and its last report is late (recording the end in the audit log): say it now
                        yield _event("done", json.dumps(self.state()))
                        return
                    yield ": keep-alive\n\n"
                    continue
                if data is None:
                    break
                ended = json.loads(data)["finished"]
                yield _event("done" if ended else "progress", data)
                if ended:
                    return
        finally:
            self._listeners.discard(queue)

    def close(self) -> None:
        """End the pages' streams (server stopping)."""
        for queue in list(self._listeners):
            queue.put_nowait(None)


def _clock_time(when: datetime | None, settings: Settings) -> str | None:
    """``14:05 CET``: a time today as the officer reads clocks (the ``timezone`` setting, else this computer's)."""
    from leadex_mail.campaign.scheduler import zone

    if when is None:
        return None
    local = when.astimezone(zone(settings))
    return f"{local:%H:%M %Z}".strip()


_REPLY = re.compile(r"[2-5][0-9][0-9]\b")
# RFC 4954 replies to AUTH: 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538 encryption required.
_LOGIN_CODES = ("530", "534", "535", "538")


def not_answered(reason: str | None) -> str | None:
    """Why messages wait when no mail server turned them away: a ``test_why_*`` kind; None for a server's reply.

    A temporary failure is either an SMTP reply (``451 4.2.1 Mailbox busy``:
    the server turned the message away for now, its words are shown) or the
    transport's own failure, which no server said: the connection refused
    (``[Errno 111] Connection refused``: the server is not running), no answer
    in time, a name that does not resolve, a secure connection that could not
    be set up, a sign-in refused. Those are said in plain words, as the test
    send says them (``saying.failure_kind``): ``unreachable``, ``timeout``,
    ``tls``, ``login``.
    """
    if not reason:
        return None
    said = reason.lower()
    if said[:3] in _LOGIN_CODES or "authentication" in said or "login" in said or "sign-in" in said:
        return "login"
    if _REPLY.match(reason):
        return None
    if "ssl" in said or "tls" in said or "certificate" in said:
        return "tls"
    if "timed out" in said or "timeout" in said or "no answer within" in said:
        return "timeout"
    return "unreachable"


def _event(kind: str, data: str) -> str:
    return f"event: {kind}\ndata: {data}\n\n"


def issue_version(folder: Path) -> str:
    """The version of an issue as its files are now: sha256 over every file of its folder (path and bytes), hex.

    The review puts it in its confirmation, with what it showed (``reviewed_counts``);
    "Send now" compares both with what it would send, and shows the new
    review instead of sending something else (a13d minor 7). The checks of a
    review are reused for the same version only (``SendJobs.checked``).
    """
    from leadex_mail.content.version import folder_version

    return folder_version(folder)


def reviewed_counts(per_language: dict[str, int]) -> str:
    """What a review showed of the recipients, as its confirmation carries it: ``en=1,sl=44`` (languages sorted)."""
    return ",".join(f"{language}={n}" for language, n in sorted(per_language.items()))


_JOB_ID = re.compile(r"(?P<list>[A-Za-z0-9][A-Za-z0-9._-]*)-(?P<token>[0-9a-f]{8})")


def job_id(list_name: str) -> str:
    """A send's id, as its page's address names it: ``newsletter-3f9a02c1`` (the list, then 32 random bits).

    Counting from 1 again after each start of the studio gave an old tab's
    ``/send/jobs/1`` another send, or "no such page" (a13c F5). A random part
    never names another send, and the list in it lets a studio that no longer
    knows the send (it was started again) say where that list's campaign stands.
    """
    return f"{list_name}-{secrets.token_hex(4)}"


def job_list(job: str) -> str | None:
    """The list a send's id names; None when ``job`` is no send's id."""
    match = _JOB_ID.fullmatch(job)
    return match["list"] if match else None


def campaign_figures(store: Any, slug: str, list_name: str) -> dict[str, Any] | None:
    """The figures of the campaign of ``slug`` to ``list_name`` as ``status`` says them; None before it exists (blocking)."""
    from leadex_mail.campaign.runner import campaign_figures as figures_of
    from leadex_mail.errors import NotFound
    from leadex_mail.store.campaigns import find_campaign

    try:
        campaign = find_campaign(store, slug, list_name)
    except NotFound:
        return None
    return figures_of(store, campaign.id).shown()  # type: ignore[arg-type]


class SendJobs:
    """The studio's sends, by id; at most one running per issue and list."""

    def __init__(self, clock: Callable[[], datetime], *, confirm_waiting: Callable[[str, str], None] | None = None) -> None:
        self.clock = clock
        # Told (slug, list name) when a confirmation finds another one of the same send under way and waits for it
        # (``starting``): a seam, like the clock, for tests that hold the first until the second is there.
        self.confirm_waiting: Callable[[str, str], None] = confirm_waiting or (lambda slug, list_name: None)
        self.jobs: dict[str, SendJob] = {}
        self.count = 0  # sends started so far: a request notes it first, to know which sends started while it worked
        self._lock = threading.Lock()
        # The last review's checks of each issue: slug -> (issue_version, issue, Readiness). "Send now" for the same
        # version uses them instead of running the whole (deep) check again; any change of a file is a new version.
        self.checked: dict[str, tuple[str, Any, Any]] = {}
        self._starting: dict[tuple[str, str], asyncio.Lock] = {}

    @asynccontextmanager
    async def starting(self, slug: str, list_name: str) -> AsyncIterator[None]:
        """Held by a request from "is another send of this list running?" to its send started (event loop only).

        Between them the send's audit record is written: two confirmations at
        once (two tabs, a double click) write one ``send`` record, the winner's;
        the other finds the winner's send and follows it, recorded as
        ``send_refused`` (a13d minor 11). A request that has to wait says so
        first (``confirm_waiting``).
        """
        lock = self._starting.setdefault((slug, list_name), asyncio.Lock())
        if lock.locked():
            self.confirm_waiting(slug, list_name)
        async with lock:
            yield

    def running(self, slug: str, list_name: str) -> SendJob | None:
        """The send of ``slug`` to ``list_name`` still running, if any."""
        return next((j for j in self.jobs.values() if j.slug == slug and j.list_name == list_name and not j.finished), None)

    def since(self, slug: str, list_name: str, count: int) -> SendJob | None:
        """The newest send of ``slug`` to ``list_name`` started after ``count`` sends (running or ended), if any.

        Two tabs (or a double click) pressing "Send now" at once: the request
        that lost notes ``count`` before its checks, then finds the other's
        send here and follows it instead of starting one that has nothing left.
        """
        later = [j for j in self.jobs.values() if j.slug == slug and j.list_name == list_name and j.number > count]
        return max(later, key=lambda j: j.number, default=None)

    def start(
        self,
        store: Any,
        issue: Issue,
        settings: Settings,
        *,
        list_name: str,
        actor: str,
        resume: bool = False,
        on_finish: Callable[[SendJob], None] | None = None,
        **options: Any,
    ) -> SendJob:
        """Start sending ``issue`` to ``list_name`` in a thread; the job (an already running one is returned)."""
        from leadex_mail.campaign.audit import run_counts
        from leadex_mail.campaign.runner import send_campaign

        with self._lock:
            existing = self.running(issue.slug, list_name)
            if existing is not None:
                return existing
            self.count += 1
            job = SendJob(job_id(list_name), issue.slug, list_name, actor, self.clock(), number=self.count, _loop=asyncio.get_running_loop())
            self.jobs[job.id] = job

        reading = threading.Lock()  # one worker reads the campaign's figures at a time; the others do not wait for it

        def read_figures(wait: bool = False) -> None:
            if not reading.acquire(blocking=wait):
                return  # another worker reads them now: its report follows
            try:
                job.figures = campaign_figures(store, issue.slug, list_name)
            except LeadexError:  # the store failing: the last figures stand (the send says its own failure)
                pass
            finally:
                reading.release()

        def progress(p: Any) -> None:
            job.total, job.done, job.failed, job.retrying, job.elapsed = p.total, p.done, p.failed, p.retrying, p.elapsed
            job.waiting, job.retry_at, job.retry_reason = p.waiting, _clock_time(p.next_retry_at, settings), p.retry_reason
            job.retry_why = not_answered(p.retry_reason)
            read_figures()
            job.publish_from_thread()

        def run() -> None:
            try:
                report = send_campaign(
                    store, issue, settings, list_name=list_name, resume=resume, progress=progress, stop=job.stop, by_hand=actor, **options,
                )
                job.status, job.counts, job.paused_reason = report.status, dict(report.counts), report.paused_reason
                job.own_counts = run_counts(report.sent_now, report.failed_now, report.skipped_now)
                job.done = max(job.done, report.sent_now)
                if report.interrupted and report.status == "running":  # as runner.shown_status says it: nobody sends the rest now
                    job.status, job.interrupted = "interrupted", True
            except LeadexError as err:
                job.status, job.error, job.hint = "error", err.message, err.hint
            except Exception as err:
                log.exception("the send of %s to %s failed", issue.slug, list_name)
                job.status, job.error = "error", f"{type(err).__name__}: {err}"
            finally:
                job.waiting, job.retry_at, job.retry_why = 0, None, None
                read_figures(wait=True)  # the last figures, as status says them now
                job.finished = True
                if on_finish is not None:
                    try:
                        on_finish(job)
                    except Exception:
                        log.exception("recording the end of the send of %s failed", issue.slug)
                job.publish_from_thread()
                job.ended.set()

        threading.Thread(target=run, name=f"studio-send-{job.id}", daemon=True).start()
        return job

    def stop_sending(self) -> list[SendJob]:
        """Ask every running send to stop (finish the messages in hand, give back the rest); the sends asked."""
        running = [job for job in self.jobs.values() if not job.finished and not job.stop.is_set()]
        for job in running:
            job.stop.set()
        return running

    def close(self) -> None:
        """End every page's stream, and ask every running send to stop (the studio is stopping)."""
        for job in self.jobs.values():
            job.stop.set()
            job.close()

    def interrupted(self) -> list[SendJob]:
        """Sends this studio started that did not finish: stopped with deliveries left, or still busy when it stopped."""
        return [j for j in self.jobs.values() if j.interrupted or not j.finished]

    def wait_stopped(self, timeout: float = 30.0) -> bool:
        """After ``close``: wait until every send has recorded the messages in hand and given back the rest.

        Like Ctrl-C on ``leadex-mail send``: what was not sent stays queued,
        and sending the issue to the list again resumes it. False when a send
        was still busy after ``timeout`` seconds (a mail server not answering).
        """
        return all(job.ended.wait(timeout) for job in list(self.jobs.values()))
