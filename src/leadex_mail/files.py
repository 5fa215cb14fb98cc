"""Writing files so that a full disk never leaves half of one behind.

Every command that writes a file (render, export, new, translate, schema,
screenshots) goes through ``write_atomic``: the bytes go to a temporary
file beside the target, which replaces the target in one ``rename`` only
once every byte is written. A full disk (ENOSPC), a file size limit
(EFBIG, e.g. ``ulimit -f``) or a quota (EDQUOT) therefore leaves the old
file as it was (or none), never a truncated one; the temporary file is
removed and ``WriteFailed`` says which file and what to do.

``replace_atomic`` is the same step for writers that report ``OSError``
themselves (the studio's saves, its kept drafts, the translation record):
whatever fails, creating the temporary file (a read-only folder) or
renaming it, the error names the file asked for, never the temporary one
(a14 finding 2: "Could not save .sl.yaml.rvwwg24_.tmp").
"""

from __future__ import annotations

import errno
import itertools
import os
import threading
from pathlib import Path

from leadex_mail.errors import WriteFailed

_COUNTER = itertools.count()
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
DISK_FULL = frozenset({*_FULL, errno.EFBIG})  # what "the disk is full" looks like to a writer


def write_failed(path: Path | str, exc: OSError) -> WriteFailed:
    """``exc`` (raised while writing ``path``) as the error people read: the file, the cause, what to do."""
    cause = exc.strerror or str(exc)
    if exc.errno in _FULL:
        hint = "the disk is full: free some space and run the command again (nothing half-written was left)"
    elif exc.errno == errno.EFBIG:
        hint = "the file is larger than this system lets a program write (a file size limit such as `ulimit -f`); nothing half-written was left"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check that the folder is writable"
    elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
        hint = "check that the folder exists"
    else:
        hint = "check the folder and the disk, then run the command again"
    return WriteFailed(f"cannot write {path}: {cause}", hint=hint)


def make_folder(path: Path, *, mode: int = 0o777) -> Path:
    """Create ``path`` and its parents (as ``mkdir -p``); ``WriteFailed`` when it cannot be."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True, mode=mode)
    except OSError as exc:
        raise write_failed(path, exc) from None
    return Path(path)


def write_atomic(path: Path | str, data: bytes | str, *, private: bool = False) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` in one step; return ``path``.

    ``private`` creates the file 0600 (personal data; see private_files),
    else 0666 less the umask, as ``open`` would. Raises ``WriteFailed``
    naming ``path``; then ``path`` is as it was before and no temporary
    file is left.
    """
    path = Path(path)
    try:
        replace_atomic(path, data, mode=0o600 if private else None)
    except OSError as exc:
        raise write_failed(path, exc) from None
    return path


def replace_atomic(path: Path | str, data: bytes | str, *, mode: int | None = None, sync: bool = False) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` through a temporary file beside it, renamed over ``path`` once whole.

    ``mode``: the new file's permissions (e.g. 0o600 for personal data, or
    the old file's to keep them); None: 0666 less the umask, as ``open``
    would. ``sync``: the bytes reach the disk before the rename (a file
    people write by hand, a kept draft). Raises ``OSError`` whose
    ``filename`` is ``path`` (the temporary file's name never reaches
    anyone); then ``path`` is as it was and no temporary file is left.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}-{next(_COUNTER)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666 if mode is None else mode)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)  # a short write raises; close() flushes and raises too
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(tmp, mode)  # exactly ``mode``, whatever the umask took away
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        if exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc  # the file asked for, not the temporary one
    return path
