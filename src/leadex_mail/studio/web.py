"""The studio's request plumbing: who asks (session), may they (role, CSRF), and rendering pages.

Every route is wrapped by ``page`` (GET) or ``action`` (POST): the wrapper
finds or starts the session, sends a visitor without an account to the
sign-in page (accounts mode), refuses what the role does not allow, and for
a POST refuses a request without this session's CSRF token or from another
origin -- before the handler runs, so no handler can forget it.

A session signed in to an account is checked against the store at every
request (``_follow_account``: one read by the account's unique name), so
what ``leadex-mail users`` changes in another process applies at the
session's next request: a removed account or a new password signs it out
(the sign-in page says why), a new role is the session's role from then on.
Sessions that end say why to the browser: the sign-in page, or a 401 whose
JSON names the reason (``signed_out``) for the page's script.

With accounts, a request that did not come over HTTPS (nor to a loopback
name, which browsers trust) gets a page saying the address needs HTTPS --
every page and every action, the sign-in form included, so no officer types
a password that could not work (the browser would drop the ``Secure``
cookie and the next POST would look like an expired page).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import anyio
import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

import leadex_mail
from leadex_mail.errors import LeadexError
from leadex_mail.store.accounts import account_state
from leadex_mail.studio.auth import COOKIE, CSRF_FIELD, CSRF_HEADER, IDLE_MINUTES, StudioSession, csrf_ok, secure_request
from leadex_mail.studio.i18n import Words, language_name, languages, negotiate, words
from leadex_mail.studio.storefail import StoreError, is_failure, store_failed  # the store's failures, said by storefail

if TYPE_CHECKING:
    from leadex_mail.studio.app import Studio

# Studio pages: scripts and styles only from the package, nothing inline, no
# framing by others; the previews are framed by the studio itself.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The email as previewed: its own inline styles and pictures, no scripts, framed only by the studio.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; font-src https:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
NO_STORE = {"cache-control": "no-store"}
log = logging.getLogger(__name__)
MAX_PART_BYTES = 30 * 1024 * 1024  # a phone photo or a large CSV; spooled to disk by the parser


def templates_dir() -> Path:
    """``templates/studio``: inside the installed package, else in the source tree."""
    packaged = Path(leadex_mail.__file__).parent / "_templates" / "studio"
    if packaged.is_dir():
        return packaged
    return Path(leadex_mail.__file__).resolve().parents[2] / "templates" / "studio"


def static_dir() -> Path:
    """The studio's static files: its CSS and scripts and the vendored libraries (no CDN)."""
    return templates_dir() / "static"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The studio's Jinja2 environment: autoescaped, strict."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    env.globals["picture_accept"] = _picture_accept
    env.filters["not_answered"] = _not_answered
    env.filters["language_in"] = _language_in
    return env


def _language_in(code: str, ui: str) -> str:
    """An edition's language by its name in the page's language (``"sl"|language_in("en")`` is "Slovenian"), as findings name it."""
    from leadex_mail.studio.findings import language_display

    return language_display(code, ui)


def _not_answered(reply: str | None) -> str | None:
    """``sending.not_answered``: a failure's kind when no mail server replied (the failures table says it in words)."""
    from leadex_mail.studio.sending import not_answered

    return not_answered(reply)


def _picture_accept() -> str:
    """The picture picker's ``accept`` list, from the one list of kinds taken (``pictures.ACCEPTED``)."""
    from leadex_mail.studio.pictures import accept_attribute

    return accept_attribute()


