"""Live reload: watch the issue's files, rebuild, tell every open page.

``LiveState`` holds the current ``Preview`` and a version number that goes
up with every rebuild. Pages listen on Server-Sent Events; each listener is
sent the current version when it connects (so a change made while it was
reconnecting is not missed) and every new one after a rebuild.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import anyio
from watchfiles import Change, DefaultFilter, awatch

from leadex_mail.preview.build import Preview, failed_preview, keep_last_good

log = logging.getLogger(__name__)
T = TypeVar("T")

# A comment line every so often keeps proxies and the browser from timing
# the stream out, and lets a closing server end idle streams promptly.
KEEPALIVE_SECONDS = 5.0


@dataclass
class LiveState:
    """The current preview, its version, and the pages waiting for a change."""

    preview: Preview
    rebuild: Callable[[], Preview]
    version: int = 1
    closed: bool = False
    _listeners: set[asyncio.Queue[int | None]] = field(default_factory=set)

    async def refresh(self) -> int:
        """Rebuild in a worker thread (rendering is CPU-bound), publish, return the new version.

        A failed rebuild keeps the last editions that rendered on show (``keep_last_good``).
        """
        try:
            fresh = await anyio.to_thread.run_sync(self.rebuild)
        except Exception as exc:  # a rebuild that raises must still replace the verdict on show
            log.exception("rebuilding the preview failed")
            fresh = failed_preview(self.preview, exc)
        self.preview = keep_last_good(fresh, self.preview)
        self.version += 1
        self._publish(self.version)
        return self.version

    def close(self) -> None:
        """End every event stream, e.g. when the server shuts down (call on the loop's thread)."""
        self.closed = True
        self._publish(None)

    def _publish(self, item: int | None) -> None:
        for queue in list(self._listeners):
            queue.put_nowait(item)

    async def events(self) -> AsyncIterator[str]:
        """Server-Sent Events for one page: ``reload`` with the version, then one per rebuild."""
        queue: asyncio.Queue[int | None] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            yield "retry: 500\n\n"
            yield _reload_event(self.version)
            async for chunk in follow_queue(queue, lambda: not self.closed, _reload_event):
                yield chunk
        finally:
            self._listeners.discard(queue)


async def follow_queue(queue: asyncio.Queue[T | None], going: Callable[[], bool], event: Callable[[T], str]) -> AsyncIterator[str]:
    """The Server-Sent Events text of each item put in ``queue`` (``event(item)``), while ``going()``, until a None is put.

    A keep-alive comment after each ``KEEPALIVE_SECONDS`` without an item,
    so proxies and the browser keep the stream, and a closing server, whose
    ``going()`` turned false, ends an idle stream within that time. The
    preview's streams and the studio's editor stream use it.
    """
    while going():
        try:
            item = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
        except TimeoutError:
            yield ": keep-alive\n\n"
            continue
        if item is None:
            return
        yield event(item)


def _reload_event(version: int) -> str:
    return f"event: reload\ndata: {version}\n\n"


class SourceFilter(DefaultFilter):
    """Only the files that change what the preview shows; editor droppings ignored.

    ``files`` are brand files; any YAML file beside one counts too, since an
    edition may name another brand file (``brand: brand-haka.yaml``) there,
    even one created after the preview started.
    """

    def __init__(self, folders: Iterable[Path], files: Iterable[Path]) -> None:
        super().__init__()
        self.folders = tuple(p.resolve() for p in folders)
        self.files = frozenset(p.resolve() for p in files)
        self.brand_dirs = frozenset(p.parent for p in self.files)

    def __call__(self, change: Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        p = Path(path).resolve()
        if p in self.files or (p.parent in self.brand_dirs and p.suffix in (".yaml", ".yml")):
            return True
        return any(p.is_relative_to(folder) for folder in self.folders)


def watch_roots(folders: Iterable[Path], files: Iterable[Path]) -> list[Path]:
    """The directories to hand the OS watcher: each folder, and each file's directory.

    A file is watched through its directory because editors often save by
    writing a new file and renaming it over the old one, which ends a watch
    on the file itself.
    """
    roots: list[Path] = []
    for path in [*folders, *(f.parent for f in files)]:
        path = path.resolve()
        if path.is_dir() and not any(path.is_relative_to(r) for r in roots):
            roots = [r for r in roots if not r.is_relative_to(path)] + [path]
    return roots


async def watch_and_refresh(state: LiveState, folders: list[Path], files: list[Path], stop: asyncio.Event) -> None:
    """Rebuild the preview after every batch of changes until ``stop`` is set."""
    roots = watch_roots(folders, files)
    if not roots:
        log.warning("nothing to watch: live reload is off")
        return
    try:
        async for changes in awatch(*roots, watch_filter=SourceFilter(folders, files), stop_event=stop, debounce=400, step=50):
            log.info("changed: %s", ", ".join(sorted({Path(p).name for _, p in changes})))
            try:
                await state.refresh()
            except Exception:  # a bug below must not end live reload for the session
                log.exception("rebuilding the preview failed")
    except OSError as exc:  # e.g. a watched folder was removed: keep serving what was last built
        log.warning("live reload stopped: %s", exc)
