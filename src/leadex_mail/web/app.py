"""The subscriber-facing web app: ``create_app(settings)`` builds it, uvicorn runs it.

    app = create_app(settings)             # real store and transport from settings
    app = create_app(settings, store=s, transport_factory=f, clock=lambda: fixed_now)

Pages work without JavaScript and are served with a strict CSP (no scripts
at all), ``nosniff``, ``no-referrer`` (URLs carry personal tokens) and no
framing; request bodies over 64 KB get 413. Handlers live in ``views.py``
and, for the privacy notice and self-service access and erasure,
``views_privacy.py``. Confirmation mails (and the privacy mails) are queued
and sent by a background ``ConfirmationSender`` (``confirmations.py``) that
the lifespan starts and stops, never from a request's thread. The privacy
notice is built once, at start, from the settings and the brand file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from leadex_mail.config import Settings
from leadex_mail.delivery.transport import Transport
from leadex_mail.store.db import Store
from leadex_mail.store.notices import record_notice
from leadex_mail.web import views, views_privacy
from leadex_mail.web.archive import Archive
from leadex_mail.web.i18n import negotiate
from leadex_mail.web.pages import render_page, static_dir
from leadex_mail.web.security import (
    MAX_BODY_BYTES,
    RateLimiter,
    SecurityHeadersMiddleware,
)
from leadex_mail.web.confirmations import ConfirmationSender, TransportFactory
from leadex_mail.web.notice import PrivacyNotice, build_notice
from leadex_mail.web.service import UnsubscribeWriter, sender_brand
from leadex_mail.web.views_privacy import DATA_REQUEST_LIMIT

Clock = Callable[[], datetime]
# Sign-ups per IP address: generous enough for an office or a conference
# network behind one address, far too few for a bot.
SUBSCRIBE_LIMIT = (20, 3600.0)


def utcnow() -> datetime:
    """The current time, UTC, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class WebContext:
    """What every handler needs, kept on ``app.state.web``."""

    settings: Settings
    store: Store
    sender: ConfirmationSender
    limiter: RateLimiter
    archive: Archive
    clock: Clock
    unsubscriber: UnsubscribeWriter
    notice: PrivacyNotice
    data_limiter: RateLimiter

    @property
    def https(self) -> bool:
        """True when the public URL is https (cookies get ``Secure``)."""
        return bool(self.settings.public_url and self.settings.public_url.startswith("https://"))


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    transport: Transport | None = None,
    transport_factory: TransportFactory | None = None,
    clock: Clock | None = None,
    subscribe_limit: tuple[int, float] = SUBSCRIBE_LIMIT,
) -> Starlette:
    """Build the web app over ``store`` (opened from settings when None).

    Confirmation mails go through ``transport_factory(settings)`` (default:
    the configured transport), or through ``transport`` when one is given;
    ``clock`` gives the current UTC time for link expiry, the rate limit and
    retry times, so tests move time instead of sleeping. The running app's
    sender is ``app.state.web.sender`` (tests wait on its ``wait_idle``).
    """
    settings.signing_key()  # fail at start, not on the first visitor, when no key is set
    notice = build_notice(settings, sender_brand(settings))  # a broken brand file stops the start, with its problems
    owns_store = store is None
    if store is None:
        from leadex_mail.store.db import open_store

        store = open_store(settings)
    now = clock or utcnow
    record_notice(store, notice.version, notice.content(), now())  # what this version says, kept as consent evidence
    web = WebContext(
        settings=settings,
        store=store,
        sender=ConfirmationSender(store, settings, transport_factory=_factory(transport, transport_factory), clock=now),
        limiter=RateLimiter(subscribe_limit[0], subscribe_limit[1], now),
        archive=Archive(store, settings),
        clock=now,
        unsubscriber=UnsubscribeWriter(store),
        notice=notice,
        data_limiter=RateLimiter(DATA_REQUEST_LIMIT[0], DATA_REQUEST_LIMIT[1], now),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        web.unsubscriber.start()
        web.sender.start()  # sends what is queued already (e.g. before a restart)
        try:
            yield
        finally:
            await web.unsubscriber.stop()  # queued unsubscribes are committed before the store closes
            await asyncio.to_thread(web.sender.stop)  # the mail in hand may finish; the rest stays queued
        if owns_store:
            web.store.close()

    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(SecurityHeadersMiddleware, https=web.https),
            Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.web = web
    return app


def _factory(transport: Transport | None, factory: TransportFactory | None) -> TransportFactory | None:
    """The sender's transport factory: a given transport (the sender closes it after each pass), else ``factory``."""
    if transport is None:
        return factory
    return lambda _settings: transport


def _routes() -> list[Route | Mount]:
    return [
        Route("/", views.home, methods=["GET"]),
        Route("/healthz", views.healthz, methods=["GET"]),
        Route("/subscribe", views.subscribe_form, methods=["GET"]),
        Route("/subscribe", views.subscribe_submit, methods=["POST"]),
        Route("/confirm/{token}", views.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", views.confirm_submit, methods=["POST"]),
        Route("/unsubscribe", views.manage_page, methods=["GET"]),
        Route("/unsubscribe/{token}", views.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", views.unsubscribe_submit, methods=["POST"]),
        Route("/preferences/{token}", views.preferences_page, methods=["GET"]),
        Route("/preferences/{token}", views.preferences_submit, methods=["POST"]),
        Route("/archive", views.archive_redirect, methods=["GET"]),
        Route("/archive/", views.archive_index, methods=["GET"]),
        Route("/archive/{slug}/{lang}", views.archive_edition, methods=["GET"]),
        Route("/archive/{slug}/{lang}/", views.archive_edition, methods=["GET"]),
        Route("/archive/{slug}/{lang}/images/{name}", views.archive_image, methods=["GET"]),
        Route("/view/{token}", views.view_edition, methods=["GET"]),
        Route("/privacy", views_privacy.privacy_page, methods=["GET"]),
        Route("/erase/{token}", views_privacy.erase_page, methods=["GET"]),
        Route("/erase/{token}", views_privacy.erase_submit, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(static_dir())), name="static"),
    ]


_ERROR_TITLES = {404: ("not_found_title", "not_found_text"), 413: ("too_large_title", None)}


async def _http_error(request: Request, exc: Exception) -> Response:
    """A localised error page for 404, 405, 413 and the like."""
    assert isinstance(exc, HTTPException)
    title_key, text_key = _ERROR_TITLES.get(exc.status_code, ("server_error_title", None))
    if exc.status_code == 405:
        title_key, text_key = "not_found_title", "not_found_text"
    return _error_page(request, exc.status_code, title_key, text_key, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    """A localised 500 page; the traceback goes to the server log, not to the visitor."""
    return _error_page(request, 500, "server_error_title", "server_error_text")


def _error_page(request: Request, status: int, title_key: str, text_key: str | None, headers: dict[str, str] | None = None) -> Response:
    settings: Settings = request.app.state.web.settings
    lang = negotiate(accept_language=request.headers.get("accept-language"), default=settings.default_language)
    page = render_page("message.html.j2", lang, title_key=title_key, paragraphs=_texts(lang, text_key))
    return HTMLResponse(page, status_code=status, headers=headers)


def _texts(lang: str, key: str | None) -> tuple[str, ...]:
    from leadex_mail.web.i18n import catalog

    return (catalog(lang).t(key),) if key else ()
