"""What the pages of one officer's issue see: the live preview built from the drafts, and the events that carry it.

``IssueView`` is the half of ``workspace.IssueSession`` that only reads the
drafts (the session's other half changes them). The preview is built by the
code of ``leadex-mail preview`` (``preview.build.render_preview`` then
``checked``, the two halves of ``build_preview``), reading each draft's data
in place of its file (``content.yamlsource.unsaved_texts``): what the studio
shows and checks is what saving would give the CLI.

Rebuilds run in a worker thread and are coalesced: while one runs, further
changes ask for one more, built from the newest text, so typing never
queues stale work. Each rebuild publishes twice: the rendered preview at
once (``checking`` true, the last findings still shown), then with the
check's findings, once typing pauses (``CHECK_PAUSE_SECONDS`` without a
change): a check costs about as much as the render, and run between two
keys it would only delay the next key's preview and be replaced at once.
Every page of the issue listens on Server-Sent Events
(``events``): ``hello`` first (which studio process answers, so a page
knows when the studio was restarted under it), ``preview`` after each
rebuild, ``disk`` when a file that is open changed on disk, ``saved`` after
a save, ``changed`` when another page took over an edition's draft, and
``bye`` when the studio stops. A page that names its edition gets that
edition's email in each ``preview`` event of a new render (the HTML
``GET .../preview`` serves), so the new email shows without a second request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from leadex_mail.config import Settings
from leadex_mail.content.lint import unloaded_findings
from leadex_mail.content.model import Issue
from leadex_mail.content.yamlsource import unsaved_texts
from leadex_mail.errors import ContentError
from leadex_mail.preview.build import Preview, checked, keep_last_good, render_preview
from leadex_mail.preview.live import follow_queue
from leadex_mail.studio import recovery
from leadex_mail.studio.document import EditionDoc
from leadex_mail.studio.findings import FieldProblem, place, save_size_problems
from leadex_mail.studio.i18n import Words, words as words_in

# The check of a render starts once no change came for this long (a pause in typing;
# keys come every 0.1-0.2 s): the findings of the newest text follow that pause.
CHECK_PAUSE_SECONDS = 0.25


@dataclass
class IssueView:
    """One officer's open editions of one issue as its pages see them: the current preview and the pages listening."""

    owner: str
    slug: str
    settings: Settings
    drafts: dict[str, EditionDoc] = field(default_factory=dict)
    conflicts: dict[str, str] = field(default_factory=dict)  # language -> "changed" | "deleted"
    preview: Preview | None = None
    version: int = 0  # counts the preview events
    renders: int = 0  # counts the renders among them (a check's findings are a second event of one render)
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards the drafts' trees (changed and written in worker threads)
    # -> the edition the page shows and the officer's words (findings are said in them)
    _listeners: dict[asyncio.Queue[tuple[str, str] | None], tuple[str | None, Words]] = field(default_factory=dict)
    _wanted: int = 0
    _built: int = 0
    _task: asyncio.Task[None] | None = None
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    _rendered: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)  # set by each ``refresh`` (ends a pause before a check)
    _checking: bool = False
    revisions: dict[str, int] = field(default_factory=dict)  # language -> changes to its draft so far (never goes back)
    writers: dict[str, str | None] = field(default_factory=dict)  # language -> the page that made the last change (None: a new draft)
    followed: dict[str, bool] = field(default_factory=dict)  # language -> its last change was made in step with the default edition

    @property
    def folder(self) -> Path:
        """The issue folder."""
        return self.settings.newsletters_dir / self.slug

    def path(self, language: str) -> Path:
        """The edition file of ``language`` (``<folder>/<lang>.yaml``, or ``.yml`` when that is what exists)."""
        for suffix in (".yaml", ".yml"):
            candidate = self.folder / f"{language}{suffix}"
            if candidate.exists():
                return candidate
        return self.folder / f"{language}.yaml"

    def revision(self, language: str) -> int:
        """How many changes the draft of ``language`` has had (a page loaded now has seen them all)."""
        return self.revisions.get(language, 0)

    def dirty(self) -> list[str]:
        """Languages with unsaved changes."""
        return sorted(lang for lang, doc in self.drafts.items() if doc.changed)

    # -- preview ---------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Ask for a rebuild of the preview; returns at once (the pages hear of it on ``events``)."""
        self._wanted += 1
        self._idle.clear()
        self._rendered.clear()
        self._changed.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._rebuild())

    async def built(self) -> Preview:
        """The preview once every change asked for so far is in it, checked."""
        if self.preview is None and (self._task is None or self._task.done()):
            await self.refresh()
        await self._idle.wait()
        assert self.preview is not None
        return self.preview

    async def rendered(self) -> Preview:
        """The preview once every change asked for so far is rendered (its check may still run)."""
        if self.preview is None and (self._task is None or self._task.done()):
            await self.refresh()
        await self._rendered.wait()
        assert self.preview is not None
        return self.preview

    async def _rebuild(self) -> None:
        # Two steps, each published: the preview as soon as it renders (what the officer
        # waits for after a key), then the check's findings (the check takes about as
        # long again) after a pause in typing. A change that came meanwhile is rendered
        # before anything is checked, and its own check replaces this one's.
        while self._built < self._wanted:
            target = self._wanted
            self._changed.clear()
            fresh, issue = await anyio.to_thread.run_sync(self._render)
            self._show(fresh, checking=issue is not None, rendered=True)
            self._built = target
            if self._built < self._wanted:
                continue
            self._rendered.set()
            if issue is not None and not await self._changed_within(CHECK_PAUSE_SECONDS):
                self._show(await anyio.to_thread.run_sync(self._checked, fresh, issue), checking=False, rendered=False)
        self._idle.set()

    async def _changed_within(self, seconds: float) -> bool:
        """True as soon as a change is asked for (``refresh``) within ``seconds``; False after a quiet ``seconds``."""
        try:
            await asyncio.wait_for(self._changed.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _show(self, fresh: Preview, *, checking: bool, rendered: bool) -> None:
        """Make ``fresh`` the current preview (or its problems over the last that rendered) and tell the pages.

        ``rendered``: ``fresh`` holds newly rendered emails (the pages fetch them); else only new findings.
        """
        if checking and self.preview is not None and self.preview.ok:
            # Until its check is done, the last findings stay at their fields (no flicker while typing).
            fresh = dataclasses.replace(fresh, problems=self.preview.problems)
        shown = fresh if self.preview is None else keep_last_good(fresh, self.preview)
        self.preview = shown
        self.version += 1
        self.renders += rendered
        self._checking = checking
        summaries: dict[Words, str] = {}  # one per language the pages speak
        with_html: dict[tuple[str | None, Words], str] = {}
        for queue, (language, words) in list(self._listeners.items()):
            if words not in summaries:
                summaries[words] = json.dumps(self.summary(words))
            summary = summaries[words]
            if not rendered:
                queue.put_nowait(("preview", summary))
                continue
            if (language, words) not in with_html:
                edition = shown.editions.get(language) if language else None
                # The summary object with one more member: the email as ``GET .../preview`` serves it.
                with_html[language, words] = summary if edition is None else f'{summary[:-1]}, "html": {json.dumps(edition.html)}}}'
            queue.put_nowait(("preview", with_html[language, words]))

    def _checked(self, fresh: Preview, issue: Issue) -> Preview:
        """``checked`` (``leadex-mail preview``'s check) of ``fresh``, and what Save would refuse: a draft over the file limit."""
        done = checked(fresh, issue, self.settings)
        with self.lock:
            over = save_size_problems(self.drafts.values())
        return dataclasses.replace(done, problems=(*done.problems, *over)) if over else done

    def _render(self) -> tuple[Preview, Issue | None]:
        """``render_preview`` of the issue with each changed draft in place of its file; the issue when it loaded."""
        with self.lock:  # a consistent set of texts; rendering runs outside the lock
            texts = {doc.path: doc.preview_text() for doc in self.drafts.values() if doc.changed}
        with unsaved_texts(texts):
            preview, issue = render_preview(str(self.folder), self.settings)
            if issue is None and isinstance(preview.error, ContentError):  # every check that can run on what is there
                preview = dataclasses.replace(preview, problems=(*preview.problems, *unloaded_findings(self.folder, self.settings, preview.problems)))
            return preview, issue

    def problems(self, words: Words | None = None) -> list[FieldProblem]:
        """The current check results (or load errors), placed at editions and fields, said in ``words`` (the settings' language)."""
        if self.preview is None:
            return []
        words = words or words_in(self.settings.default_language)
        # An unsaved draft is checked as fast YAML (``EditionDoc.preview_text``), whose lines are not the file's.
        unsaved = {doc.path.resolve() for doc in self.drafts.values() if doc.changed}
        folder = self.preview.issue_folder
        return [
            place(dataclasses.replace(p, line=None, column=None) if p.line and Path(p.file).resolve() in unsaved else p, folder, words, self.edition_data)
            for p in self.preview.problems
        ]

    def edition_data(self, language: str) -> Any:
        """The plain data of the ``language`` edition: the open draft's, else the file's (None when it does not read)."""
        doc = self.drafts.get(language)
        if doc is not None and self.lock.acquire(blocking=False):  # never wait on the event loop: a save may hold it
            try:
                return doc.data()
            finally:
                self.lock.release()
        from leadex_mail.content.yamlsource import YamlSyntaxProblem, load_yaml

        try:
            return load_yaml(self.path(language), str(self.path(language)))[0]
        except YamlSyntaxProblem:
            return None

    def summary(self, words: Words | None = None) -> dict[str, Any]:
        """What a ``preview`` event carries: the version, whether it rendered, and every problem placed."""
        preview = self.preview
        return {
            "version": self.version,
            "rendered": self.renders,
            "ok": bool(preview and preview.ok),
            "stale": bool(preview and preview.stale),
            "error": preview.error.message if preview and preview.error else None,
            "problems": [p.as_json() for p in self.problems(words)],
            "dirty": self.dirty(),
            "checking": self._checking,
        }

    # -- events ----------------------------------------------------------------------------

    def publish(self, kind: str, data: str) -> None:
        """Send one event to every page of this issue (call on the event loop's thread)."""
        for queue in list(self._listeners):
            queue.put_nowait((kind, data))

    def close(self) -> None:
        """End every event stream (server shutting down): each page hears ``bye`` last."""
        for queue in list(self._listeners):
            queue.put_nowait(None)

    async def events(
        self, closed: asyncio.Event, language: str | None = None, words: Words | None = None, instance: str = ""
    ) -> AsyncIterator[str]:
        """Server-Sent Events for one page: the current preview state at once, then each event as it happens.

        ``language``: the edition the page shows; each ``preview`` event of a
        new render then carries that edition's email as ``html``. ``words``:
        the officer's language, the findings' (the settings' language when None).
        ``instance``: the studio process (``Workspace.instance``), said first in ``hello``
        with the revision of ``language``'s draft.
        """
        words = words or words_in(self.settings.default_language)
        queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self._listeners[queue] = (language, words)
        try:
            yield "retry: 1000\n\n"
            hello = {
                "instance": instance,
                "revision": self.revision(language) if language else None,
                "writer": self.writers.get(language) if language else None,
                "followed": self.followed.get(language, False) if language else False,  # a page that missed it shows the draft again
                "dirty": self.dirty(),
                "kept": language is not None and recovery.offered(self.settings, self.owner, self.slug, language, instance) is not None,
            }
            yield _event("hello", json.dumps(hello))
            if self.preview is not None:
                yield _event("preview", json.dumps(self.summary(words)))
            for language, state in self.conflicts.items():
                yield _event("disk", json.dumps({"language": language, "state": state}))
            async for chunk in follow_queue(queue, lambda: not closed.is_set(), lambda item: _event(*item)):
                yield chunk
            # The studio is stopping (also for a page that reconnected while it stopped): say so, so the
            # page can tell a stop from a lost connection.
            yield _event("bye", "{}")
        finally:
            self._listeners.pop(queue, None)


def _event(kind: str, data: str) -> str:
    return f"event: {kind}\ndata: {data}\n\n"
