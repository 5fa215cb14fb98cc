"""MIME helpers shared by the report parsers: field blocks, returned headers, text.

Messages are parsed with the standard library's ``compat32`` policy
(``email.message_from_bytes``): it is several times faster than
``policy.default`` on large mailboxes, never raises on malformed MIME, and
is what ``flufl.bounce`` expects.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from datetime import datetime, timezone
from email.utils import getaddresses, parsedate_to_datetime

_HEADER_PARSER = HeaderParser()
_WS = re.compile(r"\s+")


def header_text(value: object) -> str:
    """A header's value as text: RFC 2047 words decoded, folding undone; "" for None.

    Never raises: an undecodable encoded word (bad base64 or quoted-printable,
    unknown charset: ``HeaderParseError``, ``LookupError``, ...) is kept as
    written, and a value that cannot even be turned into text is "".
    """
    if value is None:
        return ""
    try:
        raw = str(value)
    except Exception:  # noqa: BLE001 - a Header object of undecodable bytes: nothing readable in it
        return ""
    if not raw.isascii():
        raw = utf8_text(raw)
    if "=?" in raw:
        try:
            raw = str(make_header(decode_header(raw)))
        except Exception:  # noqa: BLE001 - any header a stranger sends must not stop an import
            pass
    return _WS.sub(" ", raw).strip()


def field_blocks(part: Message) -> list[Message]:
    """The field blocks of a ``message/delivery-status`` or ``message/feedback-report`` part.

    The standard library parses ``message/delivery-status`` into one
    ``Message`` per block, but any other ``message/*`` type — RFC 6533's
    ``message/global-delivery-status``, ``message/feedback-report`` — into
    *one* message whose headers are the first block and whose body holds
    the others: that body is split on blank lines here, as is a damaged
    part that arrives as text.
    """
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [p for p in payload if isinstance(p, Message)]
        if len(blocks) == 1 and part.get_content_type() != "message/delivery-status":
            rest = blocks[0].get_payload(decode=True)  # bytes: the UTF-8 of RFC 6533 intact
            if isinstance(rest, bytes) and rest.strip():
                return [blocks[0], *_split_blocks(rest.decode("utf-8", "replace"))]
        return blocks
    text = part.get_payload(decode=True) or b""
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return _split_blocks(decoded)


def utf8_text(text: str) -> str:
    """Text the standard library read as ASCII with ``surrogateescape`` (8-bit header bytes), read again as UTF-8 (RFC 6532)."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        return text


def _split_blocks(text: str) -> list[Message]:
    text = utf8_text(text) if not text.isascii() else text
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [_HEADER_PARSER.parsestr(block) for block in blocks if block.strip()]


def returned_headers(report: Message) -> Message | None:
    """The headers of the returned (original) message inside a report, or None.

    Looks for ``text/rfc822-headers``, ``message/rfc822``,
    ``message/global`` and ``message/global-headers`` parts (RFC 3462,
    RFC 6532/6533), in that order of appearance.
    """
    for part in report.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
            return _parse_text_headers(part)
        if ctype in ("text/rfc822-headers", "message/global-headers"):
            return _parse_text_headers(part)
    return None


def _parse_text_headers(part: Message) -> Message | None:
    data = part.get_payload(decode=True)
    if not data:
        return None
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return _HEADER_PARSER.parsestr(text.lstrip())


def leaf_text(msg: Message, *, limit: int = 200_000) -> str:
    """The decoded ``text/plain`` leaves of ``msg``, outside returned messages, joined (at most ``limit`` characters)."""
    chunks: list[str] = []
    for part in _leaves_outside_returned(msg):
        if part.get_content_type() != "text/plain":
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            chunks.append(data.decode(charset, "replace"))
        except LookupError:
            chunks.append(data.decode("utf-8", "replace"))
    return "\n".join(chunks)[:limit]


def _leaves_outside_returned(msg: Message) -> list[Message]:
    if msg.is_multipart():
        if msg.get_content_type() in ("message/rfc822", "message/global", "message/global-delivery-status", "message/feedback-report"):
            return []  # returned messages, and machine-readable fields the stdlib parsed as a message
        out: list[Message] = []
        for sub in msg.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, Message):
                out.extend(_leaves_outside_returned(sub))
        return out
    return [msg]


def strip_type(value: str | None) -> str | None:
    """``"rfc822; a@example.org"`` -> ``"a@example.org"`` (RFC 3464 typed fields); None stays None."""
    if not value:
        return None
    text = header_text(value)
    if ";" in text:
        text = text.split(";", 1)[1]
    return text.strip().strip("<>").strip() or None


def address_of(value: str | None) -> str | None:
    """The bare, lower-cased address in a header value (``"A <a@x>"`` -> ``"a@x"``), or None."""
    if not value:
        return None
    try:
        pairs = getaddresses([header_text(value)])
    except Exception:  # noqa: BLE001 - the RFC 5322 parser on a stranger's header
        return None
    for _name, addr in pairs:
        if "@" in addr:
            return addr.strip().lower()
    return None


_ADDR = re.compile(r"[^\s<>\"(),;:@]+@[^\s<>\"(),;:@]+\.[^\s<>\"(),;:@]+")


def all_addresses(values: list[str]) -> tuple[str, ...]:
    """Every bare, lower-cased address in the given header values, in order, once each.

    A plain pattern rather than ``getaddresses``: these headers (Delivered-To,
    X-Original-To, To) hold machine-written addresses, and the full RFC 5322
    parser costs more than the rest of reading a report.
    """
    seen: dict[str, None] = {}
    for value in values:
        for addr in _ADDR.findall(str(value)):
            seen.setdefault(addr.lower(), None)
    return tuple(seen)


def message_id_of(value: object) -> str | None:
    """A Message-ID as ``<...>`` (whitespace and comments dropped), or None."""
    text = header_text(value)
    found = re.search(r"<[^<>\s]+>", text)
    if found:
        return found.group(0)
    return f"<{text}>" if text and " " not in text else None


def date_of(value: object) -> datetime | None:
    """An RFC 5322 date (``Date:``, RFC 3464 ``Arrival-Date``) as an aware datetime (UTC when it names no zone), or None."""
    text = header_text(value)
    if not text:
        return None
    try:
        found = parsedate_to_datetime(text)
    except Exception:  # noqa: BLE001 - a stranger's date: unreadable is "not said"
        return None
    if found is None:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc)
