"""The issue list and starting issues and editions.

    GET  /                        every issue with its state and its editions' completeness
    POST /issues                  a new issue (from the previous one, blank, or the example)
    POST /issues/{slug}/editions  a new language edition, started from the default edition
"""

from __future__ import annotations

import datetime as dt
import re

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.content.languages import NotALanguage, edition_language, suggested_code
from leadex_mail.content.loader import load_brand
from leadex_mail.content.scaffold import SLUG_RE, STARTS, latest_issue, new_issue
from leadex_mail.errors import ContentError, LeadexError, StoreError
from leadex_mail.overview import IssueState, issue_overview, store_records
from leadex_mail.studio.views_schedule import local_time
from leadex_mail.studio.web import Ctx, action, form_data, page, redirect


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/", page(issue_list), methods=["GET"]),
        Route("/issues", action(create_issue), methods=["POST"]),
        Route("/issues/{slug}/editions", action(create_edition), methods=["POST"]),
    ]


def _overview(ctx: Ctx) -> list[IssueState]:
    try:
        records = store_records(ctx.studio.store)
    except StoreError:  # no store yet, or it cannot be opened: the list still shows the files
        records = None
    return issue_overview(ctx.studio.settings, records)


async def issue_list(ctx: Ctx, *, error: str | None = None, values: dict[str, str] | None = None, status: int = 200) -> Response:
    """Every issue, newest first, and the form to start a new one."""
    issues = await anyio.to_thread.run_sync(_overview, ctx)
    suggestion = await anyio.to_thread.run_sync(_suggestion, ctx)
    return ctx.render(
        "issues.html.j2",
        status=status,
        title=ctx.t("issues_title"),
        issues=issues,
        suggestion={**suggestion, **(values or {})},
        starts=STARTS,
        error=error,
        when=lambda at: local_time(at, ctx.studio.settings),
        nav="issues",
    )


def _suggestion(ctx: Ctx) -> dict[str, str]:
    """What the new-issue form proposes: the next number and month, the default language."""
    settings = ctx.studio.settings
    previous = latest_issue(settings)
    today = ctx.now().date()
    if previous is None:
        number, month = 1, today
    else:
        number = previous.number + 1
        after = previous.date.replace(day=1) + dt.timedelta(days=32)
        month = max(after.replace(day=1), today.replace(day=1))
    return {
        "number": str(number),
        "month": f"{month:%Y-%m}",
        "language": settings.default_language,
        "start": "previous" if previous else "blank",
        "previous": previous.slug if previous else "",
    }


def issue_slug(name: str, month: str, number: int) -> str:
    """The folder name of a new issue: ``2026-09-leadex-02`` (month, newsletter name, number)."""
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "issue"
    return f"{month}-{stem}-{number:02d}"


async def create_issue(ctx: Ctx) -> Response:
    """Start a new issue; its folder name comes from the month, the newsletter's name and the number."""
    form = await form_data(ctx)
    number, month = form.get("number", "").strip(), form.get("month", "").strip()
    language, start = form.get("language", "").strip(), form.get("start", "blank")
    problem = None
    if not re.fullmatch(r"[0-9]{1,4}", number) or int(number) < 1:
        problem = ctx.t("new_bad_number")
    elif not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month) or not 1 <= int(month[5:]) <= 12:
        problem = ctx.t("new_bad_month")
    elif (code := _language_code(language)) is None:
        problem = _bad_language(ctx, language)
    elif start not in STARTS:
        problem = ctx.t("bad_request")
    if problem:
        return await issue_list(ctx, error=problem, values=form, status=400)
    try:
        name = load_brand(ctx.studio.settings).name
    except LeadexError:
        name = "newsletter"
    slug = issue_slug(name, month, int(number))
    if not SLUG_RE.match(slug):
        return await issue_list(ctx, error=ctx.t("bad_request"), values=form, status=400)
    try:
        made = await anyio.to_thread.run_sync(lambda: new_issue(slug, ctx.studio.settings, code, start=start, today=ctx.now().date()))
    except ContentError as err:
        return await issue_list(ctx, error=f"{err.message}. {err.hint or ''}".strip(), values=form, status=409)
    return redirect(f"/issues/{slug}/{made.path.stem}")


async def create_edition(ctx: Ctx) -> Response:
    """Another language of an issue, started from the default edition (same sections, texts marked to translate)."""
    slug = ctx.request.path_params["slug"]
    form = await form_data(ctx)
    language = form.get("language", "").strip()
    if not SLUG_RE.match(slug) or not (ctx.studio.settings.newsletters_dir / slug).is_dir():
        return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("not_found_text"))
    code = _language_code(language)
    if code is None:
        return ctx.render("message.html.j2", status=400, title=ctx.t("refused_title"), message=_bad_language(ctx, language))
    session = ctx.studio.workspace.issue(ctx.owner, slug)
    if session.dirty():
        # The new edition copies the default edition as saved: save first, so it copies what is on screen.
        for code in session.dirty():
            try:
                await session.save(code)
            except LeadexError as err:
                return ctx.render("message.html.j2", status=409, title=ctx.t("conflict_title"), message=f"{err.message}. {err.hint or ''}")
    try:
        made = await anyio.to_thread.run_sync(lambda: new_issue(slug, ctx.studio.settings, code))
    except ContentError as err:
        return ctx.render("message.html.j2", status=409, title=ctx.t("refused_title"), message=f"{err.message}. {err.hint or ''}")
    return redirect(f"/issues/{slug}/{made.path.stem}")


def _language_code(typed: str) -> str | None:
    """The edition code of what the officer typed (``EN`` -> ``en``); None when it names no language."""
    try:
        return edition_language(typed)
    except NotALanguage:
        return None


def _bad_language(ctx: Ctx, typed: str) -> str:
    """Why ``typed`` is no language, in the officer's words: the code when they wrote a language's name."""
    named = suggested_code(typed)
    return ctx.t("new_language_named", typed=typed, code=named) if named else ctx.t("new_bad_language", typed=typed)
