"""Writing files so that a full disk never leaves half of one behind.

Every command that writes a file (render, export, new, translate, schema,
screenshots) goes through ``write_atomic``: the bytes go to a temporary
file beside the target, which replaces the target in one ``rename`` only
once every byte is written. A full disk (ENOSPC), a file size limit
(EFBIG, e.g. ``ulimit -f``) or a quota (EDQUOT) therefore leaves the old
file as it was (or none), never a truncated one; the temporary file is
removed and ``WriteFailed`` says which file and what to do.
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
    else 0666 less the umask, as ``open`` would. Raises ``WriteFailed``;
    then ``path`` is as it was before and no temporary file is left.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}-{next(_COUNTER)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600 if private else 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)  # a short write raises; close() flushes and raises too
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise write_failed(path, exc) from None
    return path
