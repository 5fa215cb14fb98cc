"""Reading the bounce mailbox over IMAP with implicit TLS (RFC 8314, port 993).

The credentials come from the settings: ``imap_user`` and, from the
environment only, ``LEADEX_IMAP_PASSWORD``. A processed message is moved to
``imap_processed_folder`` (created when missing) only after its outcome is
committed to the store, with ``UID MOVE`` (RFC 6851) where offered, else
``UID COPY`` + ``\\Deleted`` + ``UID EXPUNGE`` (RFC 4315 UIDPLUS) of that one
message; without UIDPLUS it is left flagged ``\\Deleted`` (a plain EXPUNGE
would remove what a person marked deleted too) and skipped by later fetches.
A crash between committing and moving leaves the message in place; the
next fetch finds it already recorded (same bytes), changes nothing and
moves it. Capabilities are asked again after login (servers add MOVE and
UIDPLUS then). Folder names are sent in modified UTF-7 (RFC 3501 5.1.3).
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
from collections.abc import Iterator
from datetime import date
from types import TracebackType
from typing import Self

from leadex_mail.config import Settings
from leadex_mail.errors import MailboxError

_FETCH_CHUNK = 50
_LITERAL = re.compile(rb"\{(\d+)\}$")


class ImapMailbox:
    """One IMAP session on the bounce mailbox: ``messages()`` then ``processed(uid)`` per message."""

    def __init__(self, settings: Settings, *, timeout: float = 60.0) -> None:
        if not settings.imap_host or not settings.imap_user:
            raise MailboxError(
                "no IMAP mailbox is configured for `bounces fetch`",
                hint="set imap_host and imap_user ([imap] host/user in leadex-mail.toml) and LEADEX_IMAP_PASSWORD in the environment",
            )
        if not settings.imap_password:
            raise MailboxError("LEADEX_IMAP_PASSWORD is not set", hint="the IMAP password is a secret: set it in the environment, never in the file")
        self.settings = settings
        self.where = f"{settings.imap_host}:{settings.imap_port}"
        self.timeout = timeout
        self.conn: imaplib.IMAP4_SSL | None = None
        self._can_move = False
        self.capabilities: frozenset[str] = frozenset()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        """Connect with TLS (certificate and host name checked), log in, create the processed folder, select the mailbox."""
        s = self.settings
        try:
            context = ssl.create_default_context(cafile=str(s.imap_ca_file) if s.imap_ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(f"imap_ca_file {s.imap_ca_file}: cannot be read as certificates: {exc}", hint="give a PEM file of CA certificates") from None
        with self._errors("connect"):
            self.conn = imaplib.IMAP4_SSL(s.imap_host, s.imap_port, ssl_context=context, timeout=self.timeout)  # type: ignore[arg-type]
        with self._errors("log in", hint="check imap_user and LEADEX_IMAP_PASSWORD"):
            self._login(s.imap_user, s.imap_password)  # type: ignore[arg-type]
        self.capabilities = self._capabilities_after_login()
        self._can_move = "MOVE" in self.capabilities
        with self._errors(f"create folder {s.imap_processed_folder!r}"):
            folder = _quote(s.imap_processed_folder)
            typ, found = self.conn.list('""', folder)
            if typ != "OK" or not found or found[0] is None:
                self._check(self.conn.create(folder), f"create folder {s.imap_processed_folder!r}")
        with self._errors(f"open mailbox {s.imap_mailbox!r}"):
            self._check(self.conn.select(_quote(s.imap_mailbox)), f"open mailbox {s.imap_mailbox!r}")

    def _capabilities_after_login(self) -> frozenset[str]:
        """The server's capabilities asked again once logged in (RFC 3501 6.1.1: they may change; Dovecot adds MOVE, UIDPLUS)."""
        conn = self.conn
        assert conn is not None
        caps = set(conn.capabilities)
        try:
            typ, data = conn.capability()
        except (imaplib.IMAP4.error, OSError):
            return frozenset(caps)
        if typ == "OK" and data and isinstance(data[-1], bytes):
            caps = {c.upper() for c in data[-1].decode("ascii", "replace").split()}
        return frozenset(caps)

    def _login(self, user: str, password: str) -> None:
        """AUTHENTICATE PLAIN (RFC 4616: UTF-8, so any password) where offered, else LOGIN (ASCII only)."""
        conn = self.conn
        assert conn is not None
        if "AUTH=PLAIN" in conn.capabilities:
            secret = f"\0{user}\0{password}".encode()
            conn.authenticate("PLAIN", lambda _challenge: secret)
            return
        if not (user + password).isascii():
            raise MailboxError(
                f"IMAP server {self.where} offers only LOGIN, which cannot carry a non-ASCII user name or password",
                hint="use an ASCII password for the bounce mailbox, or a server that offers AUTH=PLAIN",
            )
        conn.login(user, password)

    def messages(self) -> Iterator[tuple[bytes, bytes]]:
        """``(uid, raw bytes)`` of every message in the mailbox now, oldest UID first (fetched without setting \\Seen)."""
        conn = self._conn()
        with self._errors("search the mailbox"):
            typ, data = conn.uid("SEARCH", None, "UNDELETED")  # type: ignore[arg-type]  # copied already where expunge was not possible
            self._check((typ, data), "search the mailbox")
        uids = (data[0] or b"").split()
        for start in range(0, len(uids), _FETCH_CHUNK):
            chunk = uids[start : start + _FETCH_CHUNK]
            with self._errors("fetch messages"):
                typ, data = conn.uid("FETCH", b",".join(chunk).decode(), "(UID BODY.PEEK[])")
                self._check((typ, data), "fetch messages")
            yield from _fetched(data)

    def processed(self, uid: bytes) -> None:
        """Move message ``uid`` to the processed folder (after its outcome is committed)."""
        conn = self._conn()
        folder = _quote(self.settings.imap_processed_folder)
        with self._errors(f"move a message to {self.settings.imap_processed_folder!r}"):
            if self._can_move:
                self._check(conn.uid("MOVE", uid.decode(), folder), "move a message")
                return
            self._check(conn.uid("COPY", uid.decode(), folder), "copy a message")
            self._check(conn.uid("STORE", uid.decode(), "+FLAGS.SILENT", r"(\Deleted)"), "flag a message deleted")
            if "UIDPLUS" in self.capabilities:
                self._check(conn.uid("EXPUNGE", uid.decode()), "expunge a message")
            # Without UIDPLUS the copy stays flagged \Deleted: a plain EXPUNGE would also remove every
            # other message a person marked deleted in this mailbox. It is skipped on the next fetch.

    def expire_processed(self, before: date, *, dry_run: bool = False) -> int:
        """Delete the processed folder's messages that arrived before ``before``; return how many (``dry_run``: only count).

        Arrival is the INTERNALDATE (``SEARCH BEFORE``, RFC 3501), which a
        move or copy keeps: retention of the bounce mailbox's copies, run by
        ``maintenance``. The inbox itself is never touched (its messages
        are not processed yet).
        """
        conn = self._conn()
        name = self.settings.imap_processed_folder
        with self._errors(f"open folder {name!r}"):
            self._check(conn.select(_quote(name), readonly=dry_run), f"open folder {name!r}")
        with self._errors(f"search folder {name!r}"):
            typ, data = conn.uid("SEARCH", None, "BEFORE", _imap_date(before))  # type: ignore[arg-type]
            self._check((typ, data), f"search folder {name!r}")
        uids = b",".join((data[0] or b"").split()).decode()
        if uids and not dry_run:
            with self._errors(f"delete old messages from {name!r}"):
                self._check(conn.uid("STORE", uids, "+FLAGS.SILENT", r"(\Deleted)"), "flag old messages deleted")
                if "UIDPLUS" in self.capabilities:  # as the server says once logged in
                    self._check(conn.uid("EXPUNGE", uids), "expunge old messages")
                else:  # the folder holds only processed messages: expunging all flagged ones is what we want
                    self._check(conn.expunge(), "expunge")
        return len(uids.split(",")) if uids else 0

    def close(self) -> None:
        """Log out (errors on the way out are ignored: the work is committed)."""
        if self.conn is None:
            return
        try:
            self.conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.conn = None

    def _conn(self) -> imaplib.IMAP4_SSL:
        if self.conn is None:
            self.open()
        return self.conn  # type: ignore[return-value]

    def _check(self, result: tuple[str, list[object]], what: str) -> None:
        if result[0] != "OK":
            words = b" ".join(x for x in result[1] if isinstance(x, bytes)).decode("utf-8", "replace")
            raise MailboxError(f"IMAP server {self.where} refused to {what}: {words or result[0]}")

    def _errors(self, what: str, *, hint: str | None = None) -> _Wrap:
        return _Wrap(self.where, what, hint)


