"""Translations follow every list change of the default edition: sections, events, partners, buttons ... (a13c F7).

A translation translates the default edition place by place: side by side
pairs sections by place, and so does the "needs update" mark of each
section. When the officer moves, adds or removes an item of *any* list of
the default edition (``("sections",)``, ``("sections", 6, "items")``, any
list at any depth), each other edition whose structure along that path is
still the default's (``shapes``: the kinds of each list on the way, the
list itself included) gets the same change in its draft (``EditionDoc``'s
byte-preserving edits: its comments and layout stay), and is saved with the
default edition. An item added reaches each translation as "Add a language"
makes one (``drafts.translation_of``), and what the officer then writes in
it follows there (``alignvalues``: dates, links and pictures as they are,
each text as its ✎ copy).

The marks. A translation's record (``content.translations``) holds, per
section, the fingerprint of the default's section it translates. While the
default edition's changes are not saved, the session keeps for each
translation that followed them a ``Following``: per section of the
translation as it is now, that fingerprint and, when known, the default's
section itself (plain data) with the same changes applied. A pure move
therefore leaves the section as it was ("needs update" only if it needed it
before); an added item is empty on both sides until the original's is
written; a section whose original is not known (it needed its update)
keeps needing it. Whenever the translation's record is written -- its own
save, or the default edition's save that saves it too -- it is written
from these entries, never from a default edition saved in another order.

"Discard my changes" on the default edition takes back, in each
translation, the changes that followed from it (``steps``, undone last
first), and keeps the translation's own edits: a translation with nothing
else unsaved is simply read again (byte for byte its file); one with its own
edits keeps them with the followed changes undone. Discarding never writes a
file. A step whose list the translation itself changed since cannot be
undone there: it stays (the translation is then out of line, which ``check``
and side by side say). The other way round, "Discard my changes" on a
translation forgets only what was changed there: the default edition's
changes it followed are made again in the file read back (``discarded``).

An edition already out of line is left as it is: ``check`` warns about it
(``edition.sections_differ``) and side by side says so.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadex_mail.content.drafts import translation_of
from leadex_mail.content.translations import fingerprint, read_edition, record_saved, translation_record, write_record
from leadex_mail.errors import ContentError, LeadexError
from leadex_mail.studio.translationdrafts import per_session, plain, translations

if TYPE_CHECKING:
    from leadex_mail.studio.document import EditionDoc
    from leadex_mail.studio.workspace import IssueSession

Path_ = tuple[str | int, ...]
SECTIONS: Path_ = ("sections",)
STATE = "_aligned"  # the session's attribute: {translation: Following}; lives and dies with the session


@dataclass
class Entry:
    """One section of a translation: the fingerprint and type it translates, and the default's section itself when known."""

    print_: str
    kind: Any
    content: Any = None  # plain data; None: not known (the section needs its update)

    def fingerprint(self) -> str:
        return fingerprint(self.content) if self.content is not None else self.print_

    def type_(self) -> Any:
        return self.content.get("type") if isinstance(self.content, dict) else self.kind


@dataclass
class Step:
    """One change of the default edition followed in a translation, with what undoing it needs."""

    op: str
    path: Path_
    index: int
    to: int
    value: Any  # the item added (plain data)
    removed: Any  # the translation's own item removed (plain data), put back by an undo
    before: list[Any]  # the ``shapes`` along ``path`` just before the step (the default's and the translation's alike)
    after: list[Any]  # the translation's ``shapes`` along ``path`` just after the step
    entries: list[Entry]  # the entries before the step


@dataclass
class Following:
    """What a translation followed of the default edition's unsaved changes (see the module docstring)."""

    entries: list[Entry]
    tracked: bool  # it had a record: its marks are shown
    steps: list[Step] = field(default_factory=list)  # since the default edition was last saved
    in_file: int = 0  # how many of the steps its file holds (it was saved on its own since)


def followings(session: IssueSession) -> dict[str, Following]:
    """The session's ``{translation: Following}`` (made on first use): what each translation follows of the default's unsaved changes."""
    return per_session(session, STATE)


def _kind(item: Any) -> Any:
    return item.get("type") if isinstance(item, dict) else type(item).__name__


def at(data: Any, path: Path_) -> Any:
    """The plain value at ``path`` (None when absent)."""
    node = data
    for part in path:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def shapes(data: Any, path: Path_) -> list[Any]:
    """The kinds of the items of each list along ``path`` (plain data), the list at ``path`` last (None: no list there).

    An item's kind is its ``type`` (a section's) or None for an item of
    fields (an event, a partner): two editions in line along a path have
    lists of the same length, with the same kinds, at every list on the way.
    """
    found: list[Any] = []
    for depth in range(1, len(path) + 1):
        node = at(data, path[:depth])
        if isinstance(node, list):
            found.append([_kind(item) for item in node])
        elif depth == len(path):
            found.append(None)
    return found