@dataclass
class Ctx:
    """One request as a handler sees it."""

    request: Request
    studio: Studio
    session: StudioSession
    words: Words
    new_cookie: bool = False

    @property
    def owner(self) -> str:
        """Whose drafts these are."""
        return self.session.user or "anonymous"

    @property
    def actor(self) -> str:
        """Who the audit log says did it: the account, or ``local:<os user>`` on a single-user studio."""
        return self.session.user or "anonymous"

    def t(self, key: str, **values: Any) -> str:
        """A page string in the officer's language."""
        return self.words.t(key, **values)

    def render(self, template: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
        """A page of the studio, with what every page needs (words, user, CSRF token, navigation)."""
        values: dict[str, Any] = {
            "t": self.words.t,
            "w": self.words,
            "lang": self.words.language,
            "session": self.session,
            "csrf": self.session.csrf,
            "csrf_field": CSRF_FIELD,
            "accounts": self.studio.access.accounts,
            "ui_languages": [(code, language_name(code)) for code in languages()],
            "path": self.request.url.path,
            "nav": None,
            "held_sends": lambda slug: _held_sends(self, slug),  # only pages listing scheduled sends call it
        }
        values.update(context)
        body = environment().get_template(template).render(values)
        return HTMLResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})

    def now(self) -> datetime:
        """The studio's clock."""
        return self.studio.clock()


def _held_sends(ctx: Ctx, slug: str) -> dict[str, str]:
    """The held scheduled sends of ``slug``, by list, in the officer's words (``scheduleview.held_by_list``)."""
    from leadex_mail.studio.scheduleview import held_by_list

    return held_by_list(ctx, slug)


Handler = Callable[[Ctx], Awaitable[Response]]


def _session(request: Request) -> tuple[StudioSession, bool]:
    studio: Studio = request.app.state.studio
    sessions, sent = studio.access.sessions, request.cookies.get(COOKIE)
    found = sessions.get(sent)
    if found is not None:
        return found, False
    return sessions.new(ended=sessions.why_ended(sent) if sent else None), True


async def _follow_account(ctx: Ctx) -> Response | None:
    """Bring a signed-in session in line with its account as the store holds it now; a response when it cannot go on.

    Removed, or a new password (or re-created) since sign-in: the session
    ends and the request goes on as a visitor's, who is sent to sign in and
    told why. Otherwise the session takes the account's role as it is now.
    An unreadable store refuses the request (503): nobody is let in
    unchecked.
    """
    session, access = ctx.session, ctx.studio.access
    if not access.accounts or session.user is None:
        return None
    ended = await _account_ended(ctx)
    if ended is None:
        return _refuse(ctx, 503, "account_unchecked")
    if ended:
        ctx.session, ctx.new_cookie = access.sessions.new(ended="account"), True
        ctx.session.ui_language = session.ui_language
    return None


async def _account_ended(ctx: Ctx) -> bool | None:
    """True when the session's account was removed or given a new password since sign-in (the session is ended then).

    False when it is the same account (the session takes its role as it is
    now); None when the store cannot be read.
    """
    session = ctx.session
    try:
        state = await anyio.to_thread.run_sync(account_state, ctx.studio.store, session.user)
    except LeadexError as exc:
        log.warning("could not check the account %s in the store: %s", session.user, exc)
        return None
    if state is None or state.stamp != session.account:
        ctx.studio.access.sessions.end(session, "account")
        return True
    session.role = state.role
    return False


async def follow_stream(ctx: Ctx, stream: AsyncIterator[str]) -> AsyncIterator[str]:
    """``stream`` (Server-Sent Events), ended once the session's account is removed or given a new password.

    Checked before each chunk after the first, keep-alives included (every
    few seconds), so an open page stops receiving at the latest then; its
    script reconnects, is refused, and says why (``GET /session``).
    """
    following = ctx.studio.access.accounts and ctx.session.user is not None
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        first = True
        async for chunk in stream:
            if following and not first and await _account_ended(ctx) is not False:
                return
            first = False
            yield chunk


def _ctx(request: Request) -> Ctx:
    studio: Studio = request.app.state.studio
    session, new = _session(request)
    return _with_words(request, studio, session, new)


def _with_words(request: Request, studio: Studio, session: StudioSession, new: bool) -> Ctx:
    chosen = request.query_params.get("ui")
    if chosen in languages():
        session.ui_language = chosen
    language = negotiate(session.ui_language, request.headers.get("accept-language"), studio.settings.default_language)
    return Ctx(request, studio, session, words(language), new_cookie=new)


