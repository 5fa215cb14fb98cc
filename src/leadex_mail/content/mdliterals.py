"""Markdown the officer wrote that the mail would show as it is written: a link or bold that is not one, a bare address.

CommonMark leaves link and emphasis syntax it cannot read as literal text,
silently: ``[Prijava](https://example.org/prijava obrazec.pdf)`` (a space in
the address), ``[Prijava] (https://example.org/b)`` (a space before the
parenthesis), ``[Wiki](https://example.org/wiki/Murcia_(city)`` (the closing
parenthesis missing), ``[js](javascript:alert(1))``, ``[d](data:…)``,
``[f](file:…)`` (schemes markdown-it refuses to make links of), ``** bold**``
(a space inside the stars). Readers then get the brackets, stars and
address as typed, in both parts of the mail. This module reads a text as
the renderer does (``render.markdown``: CommonMark, no raw HTML, no images,
``mdsource.parse_source``) and finds what is left of such syntax in the
words the reader gets:

- ``written_links``: ``[words](…`` or ``[words] (address…`` left as text,
  with why (``WRITTEN_REASONS``); the address is judged by the one link
  rule (``urls.link_trouble``);
- ``left_emphasis``: ``**`` or ``__`` left as text;
- ``bare_addresses``: an address (``https://…``, ``www.…``) written as
  plain words, which is no link in the mail (a warning: the words still
  read, but nobody can click them in most mail programs' HTML view).

Lists are not judged: "-5 °C" or "1.januarja" are words, and which "N."
opens a list is ``mdsource``'s rule. Code spans and escaped brackets
(``\\[``) are what the officer meant literally and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

from leadex_mail.content.mdsource import parse_source
from leadex_mail.content.urls import link_trouble
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

# Why a written link stayed text, by reason: the CLI's words (the studio's are catalog words, by code link.written_<reason>).
WRITTEN_REASONS = {
    "scheme": "only web (https://, http://) and e-mail (mailto:) addresses can be links",
    "gap": "there is a space between ] and (",
    "space": "the address holds a space",
    "unclosed": "the ) that ends the address is missing",
    "other": "Markdown cannot read it as a link",
}
_CUT = "\x00"  # stands for what is not plain words (a link made, a code span): nothing is found across it
_WRITTEN = re.compile(r"\[([^\[\]\x00\n]*)\]([ \t]*)\(")
_SCHEMED = re.compile(r"^<?[A-Za-z][A-Za-z0-9+.-]*:|^<?www\.", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__")
_BARE = re.compile(r"(?<![\w@/.:%-])(?:https?://|www\.)[^\s\x00<>()\[\]\"']*[^\s\x00<>()\[\]\"'.,;:!?]", re.IGNORECASE)


@dataclass(frozen=True)
class WrittenLink:
    """A link as written (``written``: from ``[`` to its ``)`` or the line's end) that the mail shows as text.

    ``reason``: a key of ``WRITTEN_REASONS``; ``fixed``: the link written so
    that it is one, when that is unambiguous (None otherwise).
    """

    written: str
    label: str
    address: str
    reason: str
    fixed: str | None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # As render.markdown reads a text (a test keeps them agreeing on the reported inputs).
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


@lru_cache(maxsize=512)
def _words(text: str) -> tuple[str, ...]:
    """Each paragraph's (each inline block's) plain words as the reader gets them, ``_CUT`` for links and code."""
    blocks = []
    for token in _parser().parse(parse_source(text)):
        if token.type != "inline":
            continue
        parts = []
        for child in token.children or ():
            if child.type == "text":
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("\n")
            elif child.type in ("em_open", "em_close", "strong_open", "strong_close"):
                continue
            else:
                parts.append(_CUT)
        blocks.append("".join(parts))
    return tuple(blocks)


def written_links(text: str) -> list[WrittenLink]:
    """The links written in ``text`` (Markdown) that stay text in the mail, in reading order."""
    found = []
    for words in _words(text):
        for match in _WRITTEN.finditer(words):
            label, gap = match[1], match[2]
            address, closed, end = _address(words, match.end())
            if gap and not _SCHEMED.match(address.strip()):
                continue  # "[sic] (see below)": brackets and a parenthesis in prose
            if "[" + label + "]" not in text and "\\[" in text:
                continue  # written \[ ... \]: meant as brackets
            reason = _reason(address, gap, closed)
            found.append(WrittenLink(words[match.start() : end], label, address, reason, _fixed(label, address, reason)))
    return found


def _address(words: str, start: int) -> tuple[str, bool, int]:
    """``(address, closed, end)`` after a link's ``(`` at ``start``: up to its matching ``)``, else to the line's end."""
    depth = 1
    for index in range(start, len(words)):
        char = words[index]
        if char in "\n" + _CUT:
            return _first_word(words, start)
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if not depth:
                return words[start:index], True, index + 1
    return _first_word(words, start)


def _first_word(words: str, start: int) -> tuple[str, bool, int]:
    """An unclosed address: up to the first space (an address has none; what follows is the sentence going on)."""
    rest = words[start:]
    end = start + (len(rest) - len(rest.lstrip()))
    while end < len(words) and not words[end].isspace() and words[end] != _CUT:
        end += 1
    return words[start:end], False, end


def _reason(address: str, gap: str, closed: bool) -> str:
    value = address.strip().strip("<>")
    if link_trouble(value.split()[0] if value.split() else value) == "scheme":
        return "scheme"
    if gap:
        return "gap"
    if not closed:
        return "unclosed"
    if any(c.isspace() for c in value):
        return "space"
    return "other"


def _fixed(label: str, address: str, reason: str) -> str | None:
    """The link written so that Markdown reads it, when there is one way to: a space before ( dropped, spaces as %20."""
    value = address.strip()
    if reason == "gap" or (reason == "space" and value.split()[0].lower().startswith(("https://", "http://"))):
        target = value.replace(" ", "%20")
        if link_trouble(target) is None and not any(c.isspace() for c in target):
            return f"[{label}]({target})"
    return None


def left_emphasis(text: str) -> list[str]:
    """The ``**``/``__`` marks of ``text`` that stay in the mail as typed (a space inside the stars), each with its words."""
    found = []
    for words in _words(text):
        for match in _EMPHASIS.finditer(words):
            line_start = max(words.rfind("\n", 0, match.start()), words.rfind(_CUT, 0, match.start())) + 1
            cuts = [i for i in (words.find("\n", match.end()), words.find(_CUT, match.end())) if i >= 0]
            found.append(words[line_start : min(cuts) if cuts else len(words)].strip())
    return list(dict.fromkeys(found))


def bare_addresses(text: str) -> list[str]:
    """Web addresses written in ``text`` as plain words (not inside a link, a written link or a code span)."""
    found = []
    for words in _words(text):
        spans = [(m.start(), _address(words, m.end())[2]) for m in _WRITTEN.finditer(words)]
        for start, end in reversed(spans):
            words = words[:start] + _CUT + words[end:]
        found.extend(match[0] for match in _BARE.finditer(words))
    return list(dict.fromkeys(found))


_WRITTEN_CODES = {
    "scheme": "link.written_scheme",
    "gap": "link.written_gap",
    "space": "link.written_space",
    "unclosed": "link.written_unclosed",
    "other": "link.written_other",
}
_WRITTEN_HINTS = {
    "scheme": "link only to a web page (https://...) or an e-mail address (mailto:...); put anything else on a web page and link to that",
    "gap": "write ] and ( together, with no space",
    "space": "write each space in the address as %20 (in the studio: select the words and use Link, which does it)",
    "unclosed": "end the address with ); a ( or ) inside the address is written %28 or %29",
    "other": "write it as [words](https://...) with nothing between ] and (; in the studio select the words and use Link",
}


def literal_markdown_problems(text: str, path: tuple, smap: SourceMap) -> Iterator[Problem]:
    """The findings of ``text`` (a Markdown field at ``path``): written links and bold left as text (errors), bare addresses (warnings)."""
    for link in written_links(text):
        message = f"{link.written!r} looks like a link but is not one: readers would see the brackets and the address as typed ({WRITTEN_REASONS[link.reason]})"
        hint = _WRITTEN_HINTS[link.reason] + (f": {link.fixed}" if link.fixed else "")
        yield smap.problem_in(path, text, link.written, message, hint, code=_WRITTEN_CODES[link.reason], args={"url": link.address.strip(), "value": link.label, "fixed": link.fixed or ""})
    for words in left_emphasis(text):
        message = f"{words!r} holds ** or __ that is not bold: readers would see the marks as typed"
        hint = "write the marks right against the words, with no space inside: **bold words** (in the studio: select the words and use B)"
        yield smap.problem_in(path, text, words, message, hint, code="text.emphasis_left", args={"value": words})
    for address in bare_addresses(text):
        message = f"the address {address!r} is written as plain words: it is no link in the email's HTML (some mail programs make one, most do not)"
        hint = f"make words that say where it leads a link to it: [words](https://...){'' if address.lower().startswith('http') else ' (with https:// in front)'}; in the studio select the words and use Link"
        yield smap.problem_in(path, text, address, message, hint, code="link.bare_address", severity="warning", args={"value": address})
