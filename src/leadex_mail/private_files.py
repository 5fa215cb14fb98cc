"""Files that hold personal data, created readable by their owner only.

The subscriber store (SQLite creates its ``-wal`` and ``-shm`` files with
the database file's mode), exports and outbox ``.eml`` files carry names,
addresses and consent records (GDPR Art. 32). They are created with mode
0600 and their folders with 0700 in the same system call that creates them,
so there is no moment when others may read them; the process umask can only
take more away. Files and folders that already exist keep their modes: an
operator may have set them on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 folders; return ``path``.

    Raises ``OSError`` as ``os.mkdir`` does (permission denied, disk full).
    """
    missing: list[Path] = []
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            os.mkdir(new, DIR_MODE)
        except FileExistsError:  # made by another process meanwhile
            pass
    return Path(path)


def create_private_file(path: Path) -> bool:
    """Create ``path`` as an empty 0600 file unless it exists; True when it was created here."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return False
    return True


def open_private(path: Path) -> int:
    """A new 0600 file at ``path`` opened for writing (a file descriptor); ``FileExistsError`` if one is there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)

