"""Every command that writes files, on a full disk: a clear error, exit 1, no half-written file (a9 finding 8).

A full disk is brought about for real: the command runs in a subprocess
whose file size limit (RLIMIT_FSIZE, as ``ulimit -f``) is below what it
writes, so its write fails with EFBIG exactly where a full disk's ENOSPC
would. Before, ``render`` died with an ``OSError`` traceback and left
``en.eml`` cut at the limit.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.store.db import open_store
from leadex_mail.store.subscribers import add_subscriber

REPO = Path(__file__).resolve().parents[1]
ISSUE = "2026-04-leadex-01"
HINT = "hint: the file is larger than this system lets a program write (a file size limit such as `ulimit -f`); nothing half-written was left\n"


def run_limited(args: list[str], cwd: Path, limit: int | None, **env: str) -> subprocess.CompletedProcess[str]:
    """``leadex-mail ARGS`` in ``cwd``, unable to write any file beyond ``limit`` bytes (None: no limit)."""

    def limits() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADEX_")}
    environment.update({"XDG_CACHE_HOME": str(cwd / ".cache"), "LEADEX_NEWSLETTERS_DIR": str(cwd / "newsletters"), **env})
    return subprocess.run([sys.executable, "-m", "leadex_mail", *args], cwd=cwd, env=environment, capture_output=True, text=True, preexec_fn=limits, timeout=300)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_render_leaves_only_complete_files_and_says_the_disk_is_full(tmp_path):
    shutil.copytree(REPO / "newsletters", tmp_path / "newsletters")
    assert run_limited(["render", ISSUE, "--out", "out"], tmp_path, None).returncode == 0
    whole = files(tmp_path / "out")  # (the text part names its folder: render into the same one each time)
    assert len(whole["en.eml"]) > 204_800  # the limit below cuts it

    # Over an earlier complete render, the old copy stays whole.
    result = run_limited(["render", ISSUE, "--out", "out"], tmp_path, 204_800)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == "error: cannot write out/en.eml: File too large\n" + HINT
    assert files(tmp_path / "out") == whole

    # Into an empty folder: what is there is complete, the rest is absent.
    shutil.rmtree(tmp_path / "out")
    result = run_limited(["render", ISSUE, "--out", "out"], tmp_path, 204_800)
    assert result.returncode == 1 and result.stderr == "error: cannot write out/en.eml: File too large\n" + HINT
    cut = files(tmp_path / "out")
    assert cut and all(cut[name] == whole[name] for name in cut), "a written file differs from a complete render"
    assert "en.eml" not in cut and not [n for n in cut if n.endswith(".tmp")]


def test_export_on_a_full_disk_leaves_no_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'subscribers.db'}"
    with open_store(Settings(database_url=url)) as store:
        for n in range(400):
            add_subscriber(store, f"oseba{n}@example.org", name=f"Oseba {n}", status="active", source="cli")
    # 64 KB: more than SQLite writes to read (its -shm file is 32 KB), less than the export (~120 KB).
    result = run_limited(["subscribers", "export", "--format", "csv", "-o", "e.csv"], tmp_path, 65_536, LEADEX_DATABASE_URL=url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == "error: cannot write e.csv: File too large\n" + HINT
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith((".e.csv", "e.csv"))]


@pytest.mark.parametrize(
    "args,written",
    [
        (["schema", "--out", "schema.json"], "schema.json"),
        (["new", "2026-06-leadex-02"], "newsletters/schema.json"),  # the first file `new` writes
    ],
)
def test_other_writers_say_so_and_leave_no_half_file(tmp_path, args, written):
    (tmp_path / "newsletters").mkdir()
    result = run_limited(args, tmp_path, 1024)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot write ") and result.stderr.endswith(HINT)
    assert written in result.stderr.splitlines()[0]
    assert not (tmp_path / written).exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]
