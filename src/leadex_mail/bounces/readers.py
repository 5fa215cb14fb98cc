"""Reading messages from files: single ``.eml`` files, mbox files, Maildir folders, folders of ``.eml``.

Each reader yields ``(raw bytes, source)`` where ``source`` names the
message for people (``bounces.mbox#17``, ``Maildir/new/1778…``). Nothing is
moved or deleted: processing is idempotent by content, so reading the
same mailbox again is safe.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from leadex_mail.errors import MailboxError

Message = tuple[bytes, str]


def read_paths(paths: list[Path]) -> Iterator[Message]:
    """Every message under ``paths``, in order (files, mbox, Maildir, folders of ``.eml``).

    Raises MailboxError, before anything is read, when a path does not
    exist; and when a file cannot be read while reading.
    """
    for path in paths:
        if not path.exists():
            raise MailboxError(f"{path}: no such file or folder", hint="give .eml files, mbox files or Maildir folders")
    for path in paths:
        yield from read_path(path)


def read_path(path: Path) -> Iterator[Message]:
    """The messages of one path, whatever its kind."""
    try:
        if path.is_dir():
            if all((path / sub).is_dir() for sub in ("cur", "new")):
                yield from read_maildir(path)
            else:
                for child in sorted(path.iterdir()):
                    if child.is_file() and child.suffix.lower() in (".eml", ".msg", ".txt") or child.is_dir() and (child / "new").is_dir():
                        yield from read_path(child)
        elif _is_mbox(path):
            yield from read_mbox(path)
        else:
            yield path.read_bytes(), str(path)
    except OSError as exc:
        raise MailboxError(f"{path}: cannot be read: {exc.strerror or exc}", hint="check the path and its permissions") from None


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def read_mbox(path: Path) -> Iterator[Message]:
    """The messages of an mbox file (mboxrd/mboxo ``From `` separators), without the separator line."""
    box = mailbox.mbox(path, create=False)
    try:
        for index, key in enumerate(box.iterkeys(), start=1):
            yield box.get_bytes(key), f"{path}#{index}"
    finally:
        box.close()


def read_maildir(path: Path) -> Iterator[Message]:
    """The messages of a Maildir folder (``new`` and ``cur``), oldest file name first."""
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            raw = box.get_bytes(key)
        except KeyError:
            continue  # moved away by a mail reader meanwhile: it is read on the next run
        yield raw, f"{path}:{key}"
