"""Reading messages from files: ``.eml`` files, mbox files, Maildir and MH folders, folders of them.

Each reader yields ``(raw bytes, source)`` where ``source`` names the
message for people (``bounces.mbox#17``, ``Maildir:1778…``). Nothing is
moved or deleted: processing is idempotent by content, so reading the
same mailbox again is safe.

What is read:

- a file named on the command line is always read (an mbox when it starts
  with a ``From `` line, else one message), also when gzip-, bzip2- or
  xz-compressed, after a UTF-8 byte-order mark or blank lines;
- a Maildir (``cur`` and ``new``), or one of its ``new``/``cur`` folders alone;
- an MH folder (messages in files named by numbers, RFC-less but common);
- any other folder: its ``.eml``/``.msg`` files, its other files that look
  like a message or an mbox, and its subfolders, recursively.

Everything else in a folder is skipped and ``on_skip(path, why)`` is told,
so the operator sees what was not read and why.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import mailbox
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from leadex_mail.errors import MailboxError

Message = tuple[bytes, str]
SkipNote = Callable[[str, str], None]

_BOM = b"\xef\xbb\xbf"
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]?")
_MESSAGE_SUFFIXES = (".eml", ".msg")
_DECOMPRESS = ((b"\x1f\x8b", gzip.decompress, "gzip"), (b"BZh", bz2.decompress, "bzip2"), (b"\xfd7zXZ\x00", lzma.decompress, "xz"))


def read_paths(paths: list[Path], *, on_skip: SkipNote | None = None) -> Iterator[Message]:
    """Every message under ``paths``, in order (see the module's list); ``on_skip(path, why)`` for what is not read.

    Raises MailboxError, before anything is read, when a path does not
    exist; and when a file cannot be read while reading.
    """
    for path in paths:
        if not path.exists():
            raise MailboxError(f"{path}: no such file or folder", hint="give .eml files, mbox files or Maildir folders")
    skip = on_skip or (lambda _path, _why: None)
    for path in paths:
        yield from read_path(path, on_skip=skip, named=True)


def read_path(path: Path, *, on_skip: SkipNote | None = None, named: bool = True) -> Iterator[Message]:
    """The messages of one path, whatever its kind (``named``: the operator named it, so a file is read whatever it looks like)."""
    skip = on_skip or (lambda _path, _why: None)
    try:
        if path.is_dir():
            yield from _read_folder(path, skip, set())
        else:
            yield from _read_file(path, skip, named=named)
    except OSError as exc:
        raise MailboxError(f"{path}: cannot be read: {exc.strerror or exc}", hint="check the path and its permissions") from None


def _read_folder(path: Path, skip: SkipNote, seen: set[Path]) -> Iterator[Message]:
    real = path.resolve()
    if real in seen:
        skip(str(path), "already read (a link back to a folder above)")
        return
    seen.add(real)
    if all((path / sub).is_dir() for sub in ("cur", "new")):
        yield from read_maildir(path)
        return
    if path.name in ("new", "cur") and any((path.parent / sub).is_dir() for sub in ("cur", "new", "tmp") if sub != path.name):
        # One folder of a Maildir given alone: each file is one message.
        yield from _read_files(path, sorted(_visible_files(path)))
        return
    numbered = [f for f in _visible_files(path) if f.name.isdigit()]
    if numbered and ((path / ".mh_sequences").exists() or len(numbered) == len(list(_visible_files(path)))):
        yield from _read_files(path, sorted(numbered, key=lambda f: int(f.name)))  # an MH folder
        return
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if child.name == "tmp" and (path / "new").is_dir():
                continue
            yield from _read_folder(child, skip, seen)
        elif child.is_file():
            yield from _read_file(child, skip, named=False)
        else:
            skip(str(child), "not a regular file")


def _visible_files(path: Path) -> Iterator[Path]:
    return (f for f in path.iterdir() if f.is_file() and not f.name.startswith("."))


def _read_files(folder: Path, files: list[Path]) -> Iterator[Message]:
    for f in files:
        try:
            yield f.read_bytes(), str(f)
        except FileNotFoundError:
            continue  # moved away by a mail reader meanwhile: read on the next run


def _read_file(path: Path, skip: SkipNote, *, named: bool) -> Iterator[Message]:
    """One file: an mbox, or one message; in a folder, a file that is neither is skipped with the reason."""
    with path.open("rb") as fh:
        head = fh.read(8)
    for magic, decompress, name in _DECOMPRESS:
        if head.startswith(magic):
            try:
                data = decompress(path.read_bytes())
            except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
                if named:
                    raise MailboxError(f"{path}: looks {name}-compressed but cannot be decompressed: {exc}", hint="check the file") from None
                skip(str(path), f"looks {name}-compressed but cannot be decompressed: {exc}")
                return
            yield from _read_data(path, data, skip, named=named)
            return
    if head.startswith(b"From "):
        yield from read_mbox(path)
        return
    yield from _read_data(path, path.read_bytes(), skip, named=named)


def _read_data(path: Path, data: bytes, skip: SkipNote, *, named: bool) -> Iterator[Message]:
    body = data.removeprefix(_BOM).lstrip(b"\r\n")
    if body.startswith(b"From "):
        yield from split_mbox(body, str(path))
        return
    if named or path.suffix.lower() in _MESSAGE_SUFFIXES:
        yield body, str(path)
        return
    if not body.strip():
        skip(str(path), "empty file")
    elif _HEADER_LINE.match(body):
        yield body, str(path)
    else:
        skip(str(path), "does not look like a mail message (no header line at its start); name it on the command line to read it anyway")


def split_mbox(data: bytes, name: str) -> Iterator[Message]:
    """The messages of an mbox held in memory, as ``mailbox.mbox`` reads them (every ``From `` line starts one)."""
    starts = [0] if data.startswith(b"From ") else []
    starts += [m.start() + 1 for m in re.finditer(rb"\nFrom ", data)]
    for index, start in enumerate(starts, start=1):
        end = starts[index] if index < len(starts) else len(data)
        chunk = data[start:end]
        chunk = chunk[chunk.find(b"\n") + 1 :] if b"\n" in chunk else b""
        if chunk.endswith(b"\r\n\r\n"):
            chunk = chunk[:-2]  # the blank line before the next separator belongs to neither message
        elif chunk.endswith(b"\n\n"):
            chunk = chunk[:-1]
        yield chunk, f"{name}#{index}"


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
