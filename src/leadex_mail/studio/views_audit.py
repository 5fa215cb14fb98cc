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
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.responses import Response
from starlette.routing import Route

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
            e.target,
            e.subscriber_id,
            detail_words(ctx, e.detail),
        )
        for e in rows
    ]
    actors, actions = audit_names(store)
    return Page(entries, total, number, pages, actors, actions)


def action_words(ctx: Ctx, action: str) -> str:
    """``send`` as "sent to a list"; an action no catalog names yet as itself."""
    try:
        return ctx.t(f"audit_{action}")
    except KeyError:
        return action


def detail_words(ctx: Ctx, detail: dict[str, Any] | None) -> str:
    """An entry's details as a person reads them: "Recipients: 50; By language: sl 40, en 10" (a13 finding 24: not JSON).

    Each key is named by the catalog (``audit_detail_<key>``; an unknown one
    as its words), a yes/no as yes/no, a time in the settings' zone, a count
    per language or per state as "sl 40, en 10" (a state in the catalog's words,
    ``audit_state_<state>``: never ``retry_wait``), a list comma-separated.
    """
    if not detail:
        return ""
    return "; ".join(f"{_words(ctx, f'audit_detail_{key}', key.replace('_', ' ').capitalize())}: {_value(ctx, key, value)}" for key, value in sorted(detail.items()))


def _words(ctx: Ctx, key: str, otherwise: str) -> str:
    try:
        return ctx.t(key)
    except KeyError:
        return otherwise


def _value(ctx: Ctx, key: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return ctx.t("audit_yes" if value else "audit_no")
    if isinstance(value, dict):
        return ", ".join(f"{_words(ctx, f'audit_state_{k}', str(k)) if key == 'counts' else k} {_value(ctx, str(k), v)}" for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(ctx, key, v) for v in value)
    if isinstance(value, str) and key.endswith("_at"):
        try:
            return local_time(datetime.fromisoformat(value), ctx.studio.settings)
        except ValueError:
            return value
    if isinstance(value, str) and key == "status":
        return _words(ctx, f"campaign_{value}", value)
    if isinstance(value, str) and key == "reason":  # send_held: why the worker held a scheduled send
        return _words(ctx, f"held_reason_{value}", value)
    return str(value)


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
