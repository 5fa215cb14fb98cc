"""Signing in and out (accounts mode).

    GET  /login     the form (single-user studio: straight to the issues)
    POST /login     check the password (Argon2id), then a new session replaces the old one
    POST /logout    end the session

Failed attempts are limited per client address and per account name
(``auth.LOGIN_LIMIT``): the sixth within the window is refused without
checking the password, the right one included. The answer never says
whether the name exists.
"""

from __future__ import annotations

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.store.accounts import authenticate, record
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
    limiter = ctx.studio.access.login_limiter
    if limiter.retry_after(f"ip:{client}") or limiter.retry_after(f"name:{name}"):
        wait = max(limiter.retry_after(f"ip:{client}"), limiter.retry_after(f"name:{name}"))
        return await login_form(ctx, error=ctx.t("login_limited", minutes=max(1, (wait + 59) // 60)), status=429, name=name, next_url=form.get("next"))
    user = await anyio.to_thread.run_sync(authenticate, ctx.studio.store, name, password)
    if user is None:
        limiter.hit(f"ip:{client}")
        limiter.hit(f"name:{name}")
        await anyio.to_thread.run_sync(lambda: record(ctx.studio.store, name or "?", "sign_in_refused", client))
        return await login_form(ctx, error=ctx.t("login_wrong"), status=401, name=name, next_url=form.get("next"))
    fresh = ctx.studio.access.sessions.sign_in(ctx.session, user.name, user.role)
    await anyio.to_thread.run_sync(lambda: record(ctx.studio.store, user.name, "sign_in", client))
    response = redirect(_next(form.get("next")))
    response.headers.append("set-cookie", ctx.studio.access.cookie(fresh))
    return response


async def logout(ctx: Ctx) -> Response:
    """End this session."""
    ctx.studio.access.sessions.sign_out(ctx.session)
    response = redirect("/login" if ctx.studio.access.accounts else "/")
    response.headers.append("set-cookie", ctx.studio.access.expired_cookie())
    return response