class _Wrap:
    """Turns imaplib, TLS and socket errors into MailboxError with the server and the step."""

    def __init__(self, where: str, what: str, hint: str | None) -> None:
        self.where, self.what, self.hint = where, what, hint

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        if exc is None or isinstance(exc, MailboxError):
            return False
        if isinstance(exc, ssl.SSLCertVerificationError):
            raise MailboxError(
                f"IMAP server {self.where}: its TLS certificate is not trusted: {exc.verify_message}",
                hint="for a private CA, set imap_ca_file to its certificate (PEM)",
            ) from None
        if isinstance(exc, (imaplib.IMAP4.error, ssl.SSLError, OSError, EOFError)):
            raise MailboxError(f"IMAP server {self.where}: cannot {self.what}: {exc}", hint=self.hint or "check imap_host, imap_port (993) and the network") from None
        return False


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _imap_date(day: date) -> str:
    """``day`` as RFC 3501 ``date`` (``1-Dec-2026``), whatever the locale's month names."""
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string (RFC 3501), non-ASCII in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded = modified_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def modified_utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): ``"Obdelano-čšž"`` -> ``"Obdelano-&AQ0BYQF+-"``.

    Printable ASCII stands for itself (``&`` as ``&-``); runs of other
    characters are UTF-16BE in base64 with ``,`` for ``/``, unpadded,
    between ``&`` and ``-``.
    """
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _fetched(data: list[object]) -> Iterator[tuple[bytes, bytes]]:
    """``(uid, body)`` pairs from imaplib's FETCH answer (tuples of envelope line and literal)."""
    for item in data:
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        head, body = item[0], item[1]
        found = re.search(rb"UID (\d+)", head)
        if found and isinstance(body, bytes):
            yield found.group(1), body
