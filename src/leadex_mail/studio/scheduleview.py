"""What the studio's pages say of an issue's scheduled sends beyond their time: held ones, and the editor's notice.

At a scheduled send's time the worker checks the issue as ``send`` does
(``campaign.scheduler``); one the check refuses is held (``store.schedule.Held``)
and goes out at the first look of the worker that finds it corrected. The
pages that list scheduled sends (Test and send, Issues) say "held" and why,
and the editor of an issue with a scheduled send says at the top that what
is saved is what goes out (tester's finding a14).

    held_words(ctx, held)          why it is held, in the officer's words
    current_words(ctx, waiting)    the review's "Already scheduled for …" line, held and why when it is
    held_by_list(ctx, slug)        {list name: held_words} of an issue's held sends (the send page's template)
    scheduled_notes(ctx, slug)     the editor's notice: [{"list", "when", "held", "forced"}] (async)

A store that cannot be read gives none of these: the pages still show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadex_mail.errors import StoreError

if TYPE_CHECKING:
    from leadex_mail.store.schedule import Held, Scheduled
    from leadex_mail.studio.views_schedule import Waiting
    from leadex_mail.studio.web import Ctx


def held_words(ctx: Ctx, held: Held) -> str:
    """``Held: at its time the check found 1 error …``: why, and what happens next."""
    if held.reason == "unreadable":
        return ctx.t("scheduled_held_unreadable")
    return ctx.t("scheduled_held", n=held.errors)


def current_words(ctx: Ctx, current: Waiting) -> str:
    """The review's line of the send already scheduled to its list: when, and, when held, that nothing went out and why.

    A held send's time is past: "Already scheduled for 09:00" alone read as
    if it were still to come (brief s8-sched #2).
    """
    held = current.held
    if held is None:
        return ctx.t("schedule_current", when=current.when)
    if held.reason == "unreadable":
        return ctx.t("schedule_current_held_unreadable", when=current.when)
    return ctx.t("schedule_current_held", when=current.when, n=held.errors)


def _waiting(ctx: Ctx, slug: str) -> list[Scheduled]:
    from leadex_mail.store.schedule import waiting

    try:
        return [s for s in waiting(ctx.studio.store) if s.issue_slug == slug]
    except StoreError:  # no store yet, or it cannot be read: nothing is said of it
        return []


def held_by_list(ctx: Ctx, slug: str) -> dict[str, str]:
    """Each held send of ``slug`` by its list, said in the officer's words (blocking: one small read)."""
    return {s.list_name: held_words(ctx, s.held) for s in _waiting(ctx, slug) if s.held is not None}


async def scheduled_notes(ctx: Ctx, slug: str) -> list[dict[str, Any]]:
    """The sends of ``slug`` scheduled and not started: ``{"list", "when" (local time), "held" (words or None), "forced"}``, earliest first.

    ``forced``: scheduled with ``send --at … --force`` (the command line only): it goes out with errors.
    """
    import anyio

    from leadex_mail.studio.views_schedule import local_time

    found = await anyio.to_thread.run_sync(_waiting, ctx, slug)
    settings = ctx.studio.settings
    return [
        {"list": s.list_name, "when": local_time(s.send_at, settings), "held": held_words(ctx, s.held) if s.held else None, "forced": s.forced} for s in found
    ]
