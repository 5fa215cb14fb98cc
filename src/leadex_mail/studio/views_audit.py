"""The audit log in the studio -- what ``leadex-mail users audit`` prints, for senders.

    GET /audit?actor=NAME&action=ACTION&page=N    newest first, PAGE_SIZE a page

Who sent what to which list, scheduled or cancelled a send, changed, erased,
imported or exported subscribers, signed in (or was refused). Senders read
it (in a single-user studio, the officer at this computer); editors do not,
as it names the subscriber ids that senders' work touched. Subscribers are
named by id only, as in the store (an erased person leaves no address here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.studio import auditwords
from leadex_mail.studio.views_schedule import local_time
from leadex_mail.studio.web import Ctx, page

PAGE_SIZE = 50


def routes() -> list[Route]:
    """This module's routes."""
    return [Route("/audit", page(audit_page, "audit"), methods=["GET"])]


@dataclass(frozen=True)
class Entry:
    """One line of the log as the page shows it."""

    iso: str  # UTC, ISO 8601, for <time datetime>
    when: str  # in the settings' zone, with seconds
    actor: str
    action: str
    what: str  # the action in the officer's words
    target: str
    subscriber_id: int | None
    detail: str


@dataclass(frozen=True)
class Page:
    """One page of the filtered log."""

    entries: list[Entry]
    total: int
    number: int
    pages: int
    actors: list[str]
    actions: list[str]


def _number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < len(text) < 7 else 1


def _read(ctx: Ctx, actor: str | None, action: str | None, number: int) -> Page:
    from leadex_mail.store.accounts import audit_count, audit_log, audit_names

    store = ctx.studio.store
    total = audit_count(store, actor=actor, action=action)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(number, pages)
    rows = audit_log(store, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, actor=actor, action=action)
    entries = [
        Entry(
            (e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)).isoformat(),
            local_time(e.at, ctx.studio.settings, seconds=True),
            e.actor,
            e.action,
            action_words(ctx, e.action),
            auditwords.target_words(ctx.words, e.target),
            e.subscriber_id,
            detail_words(ctx, e.detail),
        )
        for e in rows
    ]
    actors, actions = audit_names(store)
    return Page(entries, total, number, pages, actors, actions)


def action_words(ctx: Ctx, action: str) -> str:
    """``send`` as "sent to a list" in the page's language (``auditwords.action_words``)."""
    return auditwords.action_words(ctx.words, action)


def detail_words(ctx: Ctx, detail: dict[str, Any] | None) -> str:
    """An entry's details in the page's language, times in the settings' zone (``auditwords.detail_words``)."""
    return auditwords.detail_words(ctx.words, detail, lambda at: local_time(at, ctx.studio.settings))


async def audit_page(ctx: Ctx) -> Response:
    """The log, newest first, a page at a time, filtered by person and action."""
    query = ctx.request.query_params
    actor, action = query.get("actor") or None, query.get("action") or None
    found = await anyio.to_thread.run_sync(_read, ctx, actor, action, _number(query.get("page")))
    filters = {k: v for k, v in (("actor", actor), ("action", action)) if v}
    return ctx.render(
        "audit.html.j2",
        title=ctx.t("audit_title"),
        log=found,
        actor=actor,
        action=action,
        filters=filters,
        action_words={a: action_words(ctx, a) for a in found.actions},
        nav="audit",
    )
