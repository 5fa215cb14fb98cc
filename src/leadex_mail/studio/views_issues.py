"""The issue list and starting issues and editions.

    GET  /                        every issue with its state and its editions' completeness
    POST /issues                  a new issue (from the previous one, blank, or the example)
    POST /issues/{slug}/editions  a new language edition, started from the default edition
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.content.languages import NotALanguage, edition_language, suggested_code
from leadex_mail.content.loader import load_brand
from leadex_mail.content.scaffold import SLUG_RE, STARTS, PreviousIssue, all_issues, latest_issue, new_issue
from leadex_mail.errors import ContentError, EditionExists, LeadexError, StoreError
from leadex_mail.overview import IssueState, issue_overview, store_records
from leadex_mail.studio.addresses import missing, session_or_none
from leadex_mail.studio.views_schedule import local_time
from leadex_mail.studio.saying import error_words
from leadex_mail.studio.storefail import reason
from leadex_mail.studio.web import Ctx, action, form_data, page, redirect


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/", page(issue_list), methods=["GET"]),
        Route("/issues", action(create_issue), methods=["POST"]),
        Route("/issues/{slug}/editions", action(create_edition), methods=["POST"]),
    ]


def _overview(ctx: Ctx) -> tuple[list[IssueState], StoreError | None]:
    """The issues, and the store's failure when it could not be read (the list then shows what the files alone say)."""
    failed = None
    try:
        records = store_records(ctx.studio.store)
    except StoreError as err:  # cannot be opened or read: the list still shows the files, and says why sends are missing
        records, failed = None, err
    return [_titled(ctx, issue) for issue in issue_overview(ctx.studio.settings, records)], failed


def _titled(ctx: Ctx, issue: IssueState) -> IssueState:
    """An issue whose files do not load, named by the title its default edition's file holds (not its folder twice, a13c F8).

    The editor reads the file as it is (``edition_data``); a title with control
    characters (the reason it does not load, perhaps) is shown without them.
    """
    if issue.problem is None or issue.title != issue.slug:
        return issue
    language = issue.default_language or ctx.studio.settings.default_language
    try:
        data = ctx.studio.workspace.issue(ctx.owner, issue.slug).edition_data(language)
    except (LeadexError, OSError):
        return issue
    title = data.get("title") if isinstance(data, dict) else None
    shown = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", title).split()) if isinstance(title, str) else ""
    return dataclasses.replace(issue, title=shown) if shown else issue


async def issue_list(
    ctx: Ctx, *, error: str | None = None, error_field: str | None = None, error_link: tuple[str, str] | None = None,
    values: dict[str, str] | None = None, status: int = 200,
) -> Response:
    """Every issue, newest first, and the form to start a new one."""
    issues, failed = await anyio.to_thread.run_sync(_overview, ctx)
    suggestion = await anyio.to_thread.run_sync(_suggestion, ctx)
    store_problem = None
    if failed is not None:
        key, _ = reason(failed)
        store_problem = " ".join((ctx.t("store_failed_what", reason=ctx.t(key)), ctx.t("issues_store_unread"), ctx.t(key + "_todo")))
    return ctx.render(
        "issues.html.j2",
        status=status,
        title=ctx.t("issues_title"),
        issues=issues,
        store_problem=store_problem,
        suggestion={**suggestion, **(values or {})},
        starts=STARTS,
        error=error,
        error_field=error_field,
        error_link=error_link,
        when=lambda at: local_time(at, ctx.studio.settings),
        nav="issues",
    )


# The months a new issue may be of: from FIRST_YEAR to YEARS_AHEAD years after this one. Anything else is
# a typing slip (9999-12, 0206-04), and a date that far out breaks date arithmetic (the next month of
# 9999-12 is past ``date.max``: the Issues page was a 500 for ever, a13c F1).
FIRST_YEAR = 2000
YEARS_AHEAD = 10
MAX_NUMBER = 9999


def month_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first days of the first and the last month a new issue may be of (both included)."""
    return dt.date(FIRST_YEAR, 1, 1), dt.date(today.year + YEARS_AHEAD, 12, 1)


def next_month(day: dt.date) -> dt.date | None:
    """The first day of the month after ``day``'s; None past ``date.max`` (an issue dated 9999-12 on disk)."""
    year, month = divmod(day.year * 12 + day.month, 12)  # day's month counted from year 0 is year*12 + month-1; +1
    return dt.date(year, month + 1, 1) if year <= dt.MAXYEAR else None