def kinds(data: Any) -> list[Any]:
    """The ``type`` of each section of an edition's plain data, in order."""
    return (shapes(data, SECTIONS) or [None])[-1] or []


def _apply(data: Any, path: Path_, op: str, index: int, to: int, value: Any) -> None:
    """The same change on plain data (a translation's entry): ``op`` at the list ``path``, or ``"set"`` the value at ``path``."""
    *head, key = path
    parent = data
    for part in head:  # a group not there yet is made for an item added, as the editor makes it
        parent = parent.setdefault(part, {}) if op in ("add", "set") and isinstance(parent, dict) else at(parent, (part,))
    if op == "set":
        if value is not None:
            parent[key] = copy.deepcopy(value)
        elif isinstance(parent, dict):
            parent.pop(key, None)
        return
    if op == "add" and isinstance(parent, dict) and not isinstance(parent.get(key), list):
        parent[key] = []
    items = at(data, path)
    if not isinstance(items, list):
        raise ValueError(f"no list at {path}")
    if op == "move":
        items.insert(to, items.pop(index))
    elif op == "add":
        items.insert(index, copy.deepcopy(value))
    else:
        items.pop(index)
        if not items and isinstance(parent, dict):
            del parent[key]  # as the file loses a list left empty (its shape: no list there)


def edit_draft(doc: EditionDoc, path: Path_, op: str, index: int, to: int, value: Any) -> None:
    """The change on a draft: ``op`` at the list ``path`` (a list not there yet is made first, as the editor does), or ``"set"``."""
    from leadex_mail.studio.formschema import spec_at

    if op == "set":  # a value (plain data) written as a person writes it (``yamlvalues.styled``); None: the field removed
        spec = spec_at(path, doc.root)
        if spec is None:
            raise ContentError(f"there is no field at {path}")
        doc.set(path, value, spec, spec_at(path[:-1], doc.root))
    elif op == "move":
        doc.move_item(path, index, to)
    elif op == "add":
        if doc.get(path) is None:
            spec = spec_at(path, doc.root)
            if spec is None:
                raise ContentError(f"there is no list at {path}")
            doc.set(path, [], spec, spec_at(path[:-1], doc.root))
        doc.add_item(path, index, value)
    else:
        doc.remove_item(path, index)


def start_following(session: IssueSession, language: str, data: Any) -> Following:
    """The entries of a translation that starts following: its record, each section's original where it is still on disk."""
    default = session.default_language()
    record = translation_record(session.folder, language)
    record = record if record is not None and record.get("from") == default else None
    source = read_edition(session.folder, default)
    originals = at(source, SECTIONS) if source is not None else None
    originals = originals if isinstance(originals, list) else []
    prints = list(record.get("sections") or []) if record is not None else [fingerprint(s) for s in originals]
    types = list(record.get("types") or []) if record is not None else [_kind(s) for s in originals]
    entries = []
    for place, kind in enumerate(kinds(data)):
        print_ = str(prints[place]) if place < len(prints) else ""
        original = originals[place] if place < len(originals) and fingerprint(originals[place]) == print_ else None
        entries.append(Entry(print_, types[place] if place < len(types) else kind, copy.deepcopy(original)))
    return Following(entries, tracked=record is not None)


def follow_entries(entries: list[Entry], path: Path_, before: list[Any], op: str, index: int, to: int, value: Any) -> list[Entry]:
    """The entries after the change: sections moved, added, removed with them; a section's own lists changed in its original."""
    entries = [Entry(e.print_, e.kind, e.content) for e in entries]
    if path == SECTIONS:
        if op == "move":
            entries.insert(to, entries.pop(index))
        elif op == "add":
            entries.insert(index, Entry("", _kind(value), copy.deepcopy(value)))
        else:
            entries.pop(index)
        return entries
    if len(path) < 3 or path[0] != "sections" or not isinstance(path[1], int) or not 0 <= path[1] < len(entries):
        return entries  # a list outside the sections: no section's mark depends on it
    entry, inner = entries[path[1]], path[2:]
    if entry.content is not None and shapes(entry.content, inner) == before[len(before) - len(shapes(entry.content, inner)) :]:
        content = copy.deepcopy(entry.content)
        try:
            _apply(content, inner, op, index, to, value)
        except (ValueError, IndexError, TypeError, AttributeError):
            content = None
    else:
        content = None
    # Not known (its original is not): it needs its update until it is translated again.
    entries[path[1]] = Entry(fingerprint(content), entry.kind, content) if content is not None else Entry("", entry.type_(), None)
    return entries


