"""The preview web app: a thin Starlette face over ``build_preview`` and ``LiveState``.

    GET /                 the page: language switch, desktop + mobile views,
                          text part, check results (or the problems)
    GET /email/<lang>     one edition's HTML with sample values, for the iframes
                          (``?scheme=dark``: its dark-mode rules applied)
    GET /deep             the deep check's results (``preview --deep``), for the page to poll
    GET /img/<cid>        inline (CID) images, which a browser cannot resolve
    GET /events           Server-Sent Events: ``reload`` after every rebuild
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from leadex_mail.config import Settings
from leadex_mail.content.loader import BRAND_FILE
from leadex_mail.preview.build import Preview, build_preview
from leadex_mail.preview.deep import DeepRunner, DeepStatus, force_dark
from leadex_mail.preview.live import LiveState, watch_and_refresh
from leadex_mail.render.i18n import CATALOG_DIR
from leadex_mail.render.pipeline import templates_dir as email_templates_dir

# Loopback names only: a web page elsewhere that rebinds its DNS name to
# 127.0.0.1 must not be able to read an unsent issue through this server.
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


def watched_sources(preview: Preview, settings: Settings) -> tuple[list[Path], list[Path]]:
    """``(folders, files)`` whose changes change the preview.

    The issue folder, the email templates and the language catalogs; the
    brand file beside the issue folder and the one in ``newsletters_dir``
    (the loader uses the first that exists, and either may appear later).
    """
    folders = [p for p in (preview.issue_folder, email_templates_dir(), CATALOG_DIR) if p is not None]
    issue_parent = preview.issue_folder.parent if preview.issue_folder else settings.newsletters_dir
    files = sorted({issue_parent / BRAND_FILE, settings.newsletters_dir / BRAND_FILE})
    return folders, files


def _page_env() -> jinja2.Environment:
    """The preview page's own template, beside the email templates."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(email_templates_dir().parent / "preview"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def create_app(issue_ref: str, settings: Settings, *, watch: bool = True, deep: bool = False) -> Starlette:
    """The preview app for one issue, built once now and again on every save.

    ``watch=False`` turns live reload off (the page still works, statically).
    ``deep`` runs ``check --deep`` in the background after every save that
    renders (a browser and SpamAssassin each time) and shows its results.
    """
    runner = DeepRunner(issue_ref, settings) if deep else None

    def rebuild() -> Preview:
        preview = build_preview(issue_ref, settings)
        if runner is not None and preview.ok:
            runner.request()
        return preview

    state = LiveState(rebuild(), rebuild=rebuild)
    env = _page_env()

    def deep_status() -> DeepStatus:
        return runner.status if runner is not None else DeepStatus("off")

    def missing(status: int, title: str, what: str, todo: str) -> HTMLResponse:
        """The preview's own page for an address with nothing to show (404) or an issue that cannot be shown (409)."""
        body = env.get_template("missing.html").render(preview=state.preview, title=title, what=what, todo=todo)
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    async def not_found(request: Request, exc: Exception) -> Response:
        """Any other address the preview does not serve (Starlette's own answer was plain text)."""
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 405:
            return missing(405, "Not here", "The preview only shows pages; it takes no forms or uploads.", "Open the preview page.")
        return missing(status, "No such page", f"The preview has no page at {request.url.path}.", "Open the preview page: it shows every edition, its text part and the check results.")

    async def page(request: Request) -> Response:
        preview = state.preview
        lang = preview.pick_language(request.query_params.get("lang"))
        template = env.get_template("page.html")
        body = template.render(preview=preview, lang=lang, edition=preview.editions.get(lang), version=state.version, deep=deep_status())
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})

    async def deep_results(request: Request) -> Response:
        preview = state.preview
        lang = preview.pick_language(request.query_params.get("lang"))
        body = env.get_template("deep.html").render(preview=preview, lang=lang, deep=deep_status())
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})

    async def email(request: Request) -> Response:
        preview = state.preview
        edition = preview.editions.get(request.path_params["lang"])
        if edition is None:
            lang = request.path_params["lang"]
            if not preview.ok:
                return missing(409, "The issue cannot be shown", f"The {lang} edition cannot be rendered: the issue has errors.",
                               "Open the preview page: it lists each problem with its file and line. Save the fixed file and this page shows the edition.")
            have = ", ".join(preview.editions) or "none"
            return missing(404, "No such edition", f"The issue has no {lang!r} edition (it has: {have}).",
                           "Pick an edition on the preview page, or add the file <language>.yaml to the issue's folder.")
        html = force_dark(edition.html) if request.query_params.get("scheme") == "dark" else edition.html
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def image(request: Request) -> Response:
        img = state.preview.images.get(request.path_params["cid"])
        if img is None:
            return missing(404, "No such picture", "The issue has no inline picture at this address (it may have been renamed or removed since this page was loaded).",
                           "Reload the preview page: it links the pictures the issue has now.")
        return Response(img.data, media_type=img.mime_type, headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(state.events(), media_type="text/event-stream", headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if watch:
            folders, files = watched_sources(state.preview, settings)
            task = asyncio.create_task(watch_and_refresh(state, folders, files, stop))
        try:
            yield
        finally:
            state.close()
            stop.set()
            if task is not None:
                await task
            if runner is not None:
                await anyio.to_thread.run_sync(runner.close)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/email/{lang}", email),
            Route("/img/{cid:path}", image),
            Route("/events", events),
            Route("/deep", deep_results),
        ],
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_found},
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED_HOSTS)],
    )
    app.state.live = state
    app.state.deep = runner
    return app
