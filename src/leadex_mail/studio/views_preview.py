"""What the editor shows beside the form: the live preview, its event stream and the issue's pictures.

    GET  /issues/{slug}/events            Server-Sent Events: hello, preview, disk, saved, changed, bye (``?lang=``: with that edition's email)
    GET  /issues/{slug}/{lang}/preview    the email as previewed (``?view=dark`` in dark mode)
    GET  /issues/{slug}/{lang}/text       the text part
    GET  /issues/{slug}/files/images/{name}  the issue's pictures (thumbnails in the form)
    GET  /img/{cid}                       pictures the preview's HTML refers to

Read only: nothing here changes a draft (``views_edit`` does). The event
stream and the preview are built by ``workspace.IssueSession``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from leadex_mail.studio.addresses import NoSuchPage, address_session, is_edition, missing, session_or_none
from leadex_mail.preview.build import PreviewEdition
from leadex_mail.studio.web import NO_STORE, PREVIEW_CSP, Ctx, follow_stream, page

_DARK_MEDIA = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")  # what images/ may serve (what render keeps: WebP is converted)


def routes() -> list[Route]:
    """This module's routes (before ``views_edit``'s: ``/issues/{slug}/events`` is not an edition)."""
    return [
        Route("/issues/{slug}/events", page(events), methods=["GET"]),
        Route("/issues/{slug}/files/images/{name}", page(issue_picture), methods=["GET"]),
        Route("/img/{cid:path}", page(inline_picture), methods=["GET"]),
        Route("/issues/{slug}/{lang}/preview", page(preview_html), methods=["GET"]),
        Route("/issues/{slug}/{lang}/text", page(preview_text), methods=["GET"]),
    ]


async def events(ctx: Ctx) -> Response:
    """Server-Sent Events of the issue: ``preview`` after each rebuild (``?lang=``: with that edition's email), ``disk`` and ``saved``."""
    session = session_or_none(ctx)
    if session is None:
        return missing(ctx)
    if session.preview is None:
        await session.refresh()
    language = ctx.request.query_params.get("lang")
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    workspace = ctx.studio.workspace
    stream = session.events(workspace.closed, language if is_edition(language) else None, ctx.words, workspace.instance)
    return StreamingResponse(follow_stream(ctx, stream), media_type="text/event-stream", headers=headers)


async def preview_html(ctx: Ctx) -> Response:
    """The edition's email as the preview shows it (sample name, links that go nowhere)."""
    return await _with_edition(ctx, _html)


def _html(ctx: Ctx, edition: PreviewEdition | None) -> Response:
    headers = {**NO_STORE, "content-security-policy": PREVIEW_CSP, "x-frame-options": "SAMEORIGIN"}
    if edition is None:
        body = f'<!doctype html><html lang="{ctx.words.language}"><title>{ctx.t("preview_none")}</title><p>{ctx.t("preview_none")}</p></html>'
        return Response(body, media_type="text/html", headers=headers)
    html = edition.html
    if ctx.request.query_params.get("view") == "dark":
        # Show the email's dark-mode styles unconditionally, as a mail app in dark mode applies them.
        html = _DARK_MEDIA.sub("@media all", html).replace('content="light dark"', 'content="dark"')
    return Response(html, media_type="text/html", headers=headers)


async def preview_text(ctx: Ctx) -> Response:
    """The edition's text part as the preview shows it."""
    return await _with_edition(ctx, lambda ctx, edition: PlainTextResponse(edition.text if edition else ctx.t("preview_none"), headers=NO_STORE))


async def _with_edition(ctx: Ctx, answer: Callable[[Ctx, PreviewEdition | None], Response]) -> Response:
    """``answer`` for the edition the address names, as last rendered (None: it did not render); the studio's 404 page for no such issue or edition."""
    try:
        session, lang = address_session(ctx)
    except NoSuchPage:
        return missing(ctx)
    preview = await session.rendered()
    return answer(ctx, preview.editions.get(lang))


async def issue_picture(ctx: Ctx) -> Response:
    """A picture of the issue's images/ folder (for the form's thumbnails)."""
    session = session_or_none(ctx)
    if session is None:
        return missing(ctx)
    name = ctx.request.path_params["name"]
    folder = (session.folder / "images").resolve()
    file = (folder / name).resolve()
    if not file.is_relative_to(folder) or not file.is_file() or file.suffix.lower() not in PICTURE_SUFFIXES:
        return missing(ctx)
    return FileResponse(file, headers=NO_STORE)


async def inline_picture(ctx: Ctx) -> Response:
    """A picture the preview's HTML names by ``cid`` (mail attaches them; a browser needs a URL)."""
    found = ctx.studio.workspace.image(ctx.owner, ctx.request.path_params["cid"])
    if found is None:  # the studio's page, as for every address that names nothing
        return missing(ctx)
    # A cid names the picture's content (its hash): it never changes, the browser may keep it.
    return Response(found.data, media_type=found.mime_type, headers={"cache-control": "private, max-age=86400, immutable"})
