"""Request handlers: parse the request, call one function of ``service``/``archive``, render.

GET never changes state (mail scanners prefetch links). Every POST that
changes something is either protected by a CSRF token bound to a cookie
(subscribe, confirm, preferences) or carries its own capability: the
signed unsubscribe token, which is all RFC 8058 one-click needs — no cookie,
no CSRF, 2xx, no redirect.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from leadex_mail import links
from leadex_mail.errors import ContentError, NotFound
from leadex_mail.store.models import Subscriber
from leadex_mail.web import service
from leadex_mail.web.archive import WebEdition
from leadex_mail.web.i18n import catalog, negotiate
from leadex_mail.web.pages import language_choices, render_page
from leadex_mail.web.security import (
    CSRF_FIELD,
    EDITION_CSP,
    csrf_token,
    csrf_valid,
    new_nonce,
)
from leadex_mail.web.service import ExpiredLink, InvalidLink, SignupForm, Visitor

if TYPE_CHECKING:
    from leadex_mail.web.app import WebContext

NO_STORE = {"cache-control": "no-store"}
MAX_FIELDS = 50
ONE_CLICK = ("List-Unsubscribe", "One-Click")


# -- helpers -----------------------------------------------------------------


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def _visitor(request: Request) -> Visitor:
    ip = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    return Visitor(ip=ip, user_agent=agent[:1000] if agent else None)


def _public_language(request: Request) -> str:
    """The language of a page anyone may open: ``?lang=``, the browser's, the default."""
    return negotiate(
        query_language=request.query_params.get("lang"),
        accept_language=request.headers.get("accept-language"),
        default=_web(request).settings.default_language,
    )


def _cookie_name(request: Request) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless Secure, path /, no domain.
    return "__Host-lx_csrf" if _web(request).https else "lx_csrf"


def _csrf(request: Request) -> tuple[str, str | None]:
    """The form token for this browser, and a new cookie value to set (None if it has one)."""
    nonce = request.cookies.get(_cookie_name(request))
    fresh = None
    if not nonce:
        nonce = fresh = new_nonce()
    return csrf_token(nonce, _web(request).settings.signing_key()), fresh


