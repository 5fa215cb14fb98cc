"""Message bytes as SMTP's DATA carries them: dot-stuffed (RFC 5321 4.5.2), ending in CRLF.

SMTP ends a message with a line holding only ".", so the client doubles a
"." that starts any line of the message ("transparency") and the server
removes it again. smtplib does it per message with a regex over the whole
message (``smtplib._quote_periods``, ~1 ms for a 90 KB message here).

A campaign's messages are one edition's static pieces with a few short
per-recipient values between them (``message.MessageTemplate``), so the
static pieces are stuffed once per edition (``stuff_pieces``) and each value
when it is encoded (``stuff``): joined, they are byte for byte what stuffing
the whole message gives, provided every piece starts at the beginning of a
line. ``stuff_pieces`` checks that of the static pieces (each one followed by
a slot ends with a line break) and the template checks it of each value;
where it does not hold, the whole message is stuffed as before (``dot_stuff``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

CRLF = b"\r\n"
P = TypeVar("P")


def stuff(data: bytes) -> bytes:
    """Double every "." that starts a line of ``data`` (``data`` itself taken to start a line).

    Exactly ``smtplib._quote_periods`` (``re.sub(rb'(?m)^\\.', b'..', data)``),
    for any line endings: a line starts at the beginning and after each LF.
    """
    quoted = data.replace(b"\n.", b"\n..")
    return b"." + quoted if quoted[:1] == b"." else quoted


def dot_stuff(data: bytes) -> bytes:
    """What smtplib's ``SMTP.data`` sends for ``data`` before the final ".": stuffed, ending in CRLF."""
    quoted = stuff(data)
    return quoted if quoted[-2:] == CRLF else quoted + CRLF


def at_line_start(value: bytes) -> bool:
    """True when what follows ``value`` starts a line: ``value`` is empty or ends with a line break."""
    return not value or value[-1:] == b"\n"


def stuff_pieces(pieces: Sequence[bytes | P]) -> list[bytes | P] | None:
    """``pieces`` with every static (bytes) piece stuffed, slots kept; None when that would not be exact.

    Exact when every static piece starts a line: the first one starts the
    message, and every later one follows a slot whose value ends with a
    line break (checked per value by the caller) after a static piece that
    ends with one (checked here), or follows such a piece directly.
    """
    out: list[bytes | P] = []
    for i, piece in enumerate(pieces):
        if isinstance(piece, bytes):
            out.append(stuff(piece))
            if i + 1 < len(pieces) and not at_line_start(piece):
                return None  # the next piece (a slot) would start mid-line
        else:
            out.append(piece)
    return out
