"""Which issue and edition a studio address (or a form) names, read the way the CLI reads them.

    slug, lang = edition_names(ctx)        # /issues/{slug}/{lang}/...; NoSuchPage when either names nothing
    session = issue_session(ctx, slug)     # that issue's session of this officer
    is_edition("sl")                       # True; "xx", "SL", "en-gb": False

An edition is a file named by its language code as the loader names it
(``content.languages.is_edition_language``): ``xx.yaml`` has the shape of a
code but names no language, and ``leadex-mail check`` refuses it. The
studio neither lists such a file as an edition nor opens, saves, follows or
restores it as one: what the studio calls an edition is what the CLI loads.
"""

from __future__ import annotations

from starlette.responses import Response

from leadex_mail.content.languages import is_edition_language
from leadex_mail.content.scaffold import SLUG_RE
from leadex_mail.studio.web import Ctx
from leadex_mail.studio.workspace import IssueSession


class NoSuchPage(Exception):
    """The address names no issue, or no edition of it (the face answers 404)."""


def is_edition(code: str | None) -> bool:
    """Whether ``code`` (from an address, a form or a file name) names an edition as its file is named."""
    return bool(code) and is_edition_language(str(code))


def edition_names(ctx: Ctx, *, lang: bool = True) -> tuple[str, str]:
    """``(slug, language)`` of the address (``language`` "" when ``lang`` is False); ``NoSuchPage`` when either names nothing."""
    slug = ctx.request.path_params["slug"]
    language = ctx.request.path_params.get("lang", "") if lang else ""
    if not SLUG_RE.match(slug) or (lang and not is_edition(language)):
        raise NoSuchPage(slug)
    return slug, language


def issue_session(ctx: Ctx, slug: str) -> IssueSession:
    """This officer's session on the issue ``slug``; ``NoSuchPage`` when there is no such issue folder."""
    if not (ctx.studio.settings.newsletters_dir / slug).is_dir():
        raise NoSuchPage(slug)
    return ctx.studio.workspace.issue(ctx.owner, slug)


def address_session(ctx: Ctx, *, lang: bool = True) -> tuple[IssueSession, str]:
    """The session and the language the address names (``edition_names`` then ``issue_session``); ``NoSuchPage``."""
    slug, language = edition_names(ctx, lang=lang)
    return issue_session(ctx, slug), language


def session_or_none(ctx: Ctx) -> IssueSession | None:
    """The session of the issue the address names (no language in it); None when there is no such issue."""
    try:
        return address_session(ctx, lang=False)[0]
    except NoSuchPage:
        return None


def missing(ctx: Ctx) -> Response:
    """404: the page the officer asked for does not exist."""
    return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("not_found_text"))
