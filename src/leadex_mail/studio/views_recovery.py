"""Unsaved changes kept when the studio stopped: restore them or discard them (``recovery``).

    POST /issues/{slug}/{lang}/kept    do=restore | discard, then back to the page (``next``)

The editor and the side-by-side page show the offer (``kept_offer``) above
the form while a kept copy is offered (``recovery.offered``); a tab whose
event stream (re)connects hears in ``hello`` whether it still is, and every
tab hears ``saved`` and ``kept`` when it stops being (editor.js).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.errors import ContentError
from leadex_mail.studio import recovery
from leadex_mail.studio.addresses import NoSuchPage, edition_names, missing
from leadex_mail.studio.web import Ctx, action, form_data, redirect


def routes() -> list[Route]:
    """This module's routes."""
    return [Route("/issues/{slug}/{lang}/kept", action(decide), methods=["POST"])]


def kept_offer(ctx: Ctx, slug: str, language: str) -> dict[str, Any] | None:
    """What the page shows when ``language`` of ``slug`` has unsaved changes kept at a stop: when they were kept; else None."""
    from leadex_mail.studio.views_schedule import local_time

    kept = recovery.offered(ctx.studio.settings, ctx.owner, slug, language, ctx.studio.workspace.instance)
    if kept is None:
        return None  # none, or this studio's own copy of a draft it still has (kept as it changes)
    # ``crash``: kept as the draft changed by a studio that did not stop (kill -9): a page still holding what it
    # typed sends it again rather than offering the copy (editor.js).
    return {"when": local_time(kept.kept_at, ctx.studio.settings), "crash": kept.instance != ""}


async def decide(ctx: Ctx) -> Response:
    """Restore the kept changes as the unsaved draft, or discard them; then the page the officer was on."""
    try:
        slug, language = edition_names(ctx)
    except NoSuchPage:
        return missing(ctx)
    if not (ctx.studio.settings.newsletters_dir / slug).is_dir():
        return missing(ctx)
    form = await form_data(ctx)
    back = form.get("next", "")
    back = back if back.startswith(f"/issues/{slug}/") and "//" not in back else f"/issues/{slug}/{language}"
    kept = recovery.offered(ctx.studio.settings, ctx.owner, slug, language, ctx.studio.workspace.instance)
    if kept is not None and form.get("do") == "restore":
        try:
            await ctx.studio.workspace.issue(ctx.owner, slug).restore(language, kept.text, kept.base_stamp)
        except ContentError as err:
            return ctx.render("message.html.j2", status=409, title=ctx.t("kept_unusable"), message=err.message)
    if kept is not None:
        recovery.drop(ctx.studio.settings, ctx.owner, slug, language)
        session = ctx.studio.workspace.issue(ctx.owner, slug)
        session.keep_soon(language)  # restored: kept again as this studio's own copy
        session.publish("kept", json.dumps({"language": language, "kept": False}))  # decided: the offer goes from every tab
    return redirect(back)