async def not_found(request: Request, exc: Exception) -> Response:
    """The studio's own page for every 404 and 405 Starlette raises itself (a13c #6).

    An address no route has, a file ``/static`` does not hold, a method a
    route does not take (a bookmarked form address): the page every studio
    page is (title, ``lang``, the language switch, a way back to the
    issues), never Starlette's plain "Not Found" text. The browser's live
    session is used when it has one; otherwise none is started for it (an
    unknown address asked a thousand times starts no sessions). A script
    gets the words as JSON. 405 keeps its ``Allow`` header.
    """
    studio: Studio = request.app.state.studio
    session = studio.access.sessions.get(request.cookies.get(COOKIE))
    ctx = _with_words(request, studio, session or StudioSession(id="", csrf=""), False)
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if _wants_json(request) or request.headers.get("hx-request"):
        return JSONResponse({"error": ctx.t("not_found_text")}, status_code=status, headers={**NO_STORE, **headers})
    return ctx.render("message.html.j2", status=status, headers=headers, title=ctx.t("not_found_title"), message=ctx.t("not_found_text"))


def _finish(ctx: Ctx, response: Response) -> Response:
    if ctx.new_cookie:
        response.headers.append("set-cookie", ctx.studio.access.cookie(ctx.session))
    return response


def _refuse(ctx: Ctx, status: int, key: str) -> Response:
    message = ctx.t(key)
    if _wants_json(ctx.request):
        return JSONResponse({"error": message}, status_code=status, headers=NO_STORE)
    return ctx.render("message.html.j2", status=status, title=ctx.t("refused_title"), message=message)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.headers.get("content-type", "").startswith("application/json")


