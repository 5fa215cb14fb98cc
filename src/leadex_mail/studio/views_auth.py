"""Signing in and out (accounts mode).

    GET  /login     the form (single-user studio: straight to the issues)
    POST /login     check the password (Argon2id), then a new session replaces the old one
    POST /logout    end the session
    GET  /session   JSON: whether this browser is signed in, and if its session ended, why (for the editor's script)

Failed attempts are slowed where they come from (``throttle.LoginThrottle``):
per browser the account signed in from before (its device cookie), else
per (client address, account) and per address; many addresses guessing
one account tighten each address's own limit, never lock the account. An
attempt over a limit is refused without checking the password. Wrong
passwords typed by someone else never keep the officer out. The answer
never says whether the name exists.

Over plain HTTP (beyond loopback) every page here says the address needs
HTTPS instead (``web.page``/``web.action``).
"""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadex_mail.store.accounts import account_stamp, authenticate, record
from leadex_mail.studio.auth import DEVICE_COOKIE
from leadex_mail.studio.web import NO_STORE, Ctx, action, form_data, page, redirect, signed_out_text


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/login", page(login_form, public=True), methods=["GET"]),
        Route("/login", action(login, public=True), methods=["POST"]),
        Route("/logout", action(logout, public=True), methods=["POST"]),
        Route("/session", page(session_state, public=True), methods=["GET"]),
    ]


def _next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def login_form(ctx: Ctx, *, error: str | None = None, status: int = 200, name: str = "", next_url: str | None = None) -> Response:
    """The sign-in form (``next_url``: where to go after, kept across a failed attempt)."""
    target = _next(next_url or ctx.request.query_params.get("next"))
    if not ctx.studio.access.accounts or ctx.session.user:
        return redirect(target)
    notice = signed_out_text(ctx) if ctx.session.ended and not error else None
    return ctx.render("login.html.j2", status=status, title=ctx.t("login_title"), error=error, notice=notice, name=name, next=target)


async def login(ctx: Ctx) -> Response:
    """Check name and password; on success a new session (new id, new CSRF token) replaces the old one."""
    if not ctx.studio.access.accounts:
        return redirect("/")
    form = await form_data(ctx)
    name, password = form.get("name", "").strip().lower(), form.get("password", "")
    client = ctx.request.client.host if ctx.request.client else "unknown"
    device = ctx.request.cookies.get(DEVICE_COOKIE)
    throttle = ctx.studio.access.login_throttle
    wait = throttle.wait(client, name, device)
    if wait:
        return await login_form(ctx, error=ctx.t("login_limited", minutes=max(1, (wait + 59) // 60)), status=429, name=name, next_url=form.get("next"))
    user = await anyio.to_thread.run_sync(authenticate, ctx.studio.store, name, password)
    if user is None:
        throttle.failed(client, name, device)
        await anyio.to_thread.run_sync(lambda: record(ctx.studio.store, name or "?", "sign_in_refused", client))
        return await login_form(ctx, error=ctx.t("login_wrong"), status=401, name=name, next_url=form.get("next"))
    trusted = throttle.succeeded(client, name, device)
    fresh = ctx.studio.access.sessions.sign_in(ctx.session, user.name, user.role, account_stamp(user))
    await anyio.to_thread.run_sync(lambda: record(ctx.studio.store, user.name, "sign_in", client))
    response = redirect(_next(form.get("next")))
    if trusted != device:
        response.headers.append("set-cookie", ctx.studio.access.device_cookie(trusted))
    response.headers.append("set-cookie", ctx.studio.access.cookie(fresh))
    return response


async def logout(ctx: Ctx) -> Response:
    """End this session."""
    ctx.studio.access.sessions.sign_out(ctx.session)
    response = redirect("/login" if ctx.studio.access.accounts else "/")
    response.headers.append("set-cookie", ctx.studio.access.expired_cookie())
    return response


async def session_state(ctx: Ctx) -> Response:
    """``{"signed_in": bool, "signed_out": reason or null, "error": what to tell the officer}``.

    The editor asks when its live connection broke: a stopped studio does
    not answer at all; one that answers says whether the session ended
    and why (idle too long, studio restarted, account changed).
    """
    signed_in = ctx.session.user is not None
    body = {"signed_in": signed_in, "signed_out": None if signed_in else (ctx.session.ended or "signed_out"), "error": None if signed_in else signed_out_text(ctx)}
    return JSONResponse(body, headers=NO_STORE)
