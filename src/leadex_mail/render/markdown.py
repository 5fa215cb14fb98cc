"""Markdown of issue files to HTML (for the HTML part) and to plain text.

Raw HTML in Markdown is never passed through: markdown-it runs with HTML
disabled, and its output is sanitised again by nh3 as a second line of
defence. Link styling is not done here: the pipeline inlines one small
stylesheet into every ``<a>``, ``<p>`` and list at the end, so the look of
rich text lives in one place.
"""

from __future__ import annotations

import re
import textwrap
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
    rendered = _parser().render(_parse_source(text))
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
    ).strip()


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
    blocks: list[str] = []
    prefix = ""
    for token in _parser().parse(_parse_source(text)):
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            prefix = "- "
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            prefix = ""
        elif token.type == "inline":
            blocks.append(prefix + _inline_text(token.children or [], links))
    return "\n\n".join(blocks)


def _inline_text(children: list[Token], links: LinkCollector) -> str:
    parts: list[str] = []
    href: str | None = None
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak"}:
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
        elif child.type == "link_close" and href is not None:
            parts.append(" " + links.ref(href))
            href = None
    return "".join(parts)


def wrap(text: str, width: int = WIDTH, indent: str = "") -> str:
    """Wrap each paragraph of ``text`` at ``width`` columns; URLs and long words never break.

    Hard line breaks inside a paragraph are kept; list items keep a hanging indent.
    """
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            hanging = "  " if line.startswith("- ") else ""
            lines.extend(
                textwrap.wrap(
                    line,
                    width=width,
                    initial_indent=indent,
                    subsequent_indent=indent + hanging,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                or [""]
            )
        out.append("\n".join(lines))
    return "\n\n".join(out)
