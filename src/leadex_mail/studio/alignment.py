"""Translations follow the default edition's sections: moved, added or removed there, the same here (a13c F7).

A translation translates the default edition section by section: side by
side pairs them by place, and so do the "needs update" marks. When the
officer moves, adds or removes a section of the default edition, each other
edition whose sections are still the default's, kind by kind, gets the same
change in its draft (``EditionDoc``'s byte-preserving edits: its comments and
layout stay), and is saved with the default edition. A section added gets an
empty section of the same kind in each translation, to be translated. Its
"needs update" marks move with the sections (``reorder_record``), so a
section changed before the move still needs its update after it.

An edition already out of line is left as it is: ``check`` warns about it
(``edition.sections_differ``) and side by side says so.
"""

from __future__ import annotations

from typing import Any

from leadex_mail.content.translations import reorder_record, translation_record
from leadex_mail.errors import ContentError
from leadex_mail.studio.workspace import IssueSession

SECTIONS = ("sections",)
ORDERS = "_aligned_orders"  # the session's attribute: per translation, for each of its sections now, its place when last saved


def _orders(session: IssueSession) -> dict[str, list[int | None]]:
    """The session's own table (it lives and dies with the session, never shared by two studios)."""
    found = getattr(session, ORDERS, None)
    if found is None:
        found = {}
        setattr(session, ORDERS, found)
    return found


def kinds(data: Any) -> list[Any]:
    """The ``type`` of each section of an edition's plain data, in order."""
    sections = data.get("sections") if isinstance(data, dict) else None
    return [s.get("type") if isinstance(s, dict) else None for s in sections] if isinstance(sections, list) else []


async def follow(session: IssueSession, language: str, before: list[Any], op: str, index: int, to: int, value: Any = None, *, by: str | None = None) -> list[str]:
    """Apply to each translation in line with ``before`` (the default's kinds before the change) the same ``op``.

    ``op``: ``"move"`` (``index`` to ``to``), ``"add"`` (``value`` at ``index``)
    or ``"remove"`` (``index``). Returns the languages changed. Only the
    default edition leads; a translation's own moves are its own.
    """
    if language != session.default_language():
        return []
    changed = []
    for other in session.languages():
        if other == language:
            continue
        try:
            doc = session.drafts.get(other) or await session.open(other)
        except ContentError:
            continue  # a file that does not read: its page explains it
        if kinds(doc.data()) != before:
            continue
        orders = _orders(session)
        order = orders.setdefault(other, list(range(len(before))))
        if op == "move":
            await session.change(other, lambda d: d.move_item(SECTIONS, index, to), by=by)
            order.insert(to, order.pop(index))
        elif op == "add":
            await session.change(other, lambda d: d.add_item(SECTIONS, index, value), by=by)
            order.insert(index, None)
        elif op == "remove":
            await session.change(other, lambda d: d.remove_item(SECTIONS, index), by=by)
            order.pop(index)
        changed.append(other)
    return changed


def followers(session: IssueSession) -> list[str]:
    """The translations changed by ``follow`` and not saved since: they are saved with the default edition."""
    return sorted(_orders(session))


async def save_followers(session: IssueSession) -> None:
    """Save each translation that followed the default edition, its "needs update" marks moved with its sections."""
    for other in followers(session):
        order = _orders(session).pop(other, None)
        doc = session.drafts.get(other)
        if order is None or doc is None or not doc.changed:
            continue
        record = translation_record(session.folder, other)
        await session.save(other)  # records the default as it is now: every mark gone ...
        if record is not None:
            reorder_record(session.folder, other, record, order)  # ... so the marks it had come back, moved