async def follow(
    session: IssueSession, language: str, path: Path_, before: list[Any], op: str, index: int, to: int, value: Any = None, *, by: str | None = None
) -> list[str]:
    """Apply to each translation in line with ``before`` (the default's ``shapes`` along ``path`` before the change) the same ``op``.

    ``op``: ``"move"`` (``index`` to ``to``), ``"add"`` (``value`` at ``index``:
    the translation gets it as "Add a language" would, each text marked ✎)
    or ``"remove"`` (``index``), at the list ``path``. Returns the languages
    changed. Only the default edition leads; a translation's own changes are
    its own.
    """
    if language != session.default_language():
        return []
    # An item added is made in the translation as "Add a language" makes one (``drafts.translation_of``).
    made = translation_of(session.drafts[language].data(), (*path, index), value) if op == "add" else value
    changed = []
    state = followings(session)
    for other in await translations(session, language):
        doc = session.drafts[other]
        data = plain(session, other)
        if shapes(data, path) != before:
            continue
        following = state.get(other) or start_following(session, other, data)
        removed = copy.deepcopy(at(data, path)[index]) if op == "remove" else None
        await session.change(other, lambda d: edit_draft(d, path, op, index, to, made), by=by, followed=True)
        step = Step(op, path, index, to, copy.deepcopy(made), removed, before, shapes(doc.data(), path), following.entries)
        following.entries = follow_entries(following.entries, path, before, op, index, to, value)
        following.steps.append(step)
        state[other] = following
        changed.append(other)
    return changed


def _holds(data: Any, step: Step, value: Any) -> bool:
    """Whether ``data`` (plain) is in line with ``step``'s list shapes and, for a value set, holds ``value`` there."""
    return shapes(data, step.path) == step.before and (step.op != "set" or at(data, step.path) == value)


def forget(session: IssueSession, language: str) -> None:
    """``language`` follows nothing any more (its file does not read: nothing can be made in it)."""
    followings(session).pop(language, None)


def followers(session: IssueSession) -> list[str]:
    """The translations that followed the default edition's unsaved changes: they are saved with it."""
    return sorted(followings(session))


def stale(session: IssueSession, language: str) -> set[int] | None:
    """The sections of ``language`` that need their update, as side by side marks them; None when not tracked.

    A translation following unsaved changes of the default edition: those
    whose original is not known (they needed their update before). Else
    the record against the default edition's file (``stale_sections``).
    """
    from leadex_mail.content.translations import stale_sections

    following = followings(session).get(language)
    if following is None:
        return stale_sections(session.folder, language, session.default_language())
    return {place for place, entry in enumerate(following.entries) if entry.content is None} if following.tracked else None


def _record(session: IssueSession, language: str, following: Following) -> None:
    prints = [entry.fingerprint() for entry in following.entries]
    write_record(session.folder, language, session.default_language(), prints, [entry.type_() for entry in following.entries])


async def saved(session: IssueSession, language: str, before: Any = None) -> None:
    """Called by ``IssueSession.save`` once ``language``'s file is written: its record, and the translations following it.

    A translation: what it translates is recorded -- from its entries when
    it follows unsaved changes of the default edition (the default's file
    is not in that order yet), else, for the sections this save changed
    (``before``: its plain data as last saved), the default's file as it
    is (``record_saved``: the other sections keep their marks). The default
    edition: each translation that followed it gets the changes in its file
    (its saved content, never its unsaved edits: ``_write_followed``) and
    its record written from its entries; ``EditConflict`` (the first) once
    every other one is done.
    """
    import anyio

    default = session.default_language()
    state = followings(session)
    if language != default:
        following = state.get(language)
        if following is None:
            # Only the sections changed by this save translate the default's as it is now (``before``: as last saved).
            await anyio.to_thread.run_sync(record_saved, session.folder, language, default, before)
            return
        await anyio.to_thread.run_sync(_record, session, language, following)
        following.in_file = len(following.steps)
        return
    failed: LeadexError | None = None
    for other in followers(session):
        following = state.pop(other)
        doc = session.drafts.get(other)
        try:
            if doc is not None and doc.changed and not await _write_followed(session, other, doc, following):
                state[other] = following  # its saved content is not in line: it follows on until its own save
                continue
            await anyio.to_thread.run_sync(_record, session, other, following)
        except LeadexError as err:  # its file changed on disk (or too big): its draft stays, unsaved
            state.pop(other, None)
            failed = failed or err
    if failed is not None:
        raise failed


