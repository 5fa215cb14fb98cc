"""Ctrl-C on ``leadex-mail studio`` with unsaved changes: kept, and offered back when it starts again (a13 #16).

The studio runs as the officer starts it (``python -m leadex_mail studio``)
and is stopped with a real SIGINT, as Ctrl-C in its terminal sends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.studio import recovery
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, assert_accessible, copy_newsletters, editor_field, free_port, studio_settings

pytestmark = pytest.mark.browser
STOPPED = "The studio has stopped"


def _env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "LEADEX_DATABASE_URL": f"sqlite:///{root / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(root / "newsletters"),
        "LEADEX_OUTBOX_DIR": str(root / "outbox"),
        "LEADEX_DEFAULT_LANGUAGE": "sl",
    }


@contextmanager
def studio_process(root: Path, port: int) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``leadex-mail studio --no-open`` in ``root`` until the block ends (then Ctrl-C, if still running)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadex_mail", "studio", "--no-open", "--port", str(port)],
        cwd=root, env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()  # blocks until the studio says it listens (or ends)
        assert line.startswith("LeadEx studio: "), (line, proc.stderr.read() if proc.poll() is not None else "")
        yield proc, line.split()[2].rstrip("/")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()


def ctrl_c(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C in the studio's terminal; what it printed on the way out (stdout + stderr)."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in err, err
    return out + err


def test_ctrl_c_with_unsaved_changes_keeps_them_and_the_editor_offers_them_back(tmp_path: Path, studio_page: Page) -> None:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    edition = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    before = edition.read_bytes()
    page, port = studio_page, free_port()
    heading = "Uvodni sestanek v Murciji (neshranjeno)"

    with studio_process(tmp_path, port) as (first, url):
        page.goto(f"{url}/issues/{ISSUE}/sl")
        editor_field(page, "sections.1.heading").fill(heading)
        expect(page.locator("#save-status")).to_have_text("Unsaved changes")
        page.evaluate("() => window.StudioSettled()")  # the change reached the studio
        expect(page.frame_locator("#panel-desktop iframe").locator("body")).to_contain_text("(neshranjeno)", timeout=LIVE)
        said = ctrl_c(first)
    assert "Studio stopped." in said and "unsaved changes of 1 edition kept" in said
    assert edition.read_bytes() == before  # nothing was written behind the officer's back
    expect(page.locator("#offline")).to_contain_text(STOPPED, timeout=LIVE)  # the open page says so at once

    with studio_process(tmp_path, port) as (second, url):
        expect(page.locator("#offline")).to_contain_text("The studio is running again", timeout=LIVE)
        page.reload()
        offer = page.locator("#kept")
        expect(offer).to_contain_text("This edition had unsaved changes when the studio stopped")
        expect(editor_field(page, "sections.1.heading")).not_to_have_value(heading)  # the file's, until restored
        assert_accessible(page)
        page.get_by_role("button", name="Restore my unsaved changes").click()
        expect(editor_field(page, "sections.1.heading")).to_have_value(heading)
        expect(page.locator("#save-status")).to_have_text("Unsaved changes")
        expect(offer).to_have_count(0)
        assert edition.read_bytes() == before  # restored as unsaved: saving is still the officer's choice
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
        assert heading in edition.read_text(encoding="utf-8")
        said = ctrl_c(second)
    assert "kept" not in said  # nothing unsaved any more
    assert not list(recovery.root(settings).rglob("*.json"))


def test_kept_changes_can_be_discarded_and_are_never_saved_over_a_file_changed_since(studio: RunningStudio, studio_page: Page) -> None:
    from leadex_mail.studio.auth import local_actor
    from leadex_mail.studio.document import read_stamp

    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    mine = before.replace("Uvodni sestanek", "Kept heading", 1)
    assert mine != before
    recovery.keep(studio.settings, local_actor(), ISSUE, "sl", mine, read_stamp(edition), studio.clock())
    assert recovery.find(studio.settings, "maja", ISSUE, "sl") is None  # another officer's are not theirs to see
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    page.get_by_role("button", name="Discard them").click()
    expect(page.locator("#kept")).to_have_count(0)
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert edition.read_text(encoding="utf-8") == before and recovery.find(studio.settings, local_actor(), ISSUE, "sl") is None

    # Kept, then someone changed the file: restoring says so, and saving refuses to overwrite theirs.
    # Off the editor first: an open editor with nothing unsaved reloads itself when its file changes
    # on disk (studio.js, "disk"/"reloaded"), and that reload raced the navigation below
    # (net::ERR_ABORTED in landing trains, 2026-12-01). The officer's case is the editor opened later.
    page.goto("about:blank")
    recovery.keep(studio.settings, local_actor(), ISSUE, "sl", mine, read_stamp(edition), studio.clock())
    theirs = before.replace("Uvodni sestanek", "Colleague's heading", 1)
    edition.write_text(theirs, encoding="utf-8")
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    page.get_by_role("button", name="Restore my unsaved changes").click()
    expect(page.locator("#conflict")).to_contain_text("changed on disk by another program or person")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#conflict")).to_contain_text("your changes were not saved", timeout=LIVE)
    assert edition.read_text(encoding="utf-8") == theirs
