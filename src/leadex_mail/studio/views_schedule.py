"""Scheduled sends from the studio -- the CLI's ``send --at`` and ``unschedule``.

    POST /issues/{slug}/send/schedule        schedule the reviewed send for a date and time (senders)
    GET  /issues/{slug}/send/unschedule      what cancelling does; confirm (senders)
    POST /issues/{slug}/send/unschedule      cancel it (senders)

The form is on the review page (``views_send.review``): the same
confirmation as sending now, so the officer sees recipients, transport, rate
and warnings before choosing a time. Times are typed in the ``timezone``
setting (this computer's zone when unset) and stored in UTC by
``campaign.scheduler.schedule_campaign``; the pages name the zone. The studio
only stores the time: ``leadex-mail worker`` sends it, and the pages say so.
Every schedule and cancellation is written to the audit log, in the
transaction that makes it (both or neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.config import Settings
from leadex_mail.errors import CampaignError, IssueNotReady, LeadexError, NotFound, StoreError
from leadex_mail.studio.storefail import store_failed
from leadex_mail.studio.saying import error_words
from leadex_mail.studio.web import Ctx, action, form_data, page, redirect

if TYPE_CHECKING:
    from leadex_mail.store.schedule import Held


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/issues/{slug}/send/schedule", action(schedule, "send"), methods=["POST"]),
        Route("/issues/{slug}/send/unschedule", page(unschedule_page, "send"), methods=["GET"]),
        Route("/issues/{slug}/send/unschedule", action(unschedule, "send"), methods=["POST"]),
    ]


def local_time(value: datetime, settings: Settings, *, seconds: bool = False) -> str:
    """``2026-09-10 14:00 CEST (12:00 UTC)``: a stored time in the zone times are typed in, and in UTC.

    Every time the studio shows with its zone is said here. A zone that is
    UTC at that moment (UTC itself, or London in winter) is said once:
    ``2026-09-10 12:00 UTC``, never ``12:00 UTC (12:00 UTC)`` (a13 finding 23).
    A naive ``value`` is UTC, as the store keeps times.
    """
    from leadex_mail.campaign.scheduler import as_utc, zone

    utc = as_utc(value if value.tzinfo else value.replace(tzinfo=UTC))
    local = utc.astimezone(zone(settings))
    clock = "%H:%M:%S" if seconds else "%H:%M"
    shown = f"{local:%Y-%m-%d} {local.strftime(clock)} {local:%Z}"
    if local.utcoffset() == timedelta(0):
        return shown
    return f"{shown} ({utc:%Y-%m-%d} {utc.strftime(clock)} UTC)" if local.date() != utc.date() else f"{shown} ({utc.strftime(clock)} UTC)"


def zone_label(ctx: Ctx) -> str:
    """The zone the form reads times in, as the officer is told it."""
    from leadex_mail.campaign.scheduler import zone

    settings = ctx.studio.settings
    if settings.timezone:
        return ctx.t("schedule_zone_setting", zone=settings.timezone)
    return ctx.t("schedule_zone_machine", zone=ctx.now().astimezone(zone(settings)).strftime("%Z"))


@dataclass(frozen=True)
class Waiting:
    """A scheduled send of one issue as the pages show it."""

    list_name: str
    language: str | None
    send_at: datetime  # UTC
    when: str  # local_time(send_at)
    overdue: bool  # its time passed and no worker started it
    held: Held | None = None  # at its time the check refused the issue: nothing sent yet (``store.schedule.Held``)


def waiting_for(ctx: Ctx, slug: str) -> list[Waiting]:
    """The sends of ``slug`` scheduled and not started, earliest first (blocking: call in a thread)."""
    from leadex_mail.store.schedule import waiting

    now, settings = ctx.now(), ctx.studio.settings
    return [
        Waiting(s.list_name, s.language, s.send_at, local_time(s.send_at, settings), s.send_at <= now, s.held)
        for s in waiting(ctx.studio.store) if s.issue_slug == slug
    ]


def form_context(ctx: Ctx, slug: str, list_name: str, *, at: str | None = None, error: str | None = None) -> dict[str, object]:
    """What the review page's schedule form shows: the zone, a suggested time, the current schedule, an error at the field.

    ``schedule_current_line``: the current schedule said in one line, with why it is held when it is (``scheduleview``).
    """
    from leadex_mail.campaign.scheduler import zone
    from leadex_mail.studio.scheduleview import current_words

    tomorrow = (ctx.now().astimezone(zone(ctx.studio.settings)) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    current = next((w for w in waiting_for(ctx, slug) if w.list_name == list_name), None)
    return {
        "schedule_zone": zone_label(ctx), "schedule_at": at if at is not None else f"{tomorrow:%Y-%m-%dT%H:%M}", "schedule_error": error,
        "schedule_current": current, "schedule_current_line": current_words(ctx, current) if current is not None else None,
    }


def _send_time(ctx: Ctx, text: str) -> tuple[datetime | None, str | None]:
    """(the typed time, aware) or (None, what is wrong with it, in the officer's words).

    Read by ``campaign.sendtime.read_send_time``, as ``send --at`` reads it:
    times the clocks skip or long past are refused here; more than a year
    ahead by ``schedule_campaign``, once the issue is checked.
    """
    from leadex_mail.campaign.sendtime import read_send_time, zone
    from leadex_mail.errors import SendTimeError

    try:
        send_at = read_send_time(text, ctx.studio.settings, now=ctx.now()).at if text.strip() else None
    except SendTimeError as err:  # skipped by the clocks, or an unknown zone: the core's words; unreadable or past: below
        if err.reason not in ("unreadable", "past"):
            return None, error_words(err)
        send_at = None if err.reason == "unreadable" else ctx.now()
    if send_at is None:
        return None, ctx.t("schedule_bad_time")
    now = ctx.now()
    if send_at <= now:
        shown = now.astimezone(zone(ctx.studio.settings))
        return None, ctx.t("schedule_past", now=f"{shown:%Y-%m-%d %H:%M %Z}")  # said once: the zone the time was typed in
    return send_at, None


async def schedule(ctx: Ctx) -> Response:
    """Store the reviewed send for a later time; the send page shows it waiting.

    The form carries what its review showed (``reviewed_version``, ``reviewed_counts``), as "Send now" does: a
    schedule of anything else stores nothing, and the new review says what changed. The schedule and its
    ``send_schedule`` audit entry are one transaction (``schedule_campaign`` with ``actor``): both or neither.
    """
    from leadex_mail.campaign.runner import plan_campaign
    from leadex_mail.campaign.scheduler import schedule_campaign
    from leadex_mail.preflight import check_sending
    from leadex_mail.studio import views_send
    from leadex_mail.studio.sending import issue_version, reviewed_counts

    slug = views_send.issue_slug(ctx)
    if slug is None:
        return views_send.not_found(ctx)
    form = await form_data(ctx)
    list_name, at = form.get("list", ""), form.get("at", "")
    if views_send.unsaved(ctx, slug):
        return await views_send.send_page(ctx, error=ctx.t("send_save_first"), status=409)
    send_at, problem = _send_time(ctx, at)
    if send_at is None:
        return await views_send.review_page(ctx, slug, list_name, schedule_at=at, schedule_error=problem, status=400)
    store, settings, actor = ctx.studio.store, ctx.studio.settings, ctx.actor
    refused = ctx.t("store_schedule_refused")
    try:
        version = await anyio.to_thread.run_sync(issue_version, settings.newsletters_dir / slug)  # before the checks, as the review
        # Never forced: an issue whose check finds errors is refused (IssueNotReady), as in views_send.start.
        issue, _ = await anyio.to_thread.run_sync(views_send.check_readiness, ctx, slug, False)
        settings.signing_key()  # as the review: no secret key for real sending, said now
        await anyio.to_thread.run_sync(check_sending, settings)  # a worker would refuse these settings later: say it now
        plan = await anyio.to_thread.run_sync(lambda: plan_campaign(store, issue, settings, list_name=list_name))  # type: ignore[arg-type]
        changed = "issue" if form.get("reviewed_version") != version else "list" if form.get("reviewed_counts") != reviewed_counts(plan.per_language) else None
        if changed is not None:  # the new review, with what changed since the officer looked; the time they typed kept
            return await views_send.review_page(ctx, slug, list_name, schedule_at=at, changed=changed, scheduling=True, status=409)
        # Stored and written in the audit log in one transaction (SendTimeError: more than a year ahead, nothing written).
        await anyio.to_thread.run_sync(lambda: schedule_campaign(store, issue, list_name, send_at, now=ctx.now(), actor=actor))  # type: ignore[arg-type]
    except IssueNotReady:  # the review says what to correct and links to the fields
        return await views_send.review_page(ctx, slug, list_name, status=409)
    except StoreError as err:
        if isinstance(err, NotFound):
            return await views_send.send_page(ctx, error=error_words(err), status=409)
        return store_failed(ctx, err, not_done=refused, back=f"/issues/{slug}/send/review?list={quote(list_name)}")
    except LeadexError as err:
        return await views_send.send_page(ctx, error=error_words(err), status=409)
    return redirect(f"/issues/{slug}/send?done=scheduled")


async def unschedule_page(ctx: Ctx) -> Response:
    """Ask before cancelling: which send, when it was due, what cancelling does."""
    from leadex_mail.studio import views_send

    slug = views_send.issue_slug(ctx)
    if slug is None:
        return views_send.not_found(ctx)
    list_name = ctx.request.query_params.get("list", "")
    found = next((w for w in await anyio.to_thread.run_sync(waiting_for, ctx, slug) if w.list_name == list_name), None)
    if found is None:
        return await views_send.send_page(ctx, error=ctx.t("unschedule_none", list=list_name), status=404)
    return ctx.render("unschedule.html.j2", title=ctx.t("unschedule_title"), slug=slug, item=found, nav="issues")


async def unschedule(ctx: Ctx) -> Response:
    """Cancel a scheduled send that has not started (``store.schedule.unschedule``)."""
    from leadex_mail.campaign.audit import send_target
    from leadex_mail.store.accounts import Entry
    from leadex_mail.store.schedule import unschedule as cancel
    from leadex_mail.studio import views_send

    slug = views_send.issue_slug(ctx)
    if slug is None:
        return views_send.not_found(ctx)
    list_name = (await form_data(ctx)).get("list", "")
    store, actor = ctx.studio.store, ctx.actor
    found = next((w for w in await anyio.to_thread.run_sync(waiting_for, ctx, slug) if w.list_name == list_name), None)
    if found is None:
        return await views_send.send_page(ctx, error=ctx.t("unschedule_none", list=list_name), status=404)
    # Cancelled and written in the audit log in one transaction: a cancellation the log cannot show is not made
    # (the send stays due, and the page says so); one that fails (a worker started it meanwhile) leaves no entry.
    audit = Entry(actor, "send_unschedule", send_target(slug, list_name))
    try:
        await anyio.to_thread.run_sync(lambda: cancel(store, slug, list_name, audit=audit))
    except NotFound:
        return await views_send.send_page(ctx, error=ctx.t("unschedule_none", list=list_name), status=404)
    except StoreError as err:
        return store_failed(ctx, err, not_done=ctx.t("store_unschedule_refused", when=found.when), back=f"/issues/{slug}/send")
    except LeadexError as err:  # started meanwhile: a worker is sending it
        return await views_send.send_page(ctx, error=error_words(err), status=409)
    return redirect(f"/issues/{slug}/send?done=unscheduled")
