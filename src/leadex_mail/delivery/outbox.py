"""The outbox transport: each message written as an ``.eml`` file, for looking at instead of sending.

Follows ``delivery.transport.Transport``; ``send`` returns the file written
as its reply and raises ``TemporaryFailure`` when the folder cannot be
written (full disk, no permission). Each instance is used from one thread.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from leadex_mail.delivery.transport import SendResult
from leadex_mail.errors import TemporaryFailure
from leadex_mail.private_files import open_private, private_dir

_COUNTER = itertools.count(1)  # process-wide, so parallel outboxes never pick one name
_COUNTER_LOCK = threading.Lock()
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


class OutboxTransport:
    """Writes each message as ``<dir>/<timestamp>-<n>-<recipient>.eml``, atomically, mode 0600.

    The bytes go to a temporary file in the same folder (its name never ends
    in ``.eml``) and are then linked into place in one step, so a reader of
    the folder never sees a partial message and no file is overwritten.
    """

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def send(self, sender: str, recipients: Sequence[str], data: bytes, *, stuffed: bytes | None = None) -> SendResult:
        """Write ``data`` to a new ``.eml`` file; the reply is its path (``stuffed`` is for SMTP: unused)."""
        try:
            private_dir(self.folder)  # personal data: 0700 folders, 0600 files
            path = self._write(recipients, data)
        except OSError as exc:
            raise TemporaryFailure(
                f"could not write to the outbox {self.folder}: {exc.strerror or exc}",
                hint="check that the outbox folder (LEADEX_OUTBOX_DIR) is writable and the disk not full",
            ) from None
        return SendResult(reply=str(path), refused={})

    def _write(self, recipients: Sequence[str], data: bytes) -> Path:
        who = _UNSAFE.sub("_", recipients[0] if recipients else "nobody")[:64]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        tmp = self.folder / f".tmp-{os.getpid()}-{threading.get_ident()}-{stamp}"
        try:
            with os.fdopen(open_private(tmp), "wb") as fh:
                fh.write(data)  # a full disk raises here (or at close): the finally removes the half file
            while True:
                with _COUNTER_LOCK:
                    n = next(_COUNTER)
                path = self.folder / f"{stamp}-{os.getpid()}.{n}-{who}.eml"
                try:
                    os.link(tmp, path)  # atomic and never replaces another message
                    return path
                except FileExistsError:
                    continue
                except OSError:  # a file system without hard links
                    os.replace(tmp, path)
                    return path
        finally:
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release."""
