"""Quoted-printable bodies (RFC 2045 6.7) that stay valid when encoded in pieces and joined.

``message.build_template`` encodes an edition's static body text once and
each recipient's values (name, links) when a message is filled; joined, the
pieces must decode to the personalised text with no line over 76 octets,
whatever the values. So every piece starts at column 0 and ends with a line
break: a hard one, or a soft one (``=`` CRLF) that a decoder removes
(``soft_close``). UTF-8, CRLF line breaks.
"""

from __future__ import annotations

import binascii
import html as _html
import re

CRLF = b"\r\n"
_MAX_LINE = 76  # RFC 2045 limit for an encoded line, "=" of a soft break included


def qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line breaks, lines of at most 76 octets."""
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", CRLF)


def qp_segment(text: str) -> bytes:
    """QP for text followed by a slot: closed so the slot starts at column 0."""
    encoded = qp(text)
    if not encoded or encoded.endswith(CRLF):
        return encoded
    return soft_close(encoded)


def soft_close(encoded: bytes) -> bytes:
    """End an unfinished QP line with a soft break, splitting it if ``=`` would not fit."""
    start = encoded.rfind(CRLF) + 2 if CRLF in encoded else 0
    last = encoded[start:]
    if len(last) < _MAX_LINE:
        return encoded + b"=\r\n"
    cut = _MAX_LINE - 1
    # Never split an "=XX" escape across lines.
    if last[cut - 1 : cut] == b"=":
        cut -= 1
    elif last[cut - 2 : cut - 1] == b"=":
        cut -= 2
    return encoded[:start] + last[:cut] + b"=\r\n" + last[cut:] + b"=\r\n"


# Printable ASCII but "=" and space: characters quoted-printable leaves as they are (RFC 2045 6.7 rule 2).
_QP_AS_IS = re.compile(r"[!-<>-~]+")


def qp_value(value: str, *, html: bool) -> bytes:
    """One recipient value QP-encoded on its own lines (HTML-escaped for the HTML part).

    A link or an ASCII name needs no escape: it is cut into lines of 75
    characters with soft breaks, what ``binascii.b2a_qp`` makes of it (a
    final "." is left to it: alone on a line, it encodes that one).
    """
    if html:
        value = _html.escape(value, quote=True)
    if not value:
        return b""
    if value[-1] != "." and _QP_AS_IS.fullmatch(value):
        data = value.encode("ascii")
        return b"=\r\n".join([data[i : i + _MAX_LINE - 1] for i in range(0, len(data), _MAX_LINE - 1)]) + b"=\r\n"
    return qp_segment(value)
