"""A write the computer refuses (full disk, file size limit) is said beside the action, and nothing is lost.

The studio runs in its own process with RLIMIT_FSIZE set below the size of
sl.yaml (SIGXFSZ ignored, so a write past the limit fails with EFBIG as on
a full disk): a real refused write, no mock. Running as root, a read-only
folder would not stop the writes, so the limit is what makes them fail.
"""

from __future__ import annotations

import io
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadex_mail.store.db import open_store
from studio.studio_helpers import ISSUE, copy_newsletters, studio_settings

LIMIT = 4096  # bytes: below sl.yaml (about 10 KB) and any picture, above nothing the studio needs to start


def _limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored dispositions survive exec: writes fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.fixture
def limited_studio(tmp_path: Path) -> Iterator[tuple[httpx.Client, str, Path]]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    open_store(settings).close()  # the database exists before the limit applies (the studio only reads it here)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADEX_")}
    env.update({
        "LEADEX_DATABASE_URL": settings.database_url if isinstance(settings.database_url, str) else f"sqlite:///{tmp_path / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(tmp_path / "newsletters"),
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
        "LEADEX_DEFAULT_LANGUAGE": "sl",
        "LEADEX_SEND_DEEP_CHECK": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    command = [sys.executable, "-m", "leadex_mail", "studio", "--port", "0", "--no-open"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_limited)  # noqa: PLW1509
    try:
        lines = []
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if found:
                break
        else:
            pytest.fail("the studio did not start: " + "".join(lines))
        with httpx.Client(base_url=found.group(1), follow_redirects=False, timeout=60) as client:
            client.headers["accept-language"] = "en"
            token = re.search(r'data-csrf="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
            yield client, token, tmp_path / "newsletters" / ISSUE
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]


def test_a_save_the_disk_refuses_is_said_at_save_and_keeps_the_file(limited_studio: tuple[httpx.Client, str, Path]) -> None:
    client, token, folder = limited_studio
    before = (folder / "sl.yaml").read_bytes()
    assert client.get(f"/issues/{ISSUE}/sl").status_code == 200
    changed = client.post(f"/issues/{ISSUE}/sl/field", json={"path": "title", "value": "LeadEx novice, popravljene"}, headers={"X-CSRF-Token": token})
    assert changed.status_code == 200, changed.text
    saved = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert saved.status_code == 507, saved.text
    assert saved.json()["error"] == "Could not save sl.yaml: the disk is full or the file is too large. Nothing was changed."
    assert (folder / "sl.yaml").read_bytes() == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    # The same write from a plain form (no script): a page that says it, not a traceback.
    page = client.post(f"/issues/{ISSUE}/sl/save", data={"csrf": token})
    assert page.status_code == 507 and "Could not save sl.yaml" in page.text and "Traceback" not in page.text


def test_a_picture_the_disk_refuses_is_said_at_the_drop_zone(limited_studio: tuple[httpx.Client, str, Path]) -> None:
    from PIL import Image

    client, token, folder = limited_studio
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(buffer, "PNG")  # noise: far over the limit
    assert client.get(f"/issues/{ISSUE}/sl").status_code == 200
    answer = client.post(
        f"/issues/{ISSUE}/sl/image",
        data={"path": "sections.1.image"},
        files={"file": ("srecanje.png", buffer.getvalue(), "image/png")},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert answer.status_code == 507, answer.text
    assert answer.json()["error"] == "Could not save srecanje.png: the disk is full or the file is too large. Nothing was changed."
    assert not list((folder / "images").glob("srecanje*"))