def _html(request: Request, page: str, *, status: int = 200, cookie: str | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    response = HTMLResponse(page, status_code=status, headers={**NO_STORE, **(headers or {})})
    if cookie:
        response.set_cookie(_cookie_name(request), cookie, httponly=True, samesite="lax", secure=_web(request).https, path="/")
    return response


def _message(
    request: Request,
    lang: str,
    title_key: str,
    *texts: str,
    status: int = 200,
    links_: tuple[tuple[str, str], ...] = (),
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    """A page with a heading, paragraphs (catalog keys formatted with ``values``) and links."""
    cat = catalog(lang)
    paragraphs = [cat.t(key, **(values or {})) for key in texts]
    page = render_page("message.html.j2", lang, title_key=title_key, paragraphs=paragraphs, links=links_)
    return _html(request, page, status=status)


def _link_error(request: Request, err: Exception, lang: str) -> HTMLResponse:
    if isinstance(err, ExpiredLink):
        again = (("/subscribe", catalog(lang).t("subscribe_again")),)
        return _message(request, lang, "expired_link_title", "expired_link_text", status=410, links_=again)
    return _message(request, lang, "invalid_link_title", "invalid_link_text", status=400)


async def _form(request: Request) -> FormData:
    """The posted form (urlencoded or multipart, no files); 400 when it cannot be parsed.

    Urlencoded bodies (all our forms, most one-click requests) are parsed
    with the standard library's ``parse_qsl``, skipping the streaming
    multipart parser's set-up on the busiest endpoint.
    """
    try:
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = (await request.body()).decode("utf-8", "replace")
            return FormData(parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS))
        return await request.form(max_files=0, max_fields=MAX_FIELDS)
    except (MultiPartException, ValueError):  # malformed multipart, too many fields
        raise HTTPException(400) from None


def _path(url: str) -> str:
    """The path of one of our absolute links, so in-app links follow the host actually used."""
    return urlsplit(url).path


def _for_nobody(request: Request, purpose: str, *, one_click: bool = False) -> Response | None:
    """The answer to a link from a test message or a preview file: a page that says so; None for real links."""
    kind = service.link_for_nobody(purpose, request.path_params["token"], _web(request).settings, _web(request).clock())
    if kind is None:
        return None
    if one_click:
        return PlainTextResponse(f"{kind} message: nothing to unsubscribe\n", headers=NO_STORE)
    return _message(request, _public_language(request), f"{kind}_link_title", f"{kind}_link_text")


async def _subscriber(request: Request, purpose: str, token: str) -> Subscriber | None:
    web = _web(request)
    return await run_in_threadpool(service.subscriber_for, web.store, web.settings, purpose, token, web.clock())


# -- small pages ---------------------------------------------------------------


async def home(request: Request) -> Response:
    """The root leads to the subscribe form."""
    return RedirectResponse("/subscribe", status_code=303)


async def healthz(request: Request) -> Response:
    """Liveness for the reverse proxy and the benchmark's baseline."""
    return PlainTextResponse("ok")


async def manage_page(request: Request) -> Response:
    """Where the public web version's unsubscribe link leads: how to unsubscribe."""
    lang = _public_language(request)
    return _message(request, lang, "manage_title", "manage_text")


# -- subscribe and confirm ------------------------------------------------------------


def _subscribe_page(request: Request, lang: str, form: SignupForm, offered: list, errors: dict[str, str], status: int = 200) -> Response:
    token, cookie = _csrf(request)
    page = render_page(
        "subscribe.html.j2",
        lang,
        title_key="subscribe_title",
        nav="subscribe",
        switch=True,
        noindex=False,
        form=form,
        errors=errors,
        field_ids={"email": "email", "name": "name", "consent": "consent", "lists": "list-1", "csrf": "email"},
        lists=offered,
        languages=language_choices(),
        consent_version=_web(request).settings.consent_version,
        notice_version=_web(request).notice.version,
        csrf=token,
    )
    return _html(request, page, status=status, cookie=cookie)


async def subscribe_form(request: Request) -> Response:
    """GET /subscribe: the sign-up form."""
    web = _web(request)
    lang = _public_language(request)
    offered = await run_in_threadpool(service.offered_lists, web.store)
    form = SignupForm(language=lang, lists=tuple(item.name for item in offered if item.checked))
    return _subscribe_page(request, lang, form, offered, {})


async def subscribe_submit(request: Request) -> Response:
    """POST /subscribe: the same answer for every address, known or not."""
    web = _web(request)
    lang = _public_language(request)
    visitor = _visitor(request)
    if not web.limiter.hit(visitor.ip or "-"):
        wait = str(web.limiter.retry_after(visitor.ip or "-"))
        response = _message(request, lang, "rate_limited_title", "rate_limited_text", status=429)
        response.headers["retry-after"] = wait
        return response
    data = await _form(request)
    form = SignupForm(
        email=str(data.get("email", "")).strip(),
        name=str(data.get("name", "")).strip(),
        language=str(data.get("language", "")),
        lists=tuple(str(v) for v in data.getlist("lists")),
        consent=bool(data.get("consent")),
        honeypot=str(data.get("website", "")),
    )
    offered = await run_in_threadpool(service.offered_lists, web.store)
    if not csrf_valid(str(data.get(CSRF_FIELD, "")), request.cookies.get(_cookie_name(request)), web.settings.signing_key()):
        return _subscribe_page(request, lang, form, offered, {"csrf": "error_csrf"}, status=403)
    errors = service.validate_signup(form, offered)
    if errors:
        return _subscribe_page(request, lang, form, offered, errors, status=400)
    # The confirmation mail is only queued here, with the sign-up; the app's sender sends it
    # later, so no address takes longer to answer than another and a slow relay holds no thread.
    signup = partial(service.request_signup, now=web.clock(), page_language=lang, notice_version=web.notice.version)
    await run_in_threadpool(signup, web.store, web.settings, form, offered, visitor)
    web.sender.wake()  # for every sign-up, queued or not: nothing to tell apart
    return _message(request, lang, "check_inbox_title", "check_inbox_text", values={"days": web.settings.confirm_expiry_days})


async def confirm_page(request: Request) -> Response:
    """GET /confirm/<token>: a page with one button; nothing changes yet."""
    lang = _public_language(request)
    try:
        subscriber = await _subscriber(request, "confirm", request.path_params["token"])
    except (InvalidLink, ExpiredLink) as err:
        return _link_error(request, err, lang)
    if subscriber is None:
        return _link_error(request, ExpiredLink("gone"), lang)
    token, cookie = _csrf(request)
    web = _web(request)
    page = render_page(
        "confirm.html.j2", subscriber.language, title_key="confirm_title", csrf=token,
        consent_version=web.settings.consent_version, notice_version=web.notice.version,
    )
    return _html(request, page, cookie=cookie)


async def confirm_submit(request: Request) -> Response:
    """POST /confirm/<token>: activate and record the consent (time, IP, user agent, version)."""
    web = _web(request)
    lang = _public_language(request)
    data = await _form(request)
    if not csrf_valid(str(data.get(CSRF_FIELD, "")), request.cookies.get(_cookie_name(request)), web.settings.signing_key()):
        return _message(request, lang, "confirm_title", "error_csrf", status=403)
    token = request.path_params["token"]
    try:
        confirm = partial(service.confirm_signup, notice_version=web.notice.version)
        subscriber = await run_in_threadpool(confirm, web.store, web.settings, token, _visitor(request), web.clock())
    except (InvalidLink, ExpiredLink) as err:
        return _link_error(request, err, lang)
    prefs = _path(links.preferences_url(web.settings, int(subscriber.id or 0), nonce=subscriber.link_nonce))
    lang = subscriber.language
    return _message(request, lang, "confirmed_title", "confirmed_text", links_=((prefs, catalog(lang).t("preferences_link")),))


# -- unsubscribe and preferences ----------------------------------------------------


async def unsubscribe_page(request: Request) -> Response:
    """GET /unsubscribe/<token>: one button; link scanners may fetch this freely."""
    if nobody := _for_nobody(request, "unsubscribe"):
        return nobody
    web = _web(request)
    lang = _public_language(request)
    try:
        subscriber = await _subscriber(request, "unsubscribe", request.path_params["token"])
    except (InvalidLink, ExpiredLink) as err:
        return _link_error(request, err, lang)
    prefs = None
    if subscriber is not None:
        lang = subscriber.language
        prefs = _path(links.preferences_url(web.settings, int(subscriber.id or 0), nonce=subscriber.link_nonce))
    page = render_page("unsubscribe.html.j2", lang, title_key="unsubscribe_title", preferences_href=prefs)
    return _html(request, page)


async def unsubscribe_submit(request: Request) -> Response:
    """POST /unsubscribe/<token>: the page's button, and the RFC 8058 one-click endpoint.

    A body ``List-Unsubscribe=One-Click`` marks a mail provider's one-click
    request: answered 200 with a short text, no cookie or CSRF needed.
    Repeating it changes nothing. A forged token gets 400.
    """
    web = _web(request)
    data = await _form(request)
    one_click = data.get(ONE_CLICK[0]) == ONE_CLICK[1]
    token = request.path_params["token"]
    source = "one-click" if one_click else "web"
    find = partial(service.unsubscribe_request, web.store, web.settings, token, source=source, visitor=_visitor(request), now=web.clock())
    try:
        # SQLite: the token check and one local read (~0.1 ms) run in the loop, no thread hop.
        wanted = find() if web.store.is_sqlite else await run_in_threadpool(find)
        if wanted is not None:
            # Group commit: answered only once the batch holding it has committed.
            await web.unsubscriber.submit(wanted)
        elif nobody := _for_nobody(request, "unsubscribe", one_click=one_click):  # off the hot path: nothing to do anyway
            return nobody
    except (InvalidLink, ExpiredLink):
        if nobody := _for_nobody(request, "unsubscribe", one_click=one_click):  # render's .eml: /unsubscribe/preview
            return nobody
        if one_click:
            return PlainTextResponse("invalid unsubscribe link\n", status_code=400)
        return _link_error(request, InvalidLink("invalid"), _public_language(request))
    return await _unsubscribed(request, one_click, token)


async def _unsubscribed(request: Request, one_click: bool, token: str) -> Response:
    """The answer once the person is unsubscribed: short text for robots, a page for people."""
    if one_click:
        return PlainTextResponse("unsubscribed\n", headers=NO_STORE)
    subscriber = await _subscriber(request, "unsubscribe", token)
    lang = subscriber.language if subscriber else _public_language(request)
    again = (("/subscribe", catalog(lang).t("subscribe_again")),)
    return _message(request, lang, "unsubscribed_title", "unsubscribed_text", links_=again)


def _preferences_page(request: Request, view: service.PreferencesView, *, notice: str | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    token, cookie = _csrf(request)
    lang = view.language
    page = render_page(
        "preferences.html.j2",
        lang,
        title_key="preferences_title",
        notice=catalog(lang).t(notice) if notice else None,
        errors=errors or {},
        active=view.active,
        lists=view.lists,
        languages=language_choices(),
        current_language=view.language,
        csrf=token,
    )
    return _html(request, page, status=status, cookie=cookie)


async def preferences_page(request: Request) -> Response:
    """GET /preferences/<token>: language and lists, and unsubscribe from everything."""
    if nobody := _for_nobody(request, "preferences"):
        return nobody
    web = _web(request)
    lang = _public_language(request)
    try:
        subscriber = await _subscriber(request, "preferences", request.path_params["token"])
    except (InvalidLink, ExpiredLink) as err:
        return _link_error(request, err, lang)
    if subscriber is None:
        return _message(request, lang, "invalid_link_title", "invalid_link_text", status=404)
    view = await run_in_threadpool(service.preferences_view, web.store, subscriber)
    return _preferences_page(request, view)


async def preferences_submit(request: Request) -> Response:
    """POST /preferences/<token>: save, unsubscribe from everything, or ask for one's data or its erasure (CSRF-protected)."""
    if nobody := _for_nobody(request, "preferences"):
        return nobody
    web = _web(request)
    lang = _public_language(request)
    data = await _form(request)
    try:
        subscriber = await _subscriber(request, "preferences", request.path_params["token"])
    except (InvalidLink, ExpiredLink) as err:
        return _link_error(request, err, lang)
    if subscriber is None:
        return _message(request, lang, "invalid_link_title", "invalid_link_text", status=404)
    if not csrf_valid(str(data.get(CSRF_FIELD, "")), request.cookies.get(_cookie_name(request)), web.settings.signing_key()):
        view = await run_in_threadpool(service.preferences_view, web.store, subscriber)
        return _preferences_page(request, view, errors={"csrf": "error_csrf"}, status=403)
    if data.get("action") in ("export", "erase"):
        from leadex_mail.web.views_privacy import data_request  # imported here: it builds on this module's helpers

        return await data_request(request, subscriber, str(data.get("action")))
    if data.get("action") == "unsubscribe":
        await run_in_threadpool(service.unsubscribe_everything, web.store, int(subscriber.id or 0), source="web", visitor=_visitor(request))
        again = (("/subscribe", catalog(subscriber.language).t("subscribe_again")),)
        return _message(request, subscriber.language, "unsubscribed_title", "unsubscribed_text", links_=again)
    lists = tuple(str(v) for v in data.getlist("lists"))
    updated = await run_in_threadpool(service.save_preferences, web.store, subscriber, language=str(data.get("language", "")), list_names=lists)
    view = await run_in_threadpool(service.preferences_view, web.store, updated)
    return _preferences_page(request, view, notice="preferences_saved")


# -- archive ---------------------------------------------------------------------


async def archive_redirect(request: Request) -> Response:
    """/archive -> /archive/ (relative links in the index need the slash)."""
    return RedirectResponse("/archive/", status_code=301)


async def archive_index(request: Request) -> Response:
    """GET /archive/: sent issues, grouped by language."""
    web = _web(request)
    lang = _public_language(request)
    groups = await run_in_threadpool(web.archive.groups, lang, lambda slug, code: f"/archive/{slug}/{code}")
    page = render_page("archive.html.j2", lang, title_key="archive_title", nav="archive", switch=True, noindex=False, groups=groups)
    # Revalidated every time: a new issue must show up at once.
    return HTMLResponse(page, headers={"cache-control": "no-cache"})


def _archive_images(slug: str, lang: str) -> str:
    """Where the archive serves the pictures of an edition (``archive_image``)."""
    return f"/archive/{slug}/{lang}/images/"


async def _edition(request: Request, slug: str, lang: str) -> WebEdition:
    web = _web(request)
    if not await run_in_threadpool(web.archive.is_public, slug):
        raise HTTPException(404)
    try:
        return await run_in_threadpool(web.archive.edition, slug, lang, _archive_images(slug, lang))
    except (NotFound, ContentError):  # no such edition, or its files were removed since
        raise HTTPException(404) from None


async def archive_edition(request: Request) -> Response:
    """GET /archive/<slug>/<lang>: the web version of a sent issue, without personal data."""
    edition = await _edition(request, request.path_params["slug"], request.path_params["lang"])
    return HTMLResponse(edition.html, headers={"content-security-policy": EDITION_CSP, "cache-control": "public, max-age=300"})


async def archive_image(request: Request) -> Response:
    """GET /archive/<slug>/<lang>/images/<name>: a picture embedded in that edition."""
    edition = await _edition(request, request.path_params["slug"], request.path_params["lang"])
    image = edition.images.get(request.path_params["name"])
    if image is None:
        raise HTTPException(404)
    return Response(image.data, media_type=image.mime_type, headers={"cache-control": "public, max-age=86400"})


async def view_edition(request: Request) -> Response:
    """GET /view/<token>: "view in browser" — the campaign's edition in the recipient's language."""
    if nobody := _for_nobody(request, "view"):
        return nobody
    web = _web(request)
    lang = _public_language(request)
    try:
        campaign, language = await run_in_threadpool(service.view_target, web.store, web.settings, request.path_params["token"], web.clock())
        edition = await run_in_threadpool(web.archive.campaign_edition, campaign, language, _archive_images)
    except (InvalidLink, ExpiredLink) as err:
        return _link_error(request, err, lang)
    except (NotFound, ContentError):
        raise HTTPException(404) from None
    headers = {"content-security-policy": EDITION_CSP, "x-robots-tag": "noindex", **NO_STORE}
    return HTMLResponse(edition.html, headers=headers)
