"""A local preview (``serve`` on loopback, outbox transport, no public_url) mails links to itself, on its real port.

Tester's finding i8/a8 #11: ``serve --port 8311`` in preview mode mailed
confirmation links to ``http://127.0.0.1:8000/confirm/…`` (the default
public URL), which led nowhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

from leadex_mail.config import load_settings
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from web.web_helpers import http, sign_up

REPO = Path(__file__).resolve().parents[2]


def _wait_for_mail(folder: Path, proc: subprocess.Popen, seconds: float = 30) -> list[Path]:
    """The mail files once the background sender wrote one (polled on the server process, which must stay up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = list(folder.rglob("*.eml"))
        if found:
            return found
        try:
            proc.wait(0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"serve ended with {proc.returncode}")
    return []


def test_a_preview_mails_links_to_its_own_port(tmp_path) -> None:
    env = {
        "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
    }
    with open_store(load_settings(environ=env)) as store:
        create_list(store, "newsletter", title="LeadEx novice", public=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadex_mail", "serve", "--port", "0"], env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = None
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("leadex-mail web on"):
                url = re.search(r"http://\S+", line).group(0).rstrip("/")  # type: ignore[union-attr]
                break
        assert url, "serve did not start"
        assert not url.endswith(":8000")
        with http(base_url=url) as client:
            assert sign_up(client, "ana@example.org").status_code == 200
        mails = _wait_for_mail(tmp_path / "outbox", proc)
        assert mails, "no confirmation mail was written"
        text = message_from_bytes(mails[0].read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        links = re.findall(r"https?://\S+/confirm/\S+", text)
        assert links and all(link.startswith(url + "/confirm/") for link in links), (url, links)
    finally:
        proc.terminate()
        proc.wait()
