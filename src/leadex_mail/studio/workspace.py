"""What each officer has open: edition drafts, the live preview built from them, the pages listening.

    ws = Workspace(settings)
    issue = ws.issue("local", "2026-09-leadex-02")     # an IssueSession
    draft = await issue.open("sl")                    # the file, parsed once
    await issue.change("sl", lambda doc: doc.set(...)) # then the preview rebuilds
    await issue.save("sl")                            # EditConflict if the file changed on disk

A draft is the edition file's round-trip tree (``document.EditionDoc``)
with the officer's unsaved changes. ``IssueSession`` changes, saves,
discards and restores drafts; what the pages see of them (the preview, its
check, the event stream) is its other half, ``issueview.IssueView``.

One draft per edition is shared by every page (tab, window) of its officer
that shows it, so each draft counts its changes (``revision``) and knows
which page made the last (``writer``). A page says which revision it was
loaded at and who it is; a change or save from a page that has not seen
another page's change since (``stale``) is refused by the faces: a tab
never saves what another tab typed and it never saw.

An edition is a file named by its language code as the loader names it
(``content.languages.is_edition_language``): ``xx.yaml`` is not one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio

from leadex_mail.config import Settings
from leadex_mail.errors import ContentError, EditConflict
from leadex_mail.studio.document import EditionDoc, read_stamp
from leadex_mail.studio.issueview import IssueView

log = logging.getLogger(__name__)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> tuple[str | int, ...]:
    """``"sections[3].items[0].url"`` or ``"sections.3.items.0.url"`` -> ``("sections", 3, "items", 0, "url")``."""
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(text):
        if index:
            parts.append(int(index))
        elif name.isdigit():
            parts.append(int(name))
        else:
            parts.append(name)
    return tuple(parts)


def dotted(path: tuple[str | int, ...]) -> str:
    """``("sections", 3, "url")`` -> ``"sections.3.url"``: the name of a form control."""
    return ".".join(str(p) for p in path)


@dataclass
class IssueSession(IssueView):
    """One officer's open editions of one issue: their drafts changed, saved, discarded and restored (the preview: ``IssueView``)."""

    instance: str = ""  # the studio process (``Workspace.instance``): names the copies it keeps as drafts change
    pictures_added: set[str] = field(default_factory=set)  # ``images/x.jpg`` stored by this session since its last save
    _keep_wanted: set[str] = field(default_factory=set)
    _keeper: asyncio.Task[None] | None = None
    # Languages whose draft holds a change the officer made (typed, added, moved, removed, restored) since it was
    # read or saved. A change the studio made itself -- a translation following the default edition, or taking
    # that back -- is not theirs: a draft holding only those is never kept as "unsaved changes" (a15 M1).
    own_changes: set[str] = field(default_factory=set)

    # -- drafts ----------------------------------------------------------------------------

    async def open(self, language: str, *, fresh: bool = False) -> EditionDoc:
        """The draft of ``language``: kept if it has unsaved changes (unless ``fresh``), else read from the file."""
        current = self.drafts.get(language)
        if current is not None and not fresh and (current.changed or current.stamp == read_stamp(current.path)):
            return current
        doc = await anyio.to_thread.run_sync(EditionDoc.open, self.path(language))
        with self.lock:
            self.drafts[language] = doc
            self.conflicts.pop(language, None)
        self._new_draft(language)
        await self.refresh()
        return doc

    async def discard(self, language: str) -> EditionDoc:
        """Forget the draft of ``language`` (its unsaved changes, a conflict) and read the file again.

        The draft is forgotten first, so even when the file no longer reads
        (``ContentError``, raised) nothing unsaved is left to block a test
        send or a send: the issue is what its files say.
        """
        from leadex_mail.studio import alignment

        await alignment.discarding(self, language)  # the default edition's changes are taken back in its translations too
        with self.lock:
            self.drafts.pop(language, None)
            self.conflicts.pop(language, None)
        self.keep_soon(language)  # its copy kept as it changed goes too
        try:
            doc = await self.open(language, fresh=True)
        except ContentError:
            alignment.forget(self, language)
            self._new_draft(language)
            await self.refresh()
            raise
        await alignment.discarded(self, language)  # a translation keeps what it followed of the default's unsaved changes
        await self.tidy_pictures()
        return self.drafts.get(language, doc)


    def stale(self, language: str, page: str | None, seen: int | None) -> bool:
        """True when ``page``, which has seen revision ``seen``, missed a change another page (or a reload) made since.

        A page's own changes never make it stale (its requests may overlap);
        a request that does not say which page it is from is not checked.
        """
        if page is None or seen is None:
            return False
        return seen != self.revision(language) and self.writers.get(language) != page

    def _new_draft(self, language: str) -> None:
        """The draft of ``language`` was replaced (read again, restored, discarded): every open page is behind it."""
        self.own_changes.discard(language)
        self.revisions[language] = self.revision(language) + 1
        self.writers[language] = None
        self.followed[language] = False
        self.publish("changed", json.dumps({"language": language, "revision": self.revisions[language], "by": None}))

    def _changed_by(self, language: str, page: str | None, *, followed: bool = False) -> None:
        # Every page hears of it (a few bytes beside each preview): any other page showing this draft is now behind.
        # ``followed``: the studio made it in step with the default edition; a page of this edition with nothing
        # in flight shows it again (its draft, its own unsaved edits included, is all here) instead of refusing.
        self.revisions[language] = self.revision(language) + 1
        self.writers[language] = page
        self.followed[language] = followed
        info = {"language": language, "revision": self.revisions[language], "by": page}
        self.publish("changed", json.dumps({**info, "followed": True} if followed else info))

    async def change(self, language: str, edit: Callable[[EditionDoc], Any], *, by: str | None = None, followed: bool = False, own: bool | None = None) -> Any:
        """Apply ``edit`` to the draft of ``language``, then rebuild the preview; ``by``: the page that asked.

        ``own``: the officer made it (default: unless ``followed``); False for
        the studio's own steps (alignment taking back what a translation
        followed), which alone never make a draft worth keeping at a stop.

        An edit changes the tree in memory (tens of microseconds): it runs at once
        unless a rebuild is reading the drafts, then in a worker thread that waits
        for it (the event loop never waits on the lock).
        """
        doc = self.drafts.get(language) or await self.open(language)

        def run() -> Any:
            with self.lock:
                return edit(doc)

        if self.lock.acquire(blocking=False):
            try:
                result = edit(doc)
            finally:
                self.lock.release()
        else:
            result = await anyio.to_thread.run_sync(run)
        if own if own is not None else not followed:
            self.own_changes.add(language)
        self._changed_by(language, by, followed=followed)
        self.keep_soon(language)
        await self.refresh()
        return result

    async def save(self, language: str) -> str:
        """Write the draft of ``language`` to its file; ``EditConflict`` when the file changed on disk."""
        doc = self.drafts.get(language)
        if doc is None:
            raise EditConflict(f"the {language} edition is not open", hint="open it again")

        from leadex_mail.content.translations import read_edition

        translation = language != self.default_language()
        before: list[Any] = [None]

        def run() -> str:
            with self.lock:
                if translation:  # what it was last saved as: only the sections changed now are translated anew (a13d MAJOR 3)
                    before[0] = read_edition(self.folder, language) if read_stamp(doc.path) == doc.stamp else None
                return doc.save()

        stamp = await anyio.to_thread.run_sync(run)
        from leadex_mail.studio import alignment, recovery

        self.conflicts.pop(language, None)
        self.own_changes.discard(language)
        recovery.drop(self.settings, self.owner, self.slug, language)  # a copy kept at a stop is older than this
        try:
            # A translation records what it translates; the default edition saves the translations that followed its changes.
            await alignment.saved(self, language, before[0])
        finally:
            self.publish("saved", json.dumps({"language": language}))
            await self.tidy_pictures()
        return stamp

    async def restore(self, language: str, text: str, base_stamp: str) -> None:
        """Make ``text`` (kept when the studio stopped) the unsaved draft of ``language``, as of the file stamped ``base_stamp``.

        ``ContentError`` when it cannot be edited as a form. When the file
        changed on disk since, the draft is marked in conflict like any
        other: saving refuses until the officer decides.
        """
        path = self.path(language)
        doc = await anyio.to_thread.run_sync(EditionDoc.from_text, path, text.encode("utf-8"))
        doc.stamp, doc.changed = base_stamp, True
        now = read_stamp(path)
        with self.lock:
            self.drafts[language] = doc
            if now == base_stamp:
                self.conflicts.pop(language, None)
            else:
                self.conflicts[language] = "deleted" if now is None else "changed"
        self._new_draft(language)
        self.own_changes.add(language)  # restored: the officer's changes again
        self.keep_soon(language)
        await self.refresh()

    async def tidy_pictures(self) -> None:
        """Delete the pictures this session stored that no saved edition and no draft names (picked again, discarded: a13d minor 12).

        Those a saved edition names are saved: they are the issue's now, never
        deleted by the studio afterwards, like any picture put there by hand.
        """
        if not self.pictures_added:
            return
        from leadex_mail.content.translations import read_edition
        from leadex_mail.studio.pictures import forget_unused

        def run() -> None:
            saved = [read_edition(self.folder, language) for language in self.languages()]
            with self.lock:
                drafts = [doc.data() for doc in self.drafts.values()]
            added = set(self.pictures_added)
            gone = forget_unused(self.folder, added, saved + drafts)
            named = {src for src in added - gone if any(json.dumps(src, ensure_ascii=False) in json.dumps(data, ensure_ascii=False, default=str) for data in saved if data is not None)}
            self.pictures_added -= gone | named

        await anyio.to_thread.run_sync(run)

    def keep_soon(self, language: str) -> None:
        """Keep the draft of ``language`` as it is now in ``recovery`` (write-behind), or drop this studio's copy once saved or discarded.

        A kill -9, a crash or a power cut then loses at most the last moment
        (a13d minor 5). One writer per session: a change made while a copy is
        being written is kept by the next write, so typing never waits on the
        disk and a burst of keystrokes costs one or two writes. A copy kept by
        another studio process (offered back, not decided yet) is never
        written over.
        """
        self._keep_wanted.add(language)
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.get_running_loop().create_task(self._keep_wanted_drafts())

    async def _keep_wanted_drafts(self) -> None:
        from datetime import timezone

        from leadex_mail.studio import recovery

        def run(language: str) -> None:
            found = recovery.find(self.settings, self.owner, self.slug, language)
            if found is not None and found.instance != self.instance:
                return  # kept by the studio before this one: offered back until the officer decides
            with self.lock:
                doc = self.drafts.get(language)
                taken = (doc.text(), doc.stamp) if doc is not None and self.worth_keeping(language) else None
            if taken is None or recovery.same_as_saved(self.path(language), taken[0]):
                if found is not None:
                    recovery.drop(self.settings, self.owner, self.slug, language)
                return
            recovery.keep(self.settings, self.owner, self.slug, language, taken[0], taken[1], datetime.now(timezone.utc), instance=self.instance)

        while self._keep_wanted:
            language = self._keep_wanted.pop()
            try:
                await anyio.to_thread.run_sync(run, language)
            except OSError as exc:  # disk full: the draft is still in memory, and kept again at a stop
                log.error("could not keep the unsaved changes of %s/%s (%s): %s", self.slug, language, self.owner, exc)
            if not self.worth_keeping(language):
                self._keep_wanted.add(language)  # saved or discarded while it was written: its copy goes
                if not await anyio.to_thread.run_sync(self._own_copy_left, language):
                    self._keep_wanted.discard(language)

    def worth_keeping(self, language: str) -> bool:
        """Whether the draft of ``language`` holds unsaved changes of the officer's: changed, and by them (``own_changes``)."""
        doc = self.drafts.get(language)
        return doc is not None and doc.changed and language in self.own_changes

    def drop_own_copy(self, language: str) -> None:
        """Forget the copy this studio kept of ``language``'s draft as it changed (never one another studio kept: offered back)."""
        from leadex_mail.studio import recovery

        if self._own_copy_left(language):
            recovery.drop(self.settings, self.owner, self.slug, language)

    def _own_copy_left(self, language: str) -> bool:
        from leadex_mail.studio import recovery

        found = recovery.find(self.settings, self.owner, self.slug, language)
        return found is not None and found.instance == self.instance

    def languages(self) -> list[str]:
        """The editions on disk, by language code: files the loader takes as editions (``sl.yaml``; not ``xx.yaml``)."""
        from leadex_mail.content.languages import is_edition_language
        from leadex_mail.content.loader import EDITION_SUFFIXES

        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.iterdir() if p.suffix in EDITION_SUFFIXES and is_edition_language(p.stem))

    def default_language(self) -> str:
        """The default edition's language, as the loader chooses it (the setting when that edition exists)."""
        languages = self.languages()
        wanted = self.settings.default_language
        return wanted if wanted in languages or not languages else languages[0]

    async def disk_changed(self, paths: set[Path]) -> None:
        """Called for files changed on disk: mark open drafts whose file is no longer theirs; rebuild."""
        touched = False
        for language, doc in list(self.drafts.items()):
            if doc.path.resolve() not in paths:
                continue
            touched = True
            now = read_stamp(doc.path)
            if now == doc.stamp:
                continue
            if not doc.changed and now is not None:
                # Nothing unsaved here: show the new version (nothing can be lost).
                await self.open(language, fresh=True)
                self.publish("disk", json.dumps({"language": language, "state": "reloaded"}))
                continue
            self.conflicts[language] = "deleted" if now is None else "changed"
            self.publish("disk", json.dumps({"language": language, "state": self.conflicts[language]}))
        if touched or any(p.is_relative_to(self.folder.resolve()) for p in paths):
            await self.refresh()


