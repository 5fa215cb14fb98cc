"""Translations follow each value the default edition changes, where they have not made it their own (a14, seventh session).

``alignment`` makes each list change of the default edition (an item or a
section added, moved, removed) in every translation in line along its list;
an item added reaches it as "Add a language" makes one
(``drafts.translation_of``). This is the other half: a value the officer
then writes or changes in the default edition -- a field typed, a picture
picked, a group (a picture, a link) added or removed -- is made in each
translation in line along its path whose value there is still what "Add a
language" makes of the old one: the same date, link, picture or name, the
✎ copy of a text, an empty text. So a new event's title, date and text
reach the translation as its date and ✎ copies, and a date corrected later
in the default edition is corrected in the translation too (the editions
must agree on it: ``check``). A value the translator wrote (a text
translated, a link of their own) is never overwritten.

Each such change is a ``Step`` (``"set"``) of the translation's
``Following``: saved with the default edition into the translation's
*saved* content, taken back by "Discard my changes", made again when the
translation discards its own -- all as ``alignment`` does for list changes.

    await change_value(session, "sl", ("sections", 6, "items", 3, "date"), lambda d: d.set(...))   # ["en"]
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from leadex_mail.content.drafts import translation_of
from leadex_mail.studio.alignment import Path_, Step, at, edit_draft, follow_entries, followings, shapes, start_following
from leadex_mail.studio.translationdrafts import plain, translations

if TYPE_CHECKING:
    from leadex_mail.studio.document import EditionDoc
    from leadex_mail.studio.workspace import IssueSession


async def change_value(session: IssueSession, language: str, path: Path_, edit: Callable[[EditionDoc], Any], *, by: str | None = None) -> list[str]:
    """``session.change(language, edit)`` of the value at ``path`` (a field, a group), then ``follow_value``: the languages that followed."""
    if language not in session.drafts:
        await session.open(language)
    old = at(plain(session, language), path) if language == session.default_language() else None  # as the last change left it
    await session.change(language, edit, by=by)
    return await follow_value(session, language, path, old, by=by)


async def follow_value(session: IssueSession, language: str, path: Path_, old: Any, *, by: str | None = None) -> list[str]:
    """The default edition's value at ``path`` changed from ``old`` (plain data; None: absent): each translation follows where it may.

    A translation in line along ``path`` whose value there is still what
    "Add a language" makes of ``old`` (``drafts.translation_of``: the same
    date, link, picture or name; the ✎ copy of a text; an empty text) gets
    what it makes of the new value. A value the translator made their own
    (a text translated, a link of their own) stays theirs. Returns the
    languages changed. A change that leaves nothing to translate (a date, a
    link) makes no "needs update" mark; a text copied with its ✎ marks its
    section until it is translated.
    """
    if language != session.default_language() or language not in session.drafts:
        return []
    data = plain(session, language)  # kept for the next change's ``old``
    new = at(data, path)
    was, now = translation_of(data, path, old), translation_of(data, path, new)
    if was == now:
        return []
    before = shapes(data, path)
    changed = []
    state = followings(session)
    for other in await translations(session, language):
        theirs = plain(session, other)
        if shapes(theirs, path) != before or at(theirs, path) != was:
            continue
        following = state.get(other) or start_following(session, other, theirs)
        await session.change(other, lambda d: edit_draft(d, path, "set", 0, 0, now), by=by, followed=True)
        following.steps.append(Step("set", path, 0, 0, copy.deepcopy(now), copy.deepcopy(was), before, before, following.entries))
        if now == new:  # nothing to translate: the section translates the default's as it is now
            following.entries = follow_entries(following.entries, path, before, "set", 0, 0, new)
        state[other] = following
        changed.append(other)
    return changed
