"""Handlers of the privacy pages: the notice, "send me my data", "delete my data" and its mailed link.

Thin like ``views.py`` (whose helpers they share): parse, call one function
of ``selfservice``, render. No page here ever shows a subscriber's data:
the export and the erasure link go to the subscriber's own address.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from leadex_mail.store.models import Subscriber
from leadex_mail.web import selfservice
from leadex_mail.web.i18n import negotiate
from leadex_mail.web.pages import render_page
from leadex_mail.web.security import CSRF_FIELD, csrf_valid
from leadex_mail.web.service import ExpiredLink, InvalidLink
from leadex_mail.web.views import _cookie_name, _csrf, _form, _html, _link_error, _message, _public_language, _visitor, _web

# "Send me my data" / "delete my data" per IP address: a person needs a few; a script walking
# through forwarded links gets nowhere (each subscriber is throttled in the queue as well).
DATA_REQUEST_LIMIT = (10, 3600.0)


async def privacy_page(request: Request) -> Response:
    """GET /privacy: the privacy notice in the visitor's language (``?lang=`` to choose)."""
    web = _web(request)
    lang = _public_language(request)
    notice = web.notice
    page = render_page(
        "privacy.html.j2", lang, title_key="privacy_title", switch=True, noindex=False, facts=notice.facts, version=notice.version
    )
    # Revalidated every time: a changed notice must be what people see.
    return HTMLResponse(page, headers={"cache-control": "no-cache"})


async def data_request(request: Request, subscriber: Subscriber, action: str) -> Response:
    """The preferences page's "send me my data" (``export``) or "delete my data" (``erase``), CSRF already checked.

    The answer is the same whether a mail was queued or the request was
    throttled, and names no address: whoever holds a forwarded link learns nothing.
    """
    web = _web(request)
    lang = subscriber.language
    visitor = _visitor(request)
    if not web.data_limiter.hit(visitor.ip or "-"):
        response = _message(request, lang, "rate_limited_title", "data_rate_limited_text", status=429)
        response.headers["retry-after"] = str(web.data_limiter.retry_after(visitor.ip or "-"))
        return response
    if action == "export":
        await run_in_threadpool(selfservice.request_data_export, web.store, subscriber, web.clock())
        web.sender.wake()
        return _message(request, lang, "data_export_sent_title", "data_export_sent_text")
    await run_in_threadpool(selfservice.request_erasure, web.store, subscriber, web.clock())
    web.sender.wake()
    return _message(request, lang, "data_erase_sent_title", "data_erase_sent_text", values={"hours": selfservice.ERASE_LINK_HOURS})


def _erase_page(request: Request, lang: str, *, erased: bool, status: int = 200) -> Response:
    token, cookie = _csrf(request)
    title = "erased_title" if erased else "erase_title"
    return _html(request, render_page("erase.html.j2", lang, title_key=title, erased=erased, csrf=token), status=status, cookie=cookie)


def _erase_link_error(request: Request, err: Exception, lang: str) -> Response:
    if isinstance(err, ExpiredLink):
        return _message(request, lang, "expired_link_title", "erase_expired_text", status=410)
    return _link_error(request, err, lang)


async def erase_page(request: Request) -> Response:
    """GET /erase/<token>: what erasure deletes and keeps, and one button; nothing changes yet (mail scanners prefetch)."""
    web = _web(request)
    lang = _public_language(request)
    try:
        subscriber, language = await run_in_threadpool(selfservice.erasure_subscriber, web.store, web.settings, request.path_params["token"], web.clock())
    except (InvalidLink, ExpiredLink) as err:
        return _erase_link_error(request, err, lang)
    if subscriber is None:  # erased already (by this link or otherwise): say so again
        return _erase_page(request, negotiate(query_language=language, default=lang), erased=True)
    return _erase_page(request, subscriber.language, erased=False)


async def erase_submit(request: Request) -> Response:
    """POST /erase/<token>: erase as ``subscribers forget`` does (CSRF-protected), then say what was kept."""
    web = _web(request)
    lang = _public_language(request)
    data = await _form(request)
    token = request.path_params["token"]
    try:
        subscriber, language = await run_in_threadpool(selfservice.erasure_subscriber, web.store, web.settings, token, web.clock())
        lang = negotiate(query_language=language, default=lang)
        if subscriber is not None:
            lang = subscriber.language
            if not csrf_valid(str(data.get(CSRF_FIELD, "")), request.cookies.get(_cookie_name(request)), web.settings.signing_key()):
                return _message(request, lang, "erase_title", "error_csrf", status=403)
            await run_in_threadpool(selfservice.erase_by_link, web.store, web.settings, token, web.clock())
    except (InvalidLink, ExpiredLink) as err:
        return _erase_link_error(request, err, lang)
    return _erase_page(request, lang, erased=True)