async def _write_followed(session: IssueSession, language: str, doc: EditionDoc, following: Following) -> bool:
    """Write into ``language``'s file its *saved* content with the followed steps its file does not hold yet (MAJOR 1, a13d).

    The translation's own unsaved edits stay in its draft, unsaved (the
    README: changes not saved are never written into the issue); the draft
    is then based on the file written, so its own save later is no conflict.
    A draft with nothing of its own left is saved (``changed`` False). False
    when the saved content is no longer in line along a step's path (nothing
    written; the translation follows on until its own save). ``EditConflict``
    when its file changed on disk since the draft was read.
    """
    import anyio

    from leadex_mail.studio.document import EditionDoc, read_stamp
    from leadex_mail.errors import EditConflict, Problem

    def run() -> bool:
        with session.lock:
            if read_stamp(doc.path) != doc.stamp:  # the face names this file, not the default's (a13d minor 4)
                what = "the file was changed by another program or person since it was opened"
                raise EditConflict(
                    f"{doc.path.name}: {what}; the default edition's section changes were not made in it",
                    [Problem(str(doc.path), None, None, "", what, code="file.changed", args=(("language", language),))],
                    hint=f"open the {language} edition, reload it from disk, and make the same changes there",
                )
            on_disk = EditionDoc.open(doc.path)
            for step in following.steps[following.in_file :]:
                if step.op == "set":  # a value the translator's saved file holds otherwise stays theirs
                    if _holds(on_disk.data(), step, step.removed):
                        edit_draft(on_disk, step.path, step.op, step.index, step.to, step.value)
                    continue
                if shapes(on_disk.data(), step.path) != step.before:
                    return False
                edit_draft(on_disk, step.path, step.op, step.index, step.to, step.value)
            own = on_disk.data() != doc.data()
            if on_disk.changed:
                on_disk.save()
            # The draft is now based on the file written: its own edits merged onto it when saved.
            doc.stamp, doc.original, doc._before, doc._text = on_disk.stamp, on_disk.original, None, None
            if not own:
                doc.root, doc.changed = on_disk.root, False
            return True

    return await anyio.to_thread.run_sync(run)


async def discarding(session: IssueSession, language: str) -> None:
    """Called by ``IssueSession.discard`` before the default edition's draft goes: what followed from it is undone."""
    state = followings(session)
    if language != session.default_language():
        return
    for other in followers(session):
        following = state[other]
        await _undo(session, other, following)
        state.pop(other, None)  # in line with the default's file again, or out of line by its own changes


async def discarded(session: IssueSession, language: str) -> None:
    """Called by ``IssueSession.discard`` once a translation's file is read again: the default's changes it followed, made again.

    "Discard my changes" on a translation forgets what the officer changed
    *there*; the default edition's changes it followed (and its file does
    not hold yet) stay while they stay in the default edition, so the two
    stay in line. A step whose list the file has otherwise ends it: the
    translation is then out of line, as ``check`` and side by side say.
    """
    following = followings(session).get(language)
    if following is None or language == session.default_language():
        return
    doc = session.drafts.get(language)
    for place in range(following.in_file, len(following.steps)):
        step = following.steps[place]
        data = doc.data() if doc is not None else None
        if data is not None and step.op == "set" and not _holds(data, step, step.removed):
            continue  # the file holds a value of its own there: it stays
        if data is None or shapes(data, step.path) != step.before:
            following.entries, following.steps = step.entries, following.steps[:place]
            break
        step.removed = copy.deepcopy(at(data, step.path)[step.index]) if step.op == "remove" else None
        await session.change(language, lambda d: edit_draft(d, step.path, step.op, step.index, step.to, step.value), own=False)
    if not following.steps:
        followings(session).pop(language, None)


async def _undo(session: IssueSession, language: str, following: Following) -> None:
    """Take back in ``language`` the steps it followed, last first; read its file again when nothing else is left unsaved."""
    import anyio

    from leadex_mail.studio.document import EditionDoc

    doc = session.drafts.get(language)
    while following.steps and doc is not None:
        step = following.steps[-1]
        if step.op == "set":  # a value set back, unless the translator wrote their own there since
            if _holds(doc.data(), step, step.value):
                await session.change(language, lambda d: edit_draft(d, step.path, "set", 0, 0, step.removed), own=False)
            following.entries = step.entries
            following.steps.pop()
            continue
        if shapes(doc.data(), step.path) != step.after:
            break  # the translation changed that list itself: the step stays
        back = {"move": ("move", step.to, step.index), "add": ("remove", step.index, step.index), "remove": ("add", step.index, step.index)}[step.op]
        await session.change(language, lambda d: edit_draft(d, step.path, back[0], back[1], back[2], step.removed), own=False)
        following.entries = step.entries
        following.steps.pop()
    if doc is None:
        return
    try:
        on_disk = await anyio.to_thread.run_sync(EditionDoc.open, doc.path)
    except ContentError:
        return
    if not following.steps and on_disk.data() == doc.data():
        await session.discard(language)  # nothing of its own: its file again, byte for byte