def _suggestion(ctx: Ctx) -> dict[str, str]:
    """What the new-issue form proposes: the next number and month, the default language.

    Whatever the issue folders hold (a hand-made issue dated 9999-12 or
    0001-01, numbered 99999): the proposal is always one the form accepts
    (this month when the month after the latest issue is out of range, no
    number when the next is), so the Issues page never fails on a folder.
    """
    settings = ctx.studio.settings
    previous = latest_issue(settings)
    today = ctx.now().date()
    first, last = month_range(today)
    month, number = today.replace(day=1), "1"
    if previous is not None:
        after = next_month(previous.date)
        if after is not None and first <= after <= last:
            month = max(after, month)
        number = str(previous.number + 1) if 1 <= previous.number + 1 <= MAX_NUMBER else ""
    return {
        "number": number,
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
    problem, field = _new_issue_problem(ctx, number, month, language, start), None
    if problem is not None:
        problem, field = problem
        return await issue_list(ctx, error=problem, error_field=field, values=form, status=400)
    code = _language_code(language)
    try:
        name = load_brand(ctx.studio.settings).name
    except LeadexError:
        name = "newsletter"
    slug = issue_slug(name, month, int(number))
    if not SLUG_RE.match(slug):
        return await issue_list(ctx, error=ctx.t("bad_request"), values=form, status=400)
    taken = await anyio.to_thread.run_sync(_taken, ctx, slug, int(number), month)
    if taken is not None:
        error, field, link, values = taken
        return await issue_list(ctx, error=error, error_field=field, error_link=link, values={**form, **values}, status=409)
    try:
        made = await anyio.to_thread.run_sync(lambda: new_issue(slug, ctx.studio.settings, code, start=start, today=ctx.now().date()))
    except EditionExists:  # started by someone else since the check above: said as the check says it
        taken = await anyio.to_thread.run_sync(_taken, ctx, slug, int(number), month)
        error, field, link, values = taken or (ctx.t("new_issue_exists", number=number, month=month), "number", None, {})
        return await issue_list(ctx, error=error, error_field=field, error_link=link, values={**form, **values}, status=409)
    except ContentError as err:
        return await issue_list(ctx, error=error_words(err), values=form, status=409)
    return redirect(f"/issues/{slug}/{made.path.stem}")


def _taken(ctx: Ctx, slug: str, number: int, month: str) -> tuple[str, str, tuple[str, str], dict[str, str]] | None:
    """Why No. ``number`` of ``month`` may not be started, in the officer's words; None when it may.

    ``(what is wrong, the field, (the existing issue's address, its name), the values to propose)``:
    the issue of that month and number is there already (its folder, even one that does not load),
    or another issue has that number (No. 2 of 2026-12 when No. 2 of 2027-03 is asked for). Either
    is refused with a link to the issue that has it; the form then proposes the next free number.
    """
    settings = ctx.studio.settings
    issues = all_issues(settings)
    free = str(max((p.number for p in issues), default=0) + 1)
    folder = settings.newsletters_dir / slug
    if folder.is_dir() and any(folder.glob("*.yaml")):
        link = (f"/issues/{slug}/{_edition_of(ctx, slug)}", slug)
        return ctx.t("new_issue_exists", number=number, month=month), "number", link, {"number": free}
    same = sorted((p for p in issues if p.number == number), key=lambda p: p.date)
    if same:
        other: PreviousIssue = same[0]
        link = (f"/issues/{other.slug}/{_edition_of(ctx, other.slug)}", other.slug)
        return ctx.t("new_number_taken", number=number, month=f"{other.date:%Y-%m}", free=free), "number", link, {"number": free}
    return None


def _edition_of(ctx: Ctx, slug: str) -> str:
    """The language of ``slug``'s default edition (the page its link opens); the studio's default when it does not load."""
    try:
        from leadex_mail.content.loader import load_issue

        return load_issue(slug, ctx.studio.settings).default_language
    except LeadexError:
        return ctx.studio.settings.default_language


async def create_edition(ctx: Ctx) -> Response:
    """Another language of an issue, started from the default edition (same sections, texts marked to translate)."""
    form = await form_data(ctx)
    language = form.get("language", "").strip()
    session = session_or_none(ctx)
    if session is None:
        return missing(ctx)
    slug = session.slug
    code = _language_code(language)
    if code is None:
        return ctx.render("message.html.j2", status=400, title=ctx.t("refused_title"), message=_bad_language(ctx, language))
    if session.dirty():
        # The new edition copies the default edition as saved: save first, so it copies what is on screen.
        for dirty in session.dirty():
            if dirty not in session.dirty():
                continue  # saved with the default edition meanwhile (it followed its section changes only)
            try:
                await session.save(dirty)
            except LeadexError as err:
                return ctx.render("message.html.j2", status=409, title=ctx.t("conflict_title"), message=error_words(err))
    if (ctx.studio.settings.newsletters_dir / slug / f"{code}.yaml").exists():
        return _edition_there(ctx, slug, code)
    try:
        made = await anyio.to_thread.run_sync(lambda: new_issue(slug, ctx.studio.settings, code))
    except EditionExists:  # made by someone else since the check above (caught by its class, never its text)
        return _edition_there(ctx, slug, code)
    except ContentError as err:
        return ctx.render("message.html.j2", status=409, title=ctx.t("refused_title"), message=error_words(err))
    return redirect(f"/issues/{slug}/{made.path.stem}")


def _edition_there(ctx: Ctx, slug: str, code: str) -> Response:
    """The page that says the issue has that language already, with a link to it (never the CLI's "--lang")."""
    link = (f"/issues/{slug}/{code}", ctx.t("open_edition", language=code))
    return ctx.render("message.html.j2", status=409, title=ctx.t("refused_title"), message=ctx.t("edition_exists", language=code), link=link)


def _new_issue_problem(ctx: Ctx, number: str, month: str, language: str, start: str) -> tuple[str, str | None] | None:
    """``(what is wrong, the field's name)`` of the new-issue form, None when it may start an issue."""
    if not re.fullmatch(r"[0-9]{1,4}", number) or not 1 <= int(number) <= MAX_NUMBER:
        return ctx.t("new_bad_number", most=MAX_NUMBER), "number"
    first, last = month_range(ctx.now().date())
    shown = {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month) or not 1 <= int(month[5:]) <= 12:
        return ctx.t("new_bad_month", **shown), "month"
    if not first <= dt.date(int(month[:4]), int(month[5:]), 1) <= last:
        return ctx.t("new_month_out_of_range", month=month, **shown), "month"
    if _language_code(language) is None:
        return _bad_language(ctx, language), "language"
    if start not in STARTS:
        return ctx.t("bad_request"), None
    return None


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
