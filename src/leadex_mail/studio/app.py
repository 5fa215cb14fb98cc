"""The studio web app: ``create_app(settings)`` builds it, ``studio.server`` runs it.

    app = create_app(settings)                                  # single-user, loopback
    app = create_app(settings, accounts=True, store=s, clock=c)  # sign-in required

A face like the CLI: each handler parses the request, calls the core
(content, render, check, delivery, store) and renders a page. What each
officer has open lives in ``Workspace``; files changed on disk reach it
through one watcher over ``newsletters_dir`` (started by the lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from watchfiles import DefaultFilter, awatch

from leadex_mail.counts import counted
from leadex_mail.config import Settings
from leadex_mail.store.db import Store
from leadex_mail.studio import views_audit, views_auth, views_edit, views_issues, views_people, views_preview, views_recovery, views_schedule, views_send
from leadex_mail.studio.auth import Access
from leadex_mail.studio.sending import SendJobs
from leadex_mail.studio.web import PAGE_CSP, not_found, static_dir
from leadex_mail.studio.workspace import Workspace
from leadex_mail.web.security import SecurityHeadersMiddleware

log = logging.getLogger(__name__)
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def utcnow() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


@dataclass
class Studio:
    """What every handler reaches through ``request.app.state.studio``."""

    settings: Settings
    workspace: Workspace
    access: Access
    clock: Callable[[], datetime]
    store_factory: Callable[[], Store]
    _store: Store | None = field(default=None, repr=False)
    jobs: SendJobs = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.jobs is None:
            self.jobs = SendJobs(self.clock)

    @property
    def store(self) -> Store:
        """The subscriber store, opened on first use (editing an issue never needs it)."""
        if self._store is None:
            self._store = self.store_factory()
        return self._store


def create_app(
    settings: Settings,
    *,
    accounts: bool = False,
    store: Store | None = None,
    clock: Callable[[], datetime] | None = None,
    watch: bool = True,
    host: str = "127.0.0.1",
) -> Starlette:
    """The studio over ``settings.newsletters_dir`` and the store (``store``, else opened from settings on first use).

    ``host``: the address it is served on; without accounts, requests must name
    it or another loopback name in their Host header. ``accounts`` requires signing in (served beyond loopback). ``clock``
    gives the time for sessions and sign-in limits (tests move it).
    ``watch=False`` turns off noticing changes made on disk by others.
    """
    now = clock or utcnow
    owns_store = store is None

    def open_store() -> Store:
        from leadex_mail.store.db import open_store as opener

        return opener(settings)

    studio = Studio(settings, Workspace(settings), Access.make(accounts=accounts, clock=now), now, open_store, store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(_watch(studio, stop)) if watch else None
        try:
            yield
        finally:
            studio.workspace.close()
            # Every request has ended (saves in flight finished): keep what is still unsaved, offered back on next open.
            kept = await anyio.to_thread.run_sync(studio.workspace.keep_unsaved, now())
            if kept:
                log.warning("unsaved changes of %s kept; the editor offers them back when the studio starts again", counted(kept, "edition"))
            studio.jobs.close()
            # Sends finish the message in hand and give back the rest (resumable) before the store closes.
            if not await anyio.to_thread.run_sync(studio.jobs.wait_stopped):
                log.warning("a send was still busy when the studio stopped; send to the list again to resume it")
            stop.set()
            if task is not None:
                await task
            if owns_store and studio._store is not None:
                studio._store.close()

    middleware = [Middleware(_Headers, https=accounts)]
    if not accounts:
        # A page elsewhere whose name points at 127.0.0.1 must not reach unsent issues (DNS rebinding).
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=served_hosts(host)))
    # Every 404/405 Starlette raises (no route, no static file, a method a route does not take) is the studio's page.
    app = Starlette(routes=routes(), middleware=middleware, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found})
    app.state.studio = studio
    return app


def served_hosts(host: str) -> list[str]:
    """The Host header values a single-user studio on ``host`` answers: the loopback names and ``host`` itself.

    ``host`` is any loopback address (``--host 127.0.0.2``, ``::1``); the
    address the studio prints must answer, never "Invalid host header".
    """
    bare = host.strip("[]")
    named = [bare, f"[{bare}]"] if ":" in bare else [bare]
    return LOOPBACK_HOSTS + [name for name in named if name not in LOOPBACK_HOSTS]


class _Headers(SecurityHeadersMiddleware):
    """The web app's security headers, with the studio's own page policy (its scripts are served from the package)."""

    def __init__(self, app, *, https: bool = False) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app, https=https)
        self.defaults = [(name, PAGE_CSP.encode() if name == b"content-security-policy" else value) for name, value in self.defaults]


def routes() -> list[Route | Mount]:
    """Every route of the studio (each handler wrapped by ``web.page``/``web.action``)."""
    return [
        *views_issues.routes(),
        *views_auth.routes(),
        *views_people.routes(),
        *views_audit.routes(),
        *views_send.routes(),  # before the editor's /issues/{slug}/{lang}
        *views_schedule.routes(),
        *views_recovery.routes(),
        *views_preview.routes(),  # its /issues/{slug}/events before the editor's /issues/{slug}/{lang}
        *views_edit.routes(),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", app=StaticFiles(directory=str(static_dir())), name="static"),
    ]


class _Sources(DefaultFilter):
    """Issue files, brand files and pictures; editor droppings and our own temporary files ignored."""

    def __call__(self, change, path: str) -> bool:  # type: ignore[no-untyped-def]
        name = Path(path).name
        return super().__call__(change, path) and not (name.startswith(".") and name.endswith(".tmp"))


async def _watch(studio: Studio, stop: asyncio.Event) -> None:
    """Tell the workspace about every batch of files changed under ``newsletters_dir``."""
    root = studio.settings.newsletters_dir
    if not root.is_dir():
        root.mkdir(parents=True, exist_ok=True)
    try:
        async for changes in awatch(root, watch_filter=_Sources(), stop_event=stop, debounce=100, step=50):
            try:
                await studio.workspace.files_changed({Path(p) for _, p in changes})
            except Exception:  # a bug below must not end the watching for the session
                log.exception("handling changed files failed")
    except OSError as exc:
        log.warning("not watching %s any more: %s", root, exc)
