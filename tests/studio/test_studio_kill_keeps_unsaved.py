"""kill -9 of the studio loses no unsaved draft but the last moment (a13d minor 5, repro k2.py kill).

A real ``leadex-mail studio`` process: a field is typed (the studio
acknowledges it), the page goes away, the process gets SIGKILL (a crash,
the OOM killer, a power cut: nothing runs on the way out). Started again,
the editor offers the change back; restoring it makes it the unsaved draft.
Saving or discarding drops the copy kept as the draft changed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from watchfiles import watch

from leadex_mail.studio import recovery
from studio.studio_helpers import ISSUE, copy_newsletters, editor_headers, editor_set, free_port, studio_settings
from studio.test_studio_stop_keeps_unsaved import studio_process

HEADING = "Uvodni sestanek v Murciji (neshranjeno, kill -9)"


def _kept_texts(root: Path) -> list[str]:
    found = []
    for path in recovery.root(studio_settings(root)).rglob("*.json"):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8"))["text"])
        except (OSError, ValueError, KeyError):
            pass  # (written atomically: never half a file; a name may go between listing and reading)
    return found


def _until(root: Path, condition, what: str) -> None:  # noqa: ANN001
    """Wait for ``condition`` (the write-behind finishing in the other process), at most a minute, on no clock.

    Checked at once, then at each change of a file under ``root`` as the kernel reports it (inotify, through
    ``watchfiles``, the studio's own watcher); a change made before the watch began is not reported, so a second
    with none checks again.
    """
    if condition():
        return
    deadline = time.monotonic() + 60
    for _changes in watch(root, watch_filter=None, debounce=50, step=10, rust_timeout=1000, yield_on_timeout=True, raise_interrupt=False):
        if condition():
            return
        assert time.monotonic() < deadline, what


def test_kill_9_with_unsaved_changes_keeps_them_and_the_editor_offers_them_back(tmp_path: Path) -> None:
    copy_newsletters(tmp_path, ISSUE)
    edition = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    before = edition.read_bytes()
    port = free_port()
    with studio_process(tmp_path, port) as (first, url):
        with httpx.Client(base_url=url) as client:
            editor_set(client, "sl", "sections.1.heading", HEADING, tab="tab")
            assert 'id="kept"' not in client.get(f"/issues/{ISSUE}/sl").text  # its own copy is not offered while it runs
        _until(tmp_path, lambda: any(HEADING in text for text in _kept_texts(tmp_path)), "the change was never kept")
        first.kill()  # SIGKILL: nothing runs on the way out
        first.wait(timeout=60)
    assert edition.read_bytes() == before
    with studio_process(tmp_path, port) as (second, url):
        with httpx.Client(base_url=url) as client:
            page = client.get(f"/issues/{ISSUE}/sl").text
            assert 'id="kept"' in page and HEADING not in page
            answer = client.post(f"/issues/{ISSUE}/sl/kept", data={"do": "restore"}, headers=editor_headers(client, "sl", tab="tab"))
            assert answer.status_code in (200, 303), answer.text
            page = client.get(f"/issues/{ISSUE}/sl").text
            assert HEADING in page and 'id="kept"' not in page
            assert edition.read_bytes() == before  # restored unsaved
            answer = client.post(f"/issues/{ISSUE}/sl/save", headers=editor_headers(client, "sl", tab="tab"))
            assert answer.status_code in (200, 303), answer.text
            assert HEADING in edition.read_text(encoding="utf-8")
            _until(tmp_path, lambda: not _kept_texts(tmp_path), "the copy outlived the save")
            # A change discarded: its copy goes too.
            editor_set(client, "sl", "sections.1.heading", HEADING + " 2", tab="tab")
            _until(tmp_path, lambda: any(HEADING + " 2" in text for text in _kept_texts(tmp_path)), "the second change was never kept")
            answer = client.post(f"/issues/{ISSUE}/sl/reload", data={}, headers=editor_headers(client, "sl", tab="tab"))
            assert answer.status_code in (200, 303), answer.text
            _until(tmp_path, lambda: not _kept_texts(tmp_path), "the copy outlived Discard")
