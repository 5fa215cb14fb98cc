"""Mail header values written so that decoding gives back exactly what was written.

The standard library's folder is not used for Subject and addresses: it can
put the space that belongs to the text between two encoded words, where
every decoder drops it (RFC 2047 6.2; CPython issue 92081), so readers see
"smo senaučili" for "smo se naučili". Here:

- **Unstructured text** (Subject, RFC 5322 3.2.5): words of printable ASCII
  stay as they are; every other run of words (non-ASCII, ``=?``, words too
  long to fold, the empty words of leading, trailing or repeated spaces)
  becomes encoded words (RFC 2047, UTF-8, Q) that carry those spaces
  inside. Encoded words are split between characters, preferably right
  after a space, and only the whitespace *between* them is free to fold.
- **Display names** (phrases): runs of white space in a phrase mean one
  space (RFC 5322 3.2.2), so names are written with single spaces and no
  space at either end; then plain atoms, one quoted string, or atoms and
  encoded words restricted to the phrase-safe characters of RFC 2047 5(3).
- **Folding**: values come out as words separated by single spaces, each
  space a legal folding point; lines are cut there so they stay within 78
  octets (RFC 5322 2.1.1) whenever the words fit, and never inside a word.

Every encoded word is at most 68 characters (it fits after ``Reply-To: ``
on a header's first line; RFC 2047 2 allows 75), holds whole characters
(RFC 2047 5) and, where it can, whole grapheme clusters (a letter and its
combining marks, an emoji sequence), so no reader shows half a character.

A display name whose run of words needing encoding is longer than one such
word (about 42 UTF-8 bytes) is split over adjacent encoded words, each cut
right after a space where there is one. Readers that follow RFC 2047 6.2
(mail clients, ``email.header.decode_header``) join them exactly. Python's
``email.policy.default`` parser keeps the white space between adjacent
encoded words *in a display name* (CPython issue 128110, open), so it reads
one extra space at each cut; no encoding of a long name avoids it within
75 characters. We follow the RFC (see docs/decisions.md).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Callable

CRLF = b"\r\n"
MAX_LINE = 78  # RFC 5322 2.1.1: SHOULD not be more than 78 characters, CRLF excluded
# An encoded word fits after "Reply-To: " on a header's first line (RFC 2047 allows 75).
_EW_MAX = MAX_LINE - len("Reply-To: ")
_EW_ROOM = _EW_MAX - len("=?utf-8?q??=")  # room for the encoded text
# Plain words longer than this are encoded, so that they can be split over lines.
_PLAIN_MAX = 60
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")  # RFC 5322 atext
_VCHAR = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _q_table(safe: bytes) -> list[str]:
    return [chr(b) if b in safe else ("_" if b == 0x20 else f"={b:02X}") for b in range(256)]


# RFC 2047 4.2 and 5: in unstructured text any printable ASCII but "=", "?", "_";
# in a phrase only letters, digits and "!*+-/" may stay literal.
_Q_TEXT = _q_table(bytes(b for b in range(0x21, 0x7F) if b not in b"=?_"))
_Q_PHRASE = _q_table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
# A plain word whose edge is one of these, next to an encoded word, loses the space
# between them in decode_header()+make_header() when a fold falls there.
_PAREN_EDGE = "()\\"


class HeaderValueError(ValueError):
    """A value that cannot be written in a header (a control character, e.g. CR/LF)."""


def check_header_value(what: str, value: str) -> str:
    """``value`` unchanged, or ``HeaderValueError`` when it holds a control character or line break."""
    bad = _CONTROL.search(value)
    if bad:
        raise HeaderValueError(f"{what} contains a control character (U+{ord(bad.group()):04X}), e.g. a line break")
    return value


def encoded_words(text: str, table: list[str] = _Q_TEXT, *, space_share: float = 0.5) -> list[str]:
    """``text`` as RFC 2047 encoded words of at most ``_EW_MAX`` (68) characters each.

    Q encoding with ``table`` (readable) unless B needs fewer words (text
    that is mostly non-ASCII: emoji, Cyrillic, CJK). Cut between characters
    (a UTF-8 sequence is never split, RFC 2047 5), between grapheme clusters
    where one fits, and right after a space when that keeps at least
    ``space_share`` of the word (0: any space). Decoders join the words
    without the whitespace between them (RFC 2047 6.2), so the text comes
    back exactly.
    """
    whole = "".join([table[b] for b in text.encode("utf-8")])
    if len(whole) <= _EW_ROOM:  # the usual case: one word
        return [f"=?utf-8?q?{whole}?="]

    def q_cost(char: str) -> str:
        return "".join([table[b] for b in char.encode("utf-8")])

    q = [f"=?utf-8?q?{w}?=" for w in _chunks(text, q_cost, _EW_ROOM, space_share)]
    b = [f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in _chunks(text, _utf8_len, _EW_ROOM // 4 * 3, space_share)]
    return b if len(b) < len(q) else q


def _utf8_len(char: str) -> str:
    return "x" * len(char.encode("utf-8"))


def _chunks(text: str, cost: Callable[[str], str], room: int, space_share: float = 0.5) -> list[str]:
    """``text`` cut into pieces whose ``cost`` (an encoded form, by its length) fits ``room``.

    For Q the pieces are the encoded text itself; for B the cost is only
    measured and the raw characters are returned. A cut goes right after
    the last space when that keeps at least ``space_share`` of the piece,
    else before the grapheme cluster being added, else (one cluster longer
    than ``room``) between its characters.
    """
    raw = cost is _utf8_len
    out: list[str] = []
    chunk: list[str] = []  # encoded (Q) or raw (B) characters of the piece being built
    size = 0
    after_space = 0  # length of chunk up to and including its last space
    cluster = 0  # where the grapheme cluster being built starts in chunk
    prev = ""
    regional = 0  # regional indicators in a row (a flag is a pair)
    for char in text:
        enc = cost(char)
        regional = regional + 1 if _is_regional(char) else 0
        joins = _joins(prev, char, regional)
        if not joins:
            cluster = len(chunk)
        while chunk and size + len(enc) > room:
            if after_space and after_space >= len(chunk) * space_share:
                cut = after_space
            elif cluster > 0:
                cut = cluster
            else:  # one cluster longer than a word: cut between its characters
                cut = len(chunk)
            out.append("".join(chunk[:cut]))
            chunk = chunk[cut:]
            size = sum(len(cost(c)) for c in chunk) if raw else sum(map(len, chunk))
            after_space = 0
            cluster = max(cluster - cut, 0)
        chunk.append(char if raw else enc)
        size += len(enc)
        if char == " ":
            after_space = len(chunk)
        prev = char
    if chunk:
        out.append("".join(chunk))
    return out


def _is_regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _joins(prev: str, char: str, regional: int) -> bool:
    """True when ``char`` continues the grapheme cluster of ``prev`` (the common cases of UAX 29).

    Combining marks and variation selectors, emoji modifiers and tags, both
    sides of a zero-width joiner, the second regional indicator of a flag.
    """
    if not prev:
        return False
    if "\u200d" in (prev, char) or unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    code = ord(char)
    return 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F or (regional > 0 and regional % 2 == 0)


def unstructured(text: str) -> str:
    """``text`` (e.g. a Subject) as a header value: plain words and encoded words, single spaces between.

    Decoding the value (RFC 2047 6.2) gives ``text`` back exactly, spaces
    at the ends and runs of spaces included.
    """
    words = text.split(" ")
    plain = [_plain_text_word(w) for w in words]
    _absorb(words, plain)
    out: list[str] = []
    i = 0
    while i < len(words):
        if plain[i]:
            out.append(words[i])
            i += 1
            continue
        j = i
        while j < len(words) and not plain[j]:
            j += 1
        out += encoded_words(" ".join(words[i:j]), _Q_TEXT)
        i = j
    return " ".join(out)


def _plain_text_word(word: str) -> bool:
    return 0 < len(word) <= _PLAIN_MAX and _VCHAR.fullmatch(word) is not None and "=?" not in word


def _absorb(words: list[str], plain: list[bool]) -> None:
    """Turn plain words into encoded ones where a run of encoded words needs them.

    A run that is one empty word (a space at an end, or two in a row)
    cannot be an encoded word of its own (encoded text is never empty), so
    it takes in a neighbour; a plain word ending in a parenthesis or
    backslash next to an encoded word is taken in too (see ``_PAREN_EDGE``).
    """
    changed = True
    while changed:
        changed = False
        for i, word in enumerate(words):
            if plain[i]:
                left = i > 0 and not plain[i - 1] and word[0] in _PAREN_EDGE
                right = i + 1 < len(words) and not plain[i + 1] and word[-1] in _PAREN_EDGE
                if left or right:
                    plain[i], changed = False, True
                continue
            if word == "" and (i == 0 or plain[i - 1]) and (i + 1 == len(words) or plain[i + 1]):
                if i > 0:
                    plain[i - 1] = False
                    changed = True
                elif i + 1 < len(words):
                    plain[i + 1] = False
                    changed = True


def phrase(name: str) -> str:
    """A display name as a header phrase: atoms, a quoted string, or atoms and encoded words.

    White space runs (no-break spaces included: readers show them as
    spaces) become one space and the ends are trimmed (they mean nothing
    in a phrase, RFC 5322 3.2.2); ``""`` when nothing is left.
    """
    words = name.split()
    text = " ".join(words)
    if not text:
        return ""
    if "=?" not in text and all(len(w) <= _PLAIN_MAX for w in words):
        if all(_ATEXT.fullmatch(w) for w in words):
            return text
        if all(_VCHAR.fullmatch(w) for w in words):
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    out: list[str] = []
    run: list[str] = []
    for word in words:
        if len(word) <= _PLAIN_MAX and _ATEXT.fullmatch(word) and "=?" not in word:
            if run:
                out += _phrase_words(" ".join(run))
                run = []
            out.append(word)
        else:
            run.append(word)
    if run:
        out += _phrase_words(" ".join(run))
    return " ".join(out)


def _phrase_words(text: str) -> list[str]:
    """``text`` (a run of a display name) as encoded words with the phrase-safe characters (RFC 2047 5(3)).

    One word when it fits (Q, else B); longer runs are cut right after a
    space wherever there is one, so that a reader with CPython issue 128110
    shows at worst a doubled space, not a space inside a word.
    """
    return encoded_words(text, _Q_PHRASE, space_share=0.0)


def format_address(name: str | None, email: str) -> str:
    """``Name <addr>`` ready for a header (``phrase``), or ``<addr>`` without a name.

    Control characters in the name become spaces (names are checked when
    stored; this is the last line of defence). Fast: it runs once per recipient.
    """
    shown = phrase(_CONTROL.sub(" ", name or ""))
    return f"{shown} <{email}>" if shown else f"<{email}>"


def header_line(name: str, value: str) -> bytes:
    """``Name: value`` CRLF, folded at the spaces of ``value``.

    Every space in ``value`` must be a legal folding point with no other
    space beside it (the values built here are). A line is cut before a
    word that would pass 78 octets; a first word that fits only on a line of
    its own (a long URL) goes to the next line.
    """
    head = f"{name}:".encode("ascii")
    if not value:
        return head + CRLF
    lines = [head]
    width = len(head)
    for word in value.split(" "):
        data = word.encode("utf-8")
        if width + 1 + len(data) > MAX_LINE and (len(lines) > 1 or width > len(head) or 1 + len(data) <= MAX_LINE):
            lines.append(b"")
            width = 0
        lines[-1] += b" " + data
        width += 1 + len(data)
    return CRLF.join(lines) + CRLF


def folded_value(name: str, value: str) -> str:
    """The value part of ``header_line`` (what follows ``Name: ``), with its CRLF folds."""
    line = header_line(name, value).decode("utf-8")
    return line[len(name) + 1 :].removeprefix(" ").removesuffix("\r\n")


def list_unsubscribe(url: str, mailto: str | None) -> bytes:
    """The RFC 2369 ``List-Unsubscribe`` line: the HTTPS link, then a ``mailto:`` when configured.

    Folded between the ``<...>`` entries (never inside a URI), so each line
    stays within 78 octets unless one entry alone is longer.
    """
    value = f"<{url}>"
    if mailto:
        target = mailto if mailto.startswith("mailto:") else f"mailto:{mailto}?subject=unsubscribe"
        value += f", <{target}>"
    return header_line("List-Unsubscribe", value)
