"""``leadex-mail archive build`` and ``leadex-mail serve``, as an operator runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner
from readonly import read_only

from leadex_mail.cli import main
from leadex_mail.content.loader import load_issue
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store.subscribers import add_subscriber
from web.web_helpers import REPO, SECRET, http

ISSUE = "2026-04-leadex-01"


def _env(site) -> dict[str, str]:
    return {
        "LEADEX_DATABASE_URL": site.settings.database_url,
        "LEADEX_NEWSLETTERS_DIR": str(site.settings.newsletters_dir),
        "LEADEX_PUBLIC_URL": site.url,
        "LEADEX_SECRET_KEY": SECRET,
        "LEADEX_TRANSPORT": "outbox",
    }


def test_archive_build_writes_the_served_pages_as_a_static_site(site, tmp_path) -> None:
    add_subscriber(site.store, "static.reader@example.org", name="Tina Tomšič", lists=("newsletter",), status="active", source="cli")
    send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["archive", "build", str(out)], env=_env(site))
    assert result.exit_code == 0, result.output
    assert re.search(r"wrote 3 pages and \d+ other files", result.output)

    index = (out / "index.html").read_text("utf-8")
    assert f'href="{ISSUE}/sl/"' in index and f'href="{ISSUE}/en/"' in index
    assert 'href="static/web.css"' in index and (out / "static" / "web.css").is_file()
    with http() as client:
        for lang in ("sl", "en"):
            page = (out / ISSUE / lang / "index.html").read_text("utf-8")
            for src in re.findall(r'src="(images/[^"]+)"', page):
                assert (out / ISSUE / lang / src).is_file(), src
            served = client.get(f"{site.url}/archive/{ISSUE}/{lang}").text
            assert served.replace(f"/archive/{ISSUE}/{lang}/images/", "images/") == page
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"static.reader" not in data and "Tomšič".encode() not in data and b"[[LX:" not in data, path


def test_serve_command_listens_and_stops(tmp_path) -> None:
    env = {
        **os.environ,
        "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_SECRET_KEY": SECRET,
        "LEADEX_TRANSPORT": "outbox",
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadex_mail", "serve", "--port", "0"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        seen = [proc.stdout.readline() for _ in range(1)]
        while not re.search(r"http://127\.0\.0\.1:\d+", seen[-1]) and seen[-1] and len(seen) < 50:
            seen.append(proc.stdout.readline())
        url = re.search(r"http://127\.0\.0\.1:\d+", seen[-1])
        assert url, seen
        with http() as client:
            for _ in range(100):
                try:
                    response = client.get(url.group(0) + "/healthz")
                    break
                except httpx.TransportError:  # not listening yet
                    time.sleep(0.1)
            assert response.status_code == 200 and response.text == "ok"
            assert client.get(url.group(0) + "/subscribe").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_archive_build_into_a_folder_that_refuses_writes_says_which_file(site, tmp_path) -> None:
    """Every write of `archive build` is one that says what it could not write (a refused folder was a traceback)."""
    add_subscriber(site.store, "static.reader@example.org", lists=("newsletter",), status="active", source="cli")
    send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    out = tmp_path / "site"
    out.mkdir()
    with read_only(out):
        result = CliRunner().invoke(main, ["archive", "build", str(out)], env=_env(site))
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert re.search(rf"error: cannot write {re.escape(str(out))}/\S+: ", result.output), result.output
    assert "hint: check that the folder is writable" in result.output, result.output
    assert list(out.iterdir()) == []  # nothing half-written


def test_archive_build_over_a_file_where_a_folder_goes_says_so(site, tmp_path) -> None:
    add_subscriber(site.store, "static.reader@example.org", lists=("newsletter",), status="active", source="cli")
    send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    out = tmp_path / "site"
    out.mkdir()
    (out / "static").write_text("a file where the archive's static folder goes\n")
    result = CliRunner().invoke(main, ["archive", "build", str(out)], env=_env(site))
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.exception
    assert re.search(rf"error: cannot write {re.escape(str(out / 'static'))}\S*: ", result.output), result.output