class Workspace:
    """Every officer's open issues, by owner and slug."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions: dict[tuple[str, str], IssueSession] = {}
        self.closed = asyncio.Event()
        # Names this studio process: a page that hears another one (``hello``) knows its drafts and session are gone.
        self.instance = secrets.token_hex(8)

    def issue(self, owner: str, slug: str) -> IssueSession:
        """The session of ``owner`` on issue ``slug`` (made on first use)."""
        key = (owner, slug)
        if key not in self.sessions:
            self.sessions[key] = IssueSession(owner, slug, self.settings, instance=self.instance)
        return self.sessions[key]

    def sessions_of(self, slug: str) -> list[IssueSession]:
        """Every officer's session on ``slug``."""
        return [s for (_, sl), s in self.sessions.items() if sl == slug]

    def image(self, owner: str, cid: str) -> Any:
        """An inline picture of one of ``owner``'s previews (``cid:`` parts cannot be shown by a browser)."""
        for (who, _), session in self.sessions.items():
            if who == owner and session.preview is not None and cid in session.preview.images:
                return session.preview.images[cid]
        return None

    async def files_changed(self, paths: set[Path]) -> None:
        """Tell every session about files changed on disk (from the watcher)."""
        resolved = {p.resolve() for p in paths}
        for session in list(self.sessions.values()):
            await session.disk_changed(resolved)

    def close(self) -> None:
        """End every event stream."""
        self.closed.set()
        for session in self.sessions.values():
            session.close()

    def keep_unsaved(self, now: datetime) -> int:
        """Keep every draft with unsaved changes (``recovery.keep``), the studio stopping; how many were kept.

        Runs after the last request ended, so a save in flight has finished
        (each draft's lock is held while its text is taken). A draft that
        cannot be kept (disk full) is logged and the others still are.
        """
        from leadex_mail.studio import recovery

        kept = 0
        for (owner, slug), session in list(self.sessions.items()):
            for language, doc in list(session.drafts.items()):
                with session.lock:
                    text, stamp = (doc.text(), doc.stamp) if session.worth_keeping(language) else (None, doc.stamp)
                if text is None or recovery.same_as_saved(session.path(language), text):  # nothing of the officer's unsaved
                    session.drop_own_copy(language)  # one kept as it changed, before it was saved or changed back
                    continue
                try:
                    recovery.keep(self.settings, owner, slug, language, text, stamp, now)
                    kept += 1
                except OSError as exc:
                    log.error("could not keep the unsaved changes of %s/%s (%s): %s", slug, language, owner, exc)
        return kept
