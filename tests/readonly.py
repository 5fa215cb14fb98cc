"""Files and folders that really refuse writes, for tests, as root (CI) and as anyone else.

Root ignores permission bits, so ``chmod`` alone would not stop its
writes: as root the paths are made immutable (``chattr +i``: every write,
create, rename or delete in them fails with EPERM, as on a read-only or
failing disk); otherwise they lose their write bits (EACCES). Either way a
real write refused by the kernel, no mock. Never make a SQLite ``-shm``
file immutable while a connection maps it: writing the map then kills the
process (SIGBUS).
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Within the block, writing in (or to) each of ``paths`` fails; afterwards they are as before."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
            pytest.fail(f"chattr +i failed (the test needs a file system with the immutable flag, as ext4): {done.stderr}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        return
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in paths}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
