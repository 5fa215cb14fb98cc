"""Test sends, sends to a list and their status -- the CLI's ``send-test``, ``send``, ``status`` and ``retry``.

    GET  /issues/{slug}/send                 test send, choose a list, the campaigns' status
    POST /issues/{slug}/send/test            [TEST] messages to the given (or configured) addresses
    GET  /issues/{slug}/send/review          what ``send`` would show before asking (senders)
    POST /issues/{slug}/send/start           send to the list, in the background (senders)
    GET  /issues/{slug}/send/jobs/{id}       live progress, then the outcome
    GET  /issues/{slug}/send/jobs/{id}/events  Server-Sent Events: progress, done
    POST /issues/{slug}/send/retry           re-queue temporary failures and send them (senders; ``views_retry``)

Scheduling for later is on the review page too (``views_schedule``).

The review is the CLI's confirmation: ``gates.readiness.ready_to_send`` (errors
refuse the send unless the officer ticks "send anyway", the CLI's
``--force``) and ``campaign.runner.plan_campaign`` (recipients per language,
transport, rate, what is already sent). Every send and test send is written
to the audit log with who did it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import anyio
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from leadex_mail.content.loader import load_issue
from leadex_mail.content.scaffold import SLUG_RE
from leadex_mail.errors import ChangedAfterSend, ContentError, IssueNotReady, LeadexError, NotFound, Problem, RecordsAnonymised, StoreError, TestSendNotRecorded
from leadex_mail.store.accounts import record
from leadex_mail.studio.mailboxes import read_mailboxes
from leadex_mail.studio.saying import address_problem, error_words, test_outcome, typed_addresses
from leadex_mail.studio.sending import SendJob, issue_version, reviewed_counts
from leadex_mail.studio.web import Ctx, action, follow_stream, form_data, page, redirect
from leadex_mail.studio.findings import place
from leadex_mail.studio.notices import notice_words
from leadex_mail.studio.planwords import rate_words, route_words
from leadex_mail.studio.storefail import is_failure, reason, store_failed

log = logging.getLogger(__name__)


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/issues/{slug}/send", page(send_page, "test_send"), methods=["GET"]),
        Route("/issues/{slug}/send/test", action(test_send, "test_send"), methods=["POST"]),
        Route("/issues/{slug}/send/review", page(review, "send"), methods=["GET"]),
        Route("/issues/{slug}/send/start", action(start, "send"), methods=["POST"]),
        Route("/issues/{slug}/send/retry", action(retry, "send"), methods=["POST"]),
        Route("/issues/{slug}/send/jobs/{job}", page(job_page, "test_send"), methods=["GET"]),
        Route("/issues/{slug}/send/jobs/{job}/events", page(job_events, "test_send"), methods=["GET"]),
    ]


def issue_slug(ctx: Ctx) -> str | None:
    slug = ctx.request.path_params["slug"]
    return slug if SLUG_RE.match(slug) and (ctx.studio.settings.newsletters_dir / slug).is_dir() else None


def not_found(ctx: Ctx) -> Response:
    return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("not_found_text"))


def unsaved(ctx: Ctx, slug: str) -> list[str]:
    return ctx.studio.workspace.issue(ctx.owner, slug).dirty()


def _campaigns(ctx: Ctx, slug: str) -> list:
    from leadex_mail.campaign.runner import campaign_status

    try:
        return campaign_status(ctx.studio.store, slug, failures=50)
    except NotFound:
        return []


def _stopped(ctx: Ctx, slug: str, campaigns: list) -> list[str]:
    """Lists whose campaign was interrupted: stored as running with deliveries left, and nobody sends it now.

    The studio (or its computer, or a ``send`` in a terminal) stopped while it
    sent: the campaign stays open, and ``send_campaign`` continues it where it
    stopped ("Resume the send"). No live sender (``CampaignSummary.interrupted``,
    the rule of ``runner.shown_status``) and no send of this studio running it.
    """
    return [c.list_name for c in campaigns if c.interrupted and ctx.studio.jobs.running(slug, c.list_name) is None]


def _actions(store: Any, campaigns: list) -> dict[str, dict[str, Any]]:
    """What each campaign's status may offer, by list: ``{"retry": n, "permanent": n}`` (blocking: call in a thread).

    A button is offered only when pressing it would do something: "Try the
    temporary failures again" when some failure may succeed another time or
    waits for its retry (``retry`` re-queues exactly those), never for
    permanent failures alone (``permanent``: the page says what to do about
    them instead). ``_status`` adds ``following``, this studio's send to the
    list while it runs: then the page links to it instead of any button (a
    retry would only lead there).
    """
    from leadex_mail.store.campaigns import RETRYABLE_KINDS, retryable_failures

    return {
        c.list_name: {
            "retry": retryable_failures(store, c.campaign.id, RETRYABLE_KINDS) + c.counts.get("retry_wait", 0),
            "permanent": retryable_failures(store, c.campaign.id, ("permanent",)),
        }
        for c in campaigns
    }


async def _status(ctx: Ctx, slug: str, list_name: str | None = None) -> dict[str, Any]:
    """The campaigns of ``slug`` (of ``list_name`` only, when given) as ``_campaigns.html.j2`` shows them."""

    def read() -> tuple[list, dict]:
        campaigns = [c for c in _campaigns(ctx, slug) if list_name is None or c.list_name == list_name]
        return campaigns, _actions(ctx.studio.store, campaigns)

    campaigns, actions = await anyio.to_thread.run_sync(read)
    for name, offered in actions.items():  # the studio's sends are read here, in the event loop that changes them
        offered["following"] = ctx.studio.jobs.running(slug, name)
    return {"campaigns": campaigns, "actions": actions, "stopped": _stopped(ctx, slug, campaigns)}


def _scheduled(ctx: Ctx, slug: str) -> list:
    from leadex_mail.studio.views_schedule import waiting_for

    try:
        return waiting_for(ctx, slug)
    except StoreError:  # no store yet: nothing can be scheduled
        return []


def _lists(ctx: Ctx) -> list:
    from leadex_mail.store.lists import list_infos

    return list_infos(ctx.studio.store)


async def send_page(ctx: Ctx, *, results: list | None = None, error: str | None = None, addresses: str | None = None, to_error: str | None = None, status: int = 200) -> Response:
    """Test send, the lists to send to, and what was sent already."""
    slug = issue_slug(ctx)
    if slug is None:
        return not_found(ctx)
    try:
        issue = await anyio.to_thread.run_sync(load_issue, slug, ctx.studio.settings)
        editions = sorted(issue.editions, key=lambda lang: (lang != issue.default_language, lang))
        title = issue.edition().title
    except ContentError as err:
        return cannot_load(ctx, slug, err)
    status_of = await _status(ctx, slug)
    lists = await anyio.to_thread.run_sync(_lists, ctx) if ctx.session.may("send") else []
    scheduled = await anyio.to_thread.run_sync(_scheduled, ctx, slug)
    return ctx.render(
        "send.html.j2",
        status=status,
        title=ctx.t("send_title", title=title),
        slug=slug,
        issue_title=title,
        editions=editions,
        unsaved=unsaved(ctx, slug),
        addresses=addresses if addresses is not None else "\n".join(ctx.studio.settings.test_recipients),
        outcome=test_outcome(results) if results is not None else None,
        error=error,
        to_error=to_error,
        lists=lists,
        **status_of,
        running=[j for j in ctx.studio.jobs.jobs.values() if j.slug == slug and not j.finished],
        scheduled=scheduled,
        done=ctx.request.query_params.get("done") if ctx.request.method == "GET" else None,
        done_list=ctx.request.query_params.get("list", "") if ctx.request.method == "GET" else "",
        nav="issues",
    )


def cannot_load(ctx: Ctx, slug: str, err: ContentError) -> Response:
    """The issue's files do not load: every error in the officer's words, each with a link to its field (as the review does)."""
    session = ctx.studio.workspace.issue(ctx.owner, slug)

    def data_of(language: str) -> Any:
        try:
            return session.edition_data(language)
        except (LeadexError, OSError):  # a file that does not read: its places are named without the section's kind
            return None

    folder = ctx.studio.settings.newsletters_dir / slug
    problems = err.problems or [Problem(str(folder), None, None, "", err.message, err.hint, code="issue.unloadable")]
    errors = [place(p, folder, ctx.words, data_of) for p in problems if p.severity == "error"] or [place(problems[0], folder, ctx.words, data_of)]
    language = next((e.language for e in errors if e.language and e.href), ctx.studio.settings.default_language)
    return ctx.render("send_unloadable.html.j2", status=409, title=ctx.t("send_cannot_load"), slug=slug, errors=errors, language=language, nav="issues")


async def test_send(ctx: Ctx) -> Response:
    """[TEST] messages of one edition, through the configured transport, logged as test sends."""
    from leadex_mail.delivery.testsend import send_test

    slug = issue_slug(ctx)
    if slug is None:
        return not_found(ctx)
    form = await form_data(ctx)
    raw = form.get("to", "")
    language = form.get("language") or None
    problem = address_problem(ctx, read_mailboxes(raw))
    if problem is not None:
        return await send_page(ctx, addresses=raw, to_error=problem, status=400)
    to = typed_addresses(raw)
    if unsaved(ctx, slug):
        return await send_page(ctx, error=ctx.t("send_save_first"), addresses=raw, status=409)
    failed: StoreError | None = None
    try:
        results = await anyio.to_thread.run_sync(lambda: send_test(ctx.studio.settings, slug, to, language, store=ctx.studio.store))
    except TestSendNotRecorded as err:  # the messages went out; the store could not record them
        results, failed = err.results, err.cause
    except LeadexError as err:
        if is_failure(err):  # before anything was sent (the store could not be opened)
            return store_failed(ctx, err, back=f"/issues/{slug}/send")  # type: ignore[arg-type]
        return await send_page(ctx, error=error_words(err), addresses=raw, status=400)
    try:
        await anyio.to_thread.run_sync(
            lambda: record(ctx.studio.store, ctx.actor, "send_test", slug, detail={"to": len(results), "language": language, "failed": sum(not r.ok for r in results)})
        )
    except StoreError as err:
        failed = failed or err
    if failed is not None and any(r.ok for r in results):
        key, status = reason(failed)
        said = ctx.t("store_test_not_recorded", n=sum(r.ok for r in results), reason=ctx.t(key), todo=ctx.t(key + "_todo"))
        return await send_page(ctx, results=results, addresses=raw, error=said, status=status)
    if failed is not None:  # nothing went out, and the store failed too: the results say why each was refused
        return await send_page(ctx, results=results, addresses=raw, error=ctx.t("store_failed_what", reason=ctx.t(reason(failed)[0])), status=reason(failed)[1])
    return await send_page(ctx, results=results, addresses=raw)


def check_readiness(ctx: Ctx, slug: str, force: bool) -> tuple[object, object]:
    """(issue, Readiness) -- or raises IssueNotReady with every finding.

    The CLI's ``send`` decides with the same function and the same settings
    (the checks of ``check --deep`` too, unless ``send_deep_check`` is off).
    ``force`` is only for the review, which lists every finding: the studio
    never sends or schedules an issue with errors (the CLI's ``--force`` is
    for operators).
    """
    from leadex_mail.gates.readiness import ready_to_send

    issue = load_issue(slug, ctx.studio.settings)
    return issue, ready_to_send(issue, ctx.studio.settings, force=force)


async def review(ctx: Ctx) -> Response:
    """What the send will do, as ``leadex-mail send`` shows it before asking; send now or schedule."""
    slug = issue_slug(ctx)
    if slug is None:
        return not_found(ctx)
    return await review_page(ctx, slug, ctx.request.query_params.get("list", ""))


async def review_page(
    ctx: Ctx, slug: str, list_name: str, *, schedule_at: str | None = None, schedule_error: str | None = None, changed: str | None = None,
    scheduling: bool = False, status: int = 200,
) -> Response:
    """The review of sending ``slug`` to ``list_name`` (``schedule_error``: the schedule form's time refused, shown at its field).

    ``changed``: "Send now" was pressed on a review of something else than
    what would be sent now -- ``"list"`` (other recipients) or ``"issue"``
    (its files changed): the page says so above the new review;
    ``scheduling``: it was "Schedule" that was pressed (nothing was scheduled).
    """
    from leadex_mail.campaign.runner import plan_campaign
    from leadex_mail.studio.views_schedule import form_context

    if unsaved(ctx, slug):
        return await send_page(ctx, error=ctx.t("send_save_first"), status=409)
    folder = ctx.studio.settings.newsletters_dir / slug
    try:
        # The version before the checks: a file changed while they run makes the next confirmation check again.
        version = await anyio.to_thread.run_sync(issue_version, folder)
        # Every finding, errors included (the page says when they refuse the send): the checks run once.
        issue, readiness = await anyio.to_thread.run_sync(check_readiness, ctx, slug, True)
    except ContentError as err:
        return cannot_load(ctx, slug, err)
    except LeadexError as err:
        return await send_page(ctx, error=error_words(err), status=400)
    try:
        ctx.studio.settings.signing_key()  # no secret key for real sending: say so before, not after
        # Every refusal the send would make, made here (plan_campaign raises what send_campaign would): before confirming.
        plan = await anyio.to_thread.run_sync(lambda: plan_campaign(ctx.studio.store, issue, ctx.studio.settings, list_name=list_name))
    except (ChangedAfterSend, RecordsAnonymised) as err:
        return changed_after_send(ctx, slug, list_name, err)
    except LeadexError as err:
        if is_failure(err):
            raise
        return await send_page(ctx, error=error_words(err), status=400)
    ctx.studio.jobs.checked[slug] = (version, issue, readiness)
    data_of = ctx.studio.workspace.issue(ctx.owner, slug).edition_data  # which section is of which type, for the places' names
    schedule_form = await anyio.to_thread.run_sync(lambda: form_context(ctx, slug, list_name, at=schedule_at, error=schedule_error))
    return ctx.render(
        "review.html.j2",
        status=status,
        title=ctx.t("review_title", list=list_name),
        slug=slug,
        plan=plan,
        errors=[place(p, folder, ctx.words, data_of) for p in readiness.errors],  # type: ignore[attr-defined]
        warnings=[place(p, folder, ctx.words, data_of) for p in readiness.warnings],  # type: ignore[attr-defined]
        # Said from the facts, never the core's words: where and how fast (planwords), what was not checked (notices).
        notices=[notice_words(n, ctx.words) for n in readiness.notice_facts],  # type: ignore[attr-defined]
        route=route_words(plan.route, ctx.words) if plan.route is not None else plan.transport,
        rates=rate_words(plan.rates, ctx.words),
        refused=bool(readiness.errors),  # type: ignore[attr-defined]
        running=ctx.studio.jobs.running(slug, list_name),
        version=version,
        counts=reviewed_counts(plan.per_language),
        changed=changed,
        changed_schedule=scheduling,
        nav="issues",
        **schedule_form,
    )


def changed_after_send(ctx: Ctx, slug: str, list_name: str, err: ChangedAfterSend | RecordsAnonymised) -> Response:
    """The review's refusal of a send the core would refuse whatever is confirmed: the issue changed after some of the
    campaign's messages went out, or who got it was forgotten (retention). Nothing to confirm; what to do instead."""
    from leadex_mail.studio.views_schedule import local_time

    if isinstance(err, RecordsAnonymised):
        when = f"{err.when:%Y-%m-%d}" if err.when is not None else "?"
        text = ctx.t("review_anonymised", list=err.list_name or list_name, when=when)
        todo = ctx.t("review_anonymised_todo")
    else:
        started = local_time(err.started, ctx.studio.settings) if err.started is not None else "?"  # type: ignore[arg-type]
        text = ctx.t("review_changed_after_send", list=list_name, when=started, n=err.sent, languages=", ".join(err.languages))
        todo = ctx.t("review_changed_todo")
    return ctx.render("review_refused.html.j2", status=409, title=ctx.t("review_title", list=list_name), slug=slug, reason=text, todo=todo, nav="issues")


async def start(ctx: Ctx) -> Response:
    """Send to the list in the background, exactly what was reviewed; the progress page follows it.

    The review's form carries what it showed (``reviewed_version``, ``reviewed_counts``): a send of anything else sends
    nothing, the new review says what changed (a13d minor 7). "Resume the send" (``resume=1``) continues a campaign
    that exists. The review's checks are reused for the same version of the files; any change runs them again.
    """
    from leadex_mail.campaign.runner import plan_campaign

    slug = issue_slug(ctx)
    if slug is None:
        return not_found(ctx)
    started_before = ctx.studio.jobs.count  # sends of this studio so far: one started while this request works is another tab's
    form = await form_data(ctx)
    list_name = form.get("list", "")
    if unsaved(ctx, slug):
        return await send_page(ctx, error=ctx.t("send_save_first"), status=409)
    folder = ctx.studio.settings.newsletters_dir / slug
    try:
        version = await anyio.to_thread.run_sync(issue_version, folder)
        known = ctx.studio.jobs.checked.get(slug)
        if known is not None and known[0] == version and not known[2].errors:  # the review's checks of these very files
            issue, readiness = known[1], known[2]
        else:
            # Never forced: an issue whose check finds errors is refused here (IssueNotReady), whatever the form says.
            issue, readiness = await anyio.to_thread.run_sync(check_readiness, ctx, slug, False)
        plan = await anyio.to_thread.run_sync(lambda: plan_campaign(ctx.studio.store, issue, ctx.studio.settings, list_name=list_name))
    except IssueNotReady:  # the review says what to correct and links to the fields
        return await review_page(ctx, slug, list_name, status=409)
    except (ChangedAfterSend, RecordsAnonymised) as err:  # between the review and the click: the review's words
        return changed_after_send(ctx, slug, list_name, err)
    except LeadexError as err:
        if is_failure(err):
            return store_failed(ctx, err, not_done=ctx.t("store_send_refused"), back=f"/issues/{slug}/send")  # type: ignore[arg-type]
        return await send_page(ctx, error=error_words(err), status=409)
    changed: str | None = None
    async with ctx.studio.jobs.starting(slug, list_name):  # one confirmation at a time: one audit record, one send
        other = await _other_send(ctx, slug, list_name, started_before)
        if other is not None:
            return other
        # The confirmed page showed no campaign (its form says so; an older page's: this request's plan).
        new = form.get("resume") != "1" and (form.get("reviewed_new") == "1" if "reviewed_new" in form else plan.campaign_status is None)
        if plan.campaign_status is not None and (new or not plan.total):  # another studio, a terminal or the worker started or sent it meanwhile
            return await _start_send(ctx, slug, list_name, issue, plan, started_before, expect_new=new)  # refused, and audited, where decided
        if not plan.total and plan.campaign_status is None:  # nobody to send to (an old page): the review says so
            changed = "list"
        elif not (form.get("resume") == "1" and plan.campaign_status is not None):
            if form.get("reviewed_version") != version:
                changed = "issue"
            elif form.get("reviewed_counts") != reviewed_counts(plan.per_language):
                changed = "list"
        if changed is None:
            response = await _start_send(ctx, slug, list_name, issue, plan, started_before, expect_new=new)
    if changed is not None:  # the new review, with what changed since the officer looked (its checks run after the lock)
        return await review_page(ctx, slug, list_name, changed=changed, status=409)
    return response


async def _start_send(ctx: Ctx, slug: str, list_name: str, issue: object, plan: Any, started_before: int, *, expect_new: bool) -> Response:
    """The confirmation decided where the campaign opens, with its audit entry; then the send (under ``SendJobs.starting``); its page.

    Decided by the store (``campaign.audit.confirm``), not by what this studio
    read before: another studio or a terminal on the same store may have
    opened the campaign since (``started_elsewhere``) or sent everything
    (``nothing_left``). Either is a ``send_refused`` written in the deciding
    transaction, and the send page says where things stand; a go is the
    ``send`` entry, written first: a send nobody can later see in the log is refused before it starts.
    """
    from leadex_mail.campaign.audit import confirm

    store, actor, settings = ctx.studio.store, ctx.actor, ctx.studio.settings
    resuming = plan.campaign_status is not None
    try:
        decided = await anyio.to_thread.run_sync(lambda: confirm(store, issue, settings, plan, actor, expect_new=expect_new))  # type: ignore[arg-type]
    except (ChangedAfterSend, RecordsAnonymised) as err:
        return changed_after_send(ctx, slug, list_name, err)
    except StoreError as err:
        again = ctx.t("store_resume_again" if resuming else "store_review_again")
        return store_failed(ctx, err, not_done=ctx.t("store_send_refused"), again=again, back=f"/issues/{slug}/send")
    if not decided.go:
        return redirect(f"/issues/{slug}/send?done={decided.reason}&list={quote(list_name, safe='')}")

    def finished(job: SendJob) -> None:
        try:
            record(store, actor, "send_finished", f"{slug} -> {list_name}", detail={"status": job.status, "counts": job.own_counts, "error": job.error})
        except StoreError as err:  # the send's outcome is in the deliveries; the job page says the log lacks it
            job.not_recorded = err.message

    job = ctx.studio.jobs.start(store, issue, ctx.studio.settings, list_name=list_name, actor=actor, on_finish=finished, resume=resuming)  # type: ignore[arg-type]
    return redirect(f"/issues/{slug}/send/jobs/{job.id}" + ("?joined=1" if job.number <= started_before else ""))


async def _other_send(ctx: Ctx, slug: str, list_name: str, started_before: int) -> Response | None:
    """The page of the send another tab (or a second press) started while this request checked, or running still; else None.

    That page says the send came from elsewhere and shows its real progress,
    then its outcome: the tab that lost the race never starts a send of its
    own that has nothing left, nor waits for one that never comes. Its
    confirmation is in the audit log as ``send_refused`` (``other_send``: the
    send it follows); when that cannot be written the page follows all the
    same (nothing was changed), and the studio's log says why.
    """
    other = ctx.studio.jobs.since(slug, list_name, started_before) or ctx.studio.jobs.running(slug, list_name)
    if other is None:
        return None
    store, actor = ctx.studio.store, ctx.actor
    try:
        await anyio.to_thread.run_sync(lambda: record(store, actor, "send_refused", f"{slug} -> {list_name}", detail={"other_send": other.id}))
    except StoreError as err:
        log.warning("a confirmation of the send of %s to %s that followed another could not be written in the audit log: %s", slug, list_name, err.message)
    return redirect(f"/issues/{slug}/send/jobs/{other.id}?joined=1")


async def retry(ctx: Ctx) -> Response:
    """Re-queue the temporary failures of a campaign and send them again (``views_retry.retry``)."""
    from leadex_mail.studio.views_retry import retry as again

    return await again(ctx)


def _job(ctx: Ctx) -> SendJob | None:
    job = ctx.studio.jobs.jobs.get(ctx.request.path_params["job"])
    return job if job is not None and job.slug == ctx.request.path_params["slug"] else None


async def job_page(ctx: Ctx) -> Response:
    """A send's progress while it runs; its outcome and the campaign's status after.

    A send this studio no longer knows (it was started again since: an old tab,
    a bookmark) is named by its address's list: the page says so and shows
    where that list's campaign stands, "stopped without finishing" with
    "Resume the send" when it did not finish (a13c F5).
    """
    job = _job(ctx)
    if job is None:
        return await _job_forgotten(ctx)
    status_of = await _status(ctx, job.slug, job.list_name) if job.finished else {"campaigns": [], "actions": {}, "stopped": []}
    return ctx.render(
        "job.html.j2", title=ctx.t("job_title", list=job.list_name), job=job, slug=job.slug, nav="issues",
        joined=ctx.request.query_params.get("joined") == "1", **status_of,
    )


async def _job_forgotten(ctx: Ctx) -> Response:
    """The page of a send of an earlier run of the studio: the campaign of its list as the store has it."""
    from leadex_mail.studio.sending import job_list

    slug, list_name = issue_slug(ctx), job_list(ctx.request.path_params["job"])
    if slug is None or list_name is None:
        return not_found(ctx)
    return ctx.render(
        "job.html.j2", title=ctx.t("job_title", list=list_name), job=None, list_name=list_name, slug=slug,
        running=ctx.studio.jobs.running(slug, list_name), nav="issues", **await _status(ctx, slug, list_name),
    )


async def job_events(ctx: Ctx) -> Response:
    """Server-Sent Events of a send: ``progress`` as it goes, ``done`` at the end."""
    job = _job(ctx)
    if job is None:
        return not_found(ctx)
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(follow_stream(ctx, job.events(ctx.studio.workspace.closed)), media_type="text/event-stream", headers=headers)
