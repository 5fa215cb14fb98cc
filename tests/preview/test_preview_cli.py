"""``leadex-mail preview`` as a user runs it: a real process, stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
from click.testing import CliRunner

from leadex_mail.cli import main


def test_preview_serves_on_loopback_and_stops_cleanly_on_ctrl_c(issue_copy, tmp_path):
    env = {**os.environ, "LEADEX_NEWSLETTERS_DIR": str(issue_copy.settings.newsletters_dir)}
    cmd = [sys.executable, "-m", "leadex_mail", "preview", issue_copy.slug, "--port", "0", "--lang", "en", "--no-open"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"Preview of {issue_copy.slug}: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split(": ", 1)[1].split()[0]
        assert url.endswith("/?lang=en")
        page = httpx.get(url, timeout=20)
        assert page.status_code == 200 and 'hreflang="en" aria-current="page"' in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Preview stopped." in out and "Traceback" not in err


def test_unknown_issue_is_an_error_not_a_server(issue_copy):
    env = {"LEADEX_NEWSLETTERS_DIR": str(issue_copy.settings.newsletters_dir)}
    result = CliRunner().invoke(main, ["preview", "no-such-issue", "--no-open"], env=env)
    assert result.exit_code == 1
    assert "no issue 'no-such-issue'" in result.output and issue_copy.slug in result.output  # the hint lists the issues


def test_a_busy_port_is_reported_with_a_hint(issue_copy):
    env = {"LEADEX_NEWSLETTERS_DIR": str(issue_copy.settings.newsletters_dir)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["preview", issue_copy.slug, "--port", str(port), "--no-open"], env=env)
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output and "another --port" in result.output


def test_an_edition_the_issue_lacks_is_named_with_the_ones_it_has(issue_copy):
    env = {"LEADEX_NEWSLETTERS_DIR": str(issue_copy.settings.newsletters_dir)}
    result = CliRunner().invoke(main, ["preview", issue_copy.slug, "--lang", "de", "--no-open"], env=env)
    assert result.exit_code == 1
    assert f"issue {issue_copy.slug} has no 'de' edition" in result.output
    assert "its editions: sl, en" in result.output


def _limited_memory() -> None:
    import resource

    limit = 768 * 1024 * 1024  # the preview of issue No. 1 needs about half; a runaway parse hits it at once
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _version_after(url: str, after: int) -> int:
    """The first version newer than ``after`` from a fresh event stream (it starts with the current one)."""
    with httpx.stream("GET", url + "/events", timeout=30) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and int(line.removeprefix("data: ")) > after:
                return int(line.removeprefix("data: "))
    raise AssertionError(f"the event stream ended before a version after {after}: did the preview die?")


def test_a_hostile_save_neither_kills_the_preview_nor_hides_the_last_good_version(issue_copy, tmp_path):
    # Issue 9: 30 000 nested brackets crashed the preview with a segmentation fault,
    # alias expansion ate gigabytes. Now each is a located problem over the last good views.
    env = {**os.environ, "LEADEX_NEWSLETTERS_DIR": str(issue_copy.settings.newsletters_dir), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "leadex_mail", "preview", issue_copy.slug, "--port", "0", "--no-open"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_limited_memory)
    sl = issue_copy.folder / "sl.yaml"
    good_text = sl.read_text(encoding="utf-8")
    hostile = {
        "sections: " + "[" * 30_000 + "]" * 30_000: "lists and groups of fields are nested more than 32 levels deep here",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nsections: *b": "YAML anchors and aliases are not allowed",
    }
    try:
        url = proc.stdout.readline().split(": ", 1)[1].split()[0].rstrip("/")
        good = httpx.get(url + "/email/sl", timeout=20).text
        version = _version_after(url, 0)
        for replacement, message in hostile.items():
            sl.write_text(good_text.replace("sections:", replacement + "\nsections_were:", 1), encoding="utf-8")
            version = _version_after(url, version)
            page = httpx.get(url + "/", timeout=20).text
            assert message in page and "sl.yaml:" in page and "showing the last version that worked" in page
            assert httpx.get(url + "/email/sl", timeout=20).text == good
            assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
