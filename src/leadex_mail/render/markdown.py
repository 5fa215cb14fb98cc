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

ALLOWED_TAGS = {"p", "a", "strong", "em", "b", "i", "ul", "ol", "li", "br", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
WIDTH = 78
# "15. oktobra je ..." opens a paragraph in Slovenian and Croatian; CommonMark
# would read it as an ordered list starting at 15. Numbered lists are rare in
# a newsletter, dates at the start of a sentence are not: the number is escaped.
_ORDERED = re.compile(r"^(\s*\d{1,9})([.)])(?=\s)", re.MULTILINE)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark without raw HTML; images come from typed fields, never from Markdown.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _parse_source(text: str) -> str:
    return _ORDERED.sub(r"\1\\\2", text)


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

    Blocks (paragraphs, list items) are separated by blank lines; list items
    start with "- ". Wrapping is the template's job (see ``wrap``).
    """
    return "".join(part if kind == "text" else " " + links.ref(part) for kind, part in _text_segments(text))


@lru_cache(maxsize=2048)
def _text_segments(text: str) -> tuple[tuple[str, str], ...]:
    """The text part of ``text`` as ("text", words) and ("link", url) pieces, parsed once."""
    segments: list[tuple[str, str]] = []
    prefix = previous = ""
    for token in _parser().parse(_parse_source(text)):
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            prefix = "- "
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            prefix = ""
        elif token.type == "inline":
            if segments:  # list items stay on consecutive lines, blocks get a blank line
                segments.append(("text", "\n" if prefix and previous else "\n\n"))
            previous = prefix
            segments.append(("text", prefix))
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
    indent. (A greedy wrap on spaces: textwrap does the same, ten times slower.)
    """
    return "\n\n".join("\n".join(_wrap_line(line, width, indent) for line in para.split("\n")) for para in text.split("\n\n"))


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


def _wrap_line(line: str, width: int, indent: str) -> str:
    hanging = indent + ("  " if line.startswith("- ") else "")
    lines: list[str] = []
    current = indent
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
