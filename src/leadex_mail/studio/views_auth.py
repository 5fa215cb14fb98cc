"""Signing in and out (accounts mode).

    GET  /login     the form (single-user studio: straight to the issues)
    POST /login     check the password (Argon2id), then a new session replaces the old one
    POST /logout    end the session

Failed attempts are slowed where they come from (``throttle.LoginThrottle``):
per browser the account signed in from before (its device cookie), else
per (client address, account), per address and per account; an attempt
over a limit is refused without checking the password. Wrong passwords
typed by someone else never lock out the officer's own browser. The answer
never says whether the name exists.

Over plain HTTP (beyond loopback) every page here says the address needs
HTTPS instead (``web.page``/``web.action``).
"""

from __future__ import annotations

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.store.accounts import authenticate, record
from leadex_mail.studio.auth import DEVICE_COOKIE
from leadex_mail.studio.web import Ctx, action, form_data, page, redirect


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/login", page(login_form, public=True), methods=["GET"]),
        Route("/login", action(login, public=True), methods=["POST"]),
        Route("/logout", action(logout, public=True), methods=["POST"]),
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
    return ctx.render("login.html.j2", status=status, title=ctx.t("login_title"), error=error, name=name, next=target)


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
    fresh = ctx.studio.access.sessions.sign_in(ctx.session, user.name, user.role)
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
