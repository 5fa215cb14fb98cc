"""Markdown of issue files to HTML (for the HTML part) and to plain text.

Raw HTML in Markdown is never passed through: markdown-it runs with HTML
disabled, and its output is sanitised again by nh3 as a second line of
defence. Link styling is not done here: the pipeline inlines one small
stylesheet into every ``<a>``, ``<p>`` and list at the end, so the look of
rich text lives in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from leadex_mail.content.mdsource import parse_source as _parse_source  # "15. oktobra" is a paragraph: the rule lives with the content

ALLOWED_TAGS = {"p", "a", "strong", "em", "b", "i", "ul", "ol", "li", "br", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
WIDTH = 78


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark without raw HTML; images come from typed fields, never from Markdown.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


@lru_cache(maxsize=2048)
def to_html(text: str) -> str:
    """Markdown to sanitised HTML (paragraphs, emphasis, links, bullet lists)."""
    return sanitise(_parser().render(_parse_source(text))).strip()


def sanitise(html: str) -> str:
    """Only the tags, attributes and URL schemes rich text may have (nh3)."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None)


def to_inline_html(text: str) -> str:
    """Markdown of one paragraph to HTML without the enclosing ``<p>``."""
    html = to_html(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def append_inline(html: str, extra: str) -> str:
    """Put ``extra`` (HTML) at the end of the last paragraph of ``html``.

    The "more here" link closes the story's last sentence in the original
    newsletter, so it joins that paragraph instead of standing alone.
    """
    if html.endswith("</p>"):
        return f"{html[:-4]} {extra}</p>"
    return f"{html}<p>{extra}</p>"


@dataclass
class LinkCollector:
    """Numbers the links of the text part in reading order.

    ``ref(url)`` returns ``[n]`` for a new link; ``flush()`` returns the links
    collected since the last flush, listed under the section they belong to.
    The same URL keeps its first number.
    """

    numbers: dict[str, int] = field(default_factory=dict)
    pending: list[tuple[int, str]] = field(default_factory=list)

    def ref(self, url: str) -> str:
        """The reference mark for ``url``, e.g. ``[3]``."""
        if url not in self.numbers:
            self.numbers[url] = len(self.numbers) + 1
            self.pending.append((self.numbers[url], url))
        return f"[{self.numbers[url]}]"

    def flush(self) -> list[tuple[int, str]]:
        """Links first referenced since the previous flush."""
        out, self.pending = self.pending, []
        return out


def to_text(text: str, links: LinkCollector) -> str:
    """Markdown to plain text: emphasis as plain words, links as ``label [n]``.

    Blocks (paragraphs, list items) are separated by blank lines; the items
    of a list follow each other line by line, "- " for bullets and "1. " for
    numbered items, nested lists indented under their item's text. Wrapping
    is the template's job (see ``wrap``).
    """
    return "".join(part if kind == "text" else " " + links.ref(part) for kind, part in _text_segments(text))


@lru_cache(maxsize=2048)
def _text_segments(text: str) -> tuple[tuple[str, str], ...]:
    """The text part of ``text`` as ("text", words) and ("link", url) pieces, parsed once."""
    segments: list[tuple[str, str]] = []
    lists: list[str] = []  # the marker width of each open list, outermost first (as spaces)
    numbers: list[int | None] = []  # the next number of each open list (None: bullets)
    marker: str | None = None  # the marker of a list item whose first line is still to come
    in_list_before = False
    for token in _parser().parse(_parse_source(text)):
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            lists.append("")
            numbers.append(int(token.attrs.get("start", 1)) if token.type == "ordered_list_open" else None)
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
            numbers.pop()
            in_list_before = in_list_before and bool(lists)  # a list's end is a block's end
        elif token.type == "list_item_open":
            # Numbered as the HTML part's <ol> numbers them (from its start, one by one), never as
            # written: "1. 2." + blank line + "1. 2." is one list of four in both parts.
            number = numbers[-1]
            marker = f"{number}{token.markup} " if number is not None else "- "
            if number is not None:
                numbers[-1] = number + 1
            lists[-1] = " " * len(marker)
        elif token.type == "inline":
            if segments:  # list items stay on consecutive lines, blocks get a blank line
                segments.append(("text", "\n" if lists and in_list_before else "\n\n"))
            in_list_before = bool(lists)
            indent = "".join(lists[:-1]) if marker is not None else "".join(lists)
            segments.append(("text", indent + (marker or "")))
            marker = None
            segments.extend(_inline_segments(token.children or []))
    return tuple(segments)


def _inline_segments(children: list[Token]) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    href: str | None = None
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(("text", child.content))
        elif child.type == "softbreak":
            parts.append(("text", " "))
        elif child.type == "hardbreak":
            parts.append(("text", "\n"))
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
        elif child.type == "link_close" and href is not None:
            parts.append(("link", href))
            href = None
    return parts


def wrap(text: str, width: int = WIDTH, indent: str = "") -> str:
    """Wrap each paragraph of ``text`` at ``width`` columns; URLs and long words never break.

    Hard line breaks inside a paragraph are kept; list items keep a hanging
    indent. A line opening with "15. " is a numbered item only in a block of
    several lines (``to_text`` keeps a list's items together, and a numbered
    list has at least two): alone it is a paragraph opening with a date.
    (A greedy wrap on spaces: textwrap does the same, ten times slower.)
    """
    return "\n\n".join(_wrap_block(para.split("\n"), width, indent) for para in text.split("\n\n"))


def _wrap_block(lines: list[str], width: int, indent: str) -> str:
    numbered = len(lines) > 1
    return "\n".join(_wrap_line(line, width, indent, numbered) for line in lines)


_REF = re.compile(r"\[\d+\][.,;:!?)]*")


def _glue_refs(words: list[str]) -> list[str]:
    """Keep a link mark ``[n]`` on the line of the word it belongs to."""
    out: list[str] = []
    for word in words:
        if out and word[0] == "[" and _REF.fullmatch(word):
            out[-1] += " " + word
        else:
            out.append(word)
    return out


_ITEM = re.compile(r"( *)(- |\d{1,9}[.)] )?")


def _wrap_line(line: str, width: int, indent: str, numbered: bool = False) -> str:
    # A list item's lines hang under its text; a nested item keeps its indent.
    lead, mark = _ITEM.match(line).groups()  # type: ignore[union-attr]  # the pattern always matches
    if mark and mark[0].isdigit() and not numbered:
        mark = None
    hanging = indent + " " * (len(lead) + len(mark or ""))
    lines: list[str] = []
    current = indent + lead
    empty = True
    for word in _glue_refs(line.split()):
        if empty:
            current += word
            empty = False
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = hanging + word
    lines.append(current if not empty else "")
    return "\n".join(lines)