def signed_out_text(ctx: Ctx) -> str:
    """What a visitor is told about signing in: why their session ended, when it did."""
    return ctx.t(f"signed_out_{ctx.session.ended}", n=IDLE_MINUTES // 60) if ctx.session.ended else ctx.t("sign_in_needed")


def _signed_out(ctx: Ctx) -> Response:
    if _wants_json(ctx.request) or ctx.request.headers.get("hx-request") or ctx.request.headers.get(CSRF_HEADER):
        return JSONResponse({"error": signed_out_text(ctx), "signed_out": ctx.session.ended or "signed_out"}, status_code=401, headers=NO_STORE)
    target = ctx.request.url.path + (f"?{ctx.request.url.query}" if ctx.request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def _plain_http(ctx: Ctx) -> bool:
    """True when accounts are needed and this request came where the browser drops ``Secure`` cookies (logged once)."""
    access, request = ctx.studio.access, ctx.request
    if not access.accounts or secure_request(request.url.scheme, request.url.hostname):
        return False
    if not access.plain_http_seen:
        access.plain_http_seen = True
        log.warning(
            "the studio was reached over plain HTTP at %s: signing in cannot work there (its cookies are Secure). "
            "Put an HTTPS proxy in front and name it in --forwarded-allow-ips; see docs/decisions.md.",
            f"{request.url.scheme}://{request.url.netloc}",
        )
    return True


def _needs_https(ctx: Ctx) -> Response:
    """The page (or JSON error) saying this address works only over HTTPS."""
    address = f"{ctx.request.url.scheme}://{ctx.request.url.netloc}"
    if _wants_json(ctx.request) or ctx.request.headers.get("hx-request"):
        return JSONResponse({"error": ctx.t("needs_https_text", address=address)}, status_code=403, headers=NO_STORE)
    return ctx.render("needs_https.html.j2", status=403, title=ctx.t("needs_https_title"), address=address)


def page(handler: Handler, permission: str | None = "edit", *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A GET route: HTTPS (accounts), session, sign-in (unless ``public``), ``permission``."""

    async def endpoint(request: Request) -> Response:
        ctx = _ctx(request)
        if _plain_http(ctx):
            return _needs_https(ctx)
        stop = await _follow_account(ctx)
        if stop is not None:
            return _finish(ctx, stop)
        if not public and ctx.session.user is None:
            return _finish(ctx, _signed_out(ctx))
        if not public and permission and not ctx.session.may(permission):
            return _finish(ctx, _refuse(ctx, 403, "refused_role"))
        try:
            return _finish(ctx, await handler(ctx))
        except StoreError as err:  # the store cannot be read (gone, locked, deleted): a page saying so, never a 500
            if not is_failure(err):  # a value the store refused is the view's to say; reaching here is a bug
                raise
            return _finish(ctx, store_failed(ctx, err))

    return endpoint


def action(handler: Handler, permission: str | None = "edit", *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A POST route: everything ``page`` checks, then same origin and this session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        ctx = _ctx(request)
        if _plain_http(ctx):
            return _needs_https(ctx)
        if not _same_origin(request):
            return _finish(ctx, _refuse(ctx, 403, "refused_origin"))
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form(max_part_size=MAX_PART_BYTES)  # parsed once: the handler gets the same
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if ctx.new_cookie and ctx.session.ended and ctx.studio.access.accounts and not public:
            return _finish(ctx, _signed_out(ctx))  # its session ended: say why, not "expired page" (nothing is done either way)
        if ctx.new_cookie or not csrf_ok(ctx.session, sent):
            return _finish(ctx, _refuse(ctx, 403, "refused_csrf"))
        stop = await _follow_account(ctx)
        if stop is not None:
            return _finish(ctx, stop)
        if not public and ctx.session.user is None:
            return _finish(ctx, _signed_out(ctx))
        if not public and permission and not ctx.session.may(permission):
            return _finish(ctx, _refuse(ctx, 403, "refused_role"))
        return _finish(ctx, await handler(ctx))

    async def guarded(request: Request) -> Response:
        # Every write the studio does (a save, a picture, a new issue or language, an upload being
        # received) may meet a full disk, a size limit or a read-only folder: say so where the officer
        # acted, never a traceback. The writes are atomic, so the old file is still there.
        # The store may fail the same way (disk full, database gone or locked): a view that wrote
        # something before says what itself (``studio.storefail``); reaching here, the one write failed whole.
        try:
            return await endpoint(request)
        except OSError as exc:
            ctx = _ctx(request)
            return _finish(ctx, write_failed(ctx, exc))
        except StoreError as err:
            if not is_failure(err):
                raise
            ctx = _ctx(request)
            return _finish(ctx, store_failed(ctx, err))

    return guarded


def write_failed(ctx: Ctx, exc: OSError) -> Response:
    """507 (or 403/500 by cause) with what could not be written and why, as JSON for the page's script or as a page."""
    name = Path(exc.filename).name if exc.filename else ctx.t("write_failed_unnamed")
    reason = ctx.t(WRITE_REASONS.get(exc.errno or 0, "write_failed_other"), detail=exc.strerror or str(exc))
    message = ctx.t("write_failed", name=name, reason=reason)
    status = 507 if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) else 500
    if _wants_json(ctx.request) or ctx.request.headers.get("hx-request") or ctx.request.headers.get(CSRF_HEADER):
        return JSONResponse({"error": message, "write_failed": True}, status_code=status, headers=NO_STORE)
    return ctx.render("message.html.j2", status=status, title=ctx.t("write_failed_title"), message=message)


# Why a write failed, in the officer's words (catalog keys by errno).
WRITE_REASONS = {
    errno.ENOSPC: "write_failed_full",
    errno.EFBIG: "write_failed_full",
    errno.EDQUOT: "write_failed_full",
    errno.EACCES: "write_failed_denied",
    errno.EPERM: "write_failed_denied",
    errno.EROFS: "write_failed_readonly",
}


def _same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site.

    Browsers send ``Sec-Fetch-Site``; it decides. Without it, an ``Origin``
    must name this host (``null``, sent under ``no-referrer`` by some, and
    no Origin at all are left to the CSRF token, which is checked anyway).
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def form_data(ctx: Ctx) -> dict[str, str]:
    """The posted form's text fields (the last value of each name)."""
    form = await ctx.request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def redirect(url: str) -> Response:
    """See other: after a POST, the page to show."""
    return RedirectResponse(url, status_code=303)
