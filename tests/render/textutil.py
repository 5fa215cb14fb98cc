"""Helpers of the render tests: visible text of HTML, seed paragraphs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

_BLOCKS = {"p", "div", "td", "tr", "table", "li", "ul", "h1", "h2", "h3", "br"}


class _Visible(HTMLParser):
    """Collects the text a reader sees: no <style>/<title>, blocks and <br> as spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "title", "script"}:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in {"style", "title", "script"}:
            self._skip -= 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def squash(text: str) -> str:
    """Whitespace runs as one space."""
    return re.sub(r"\s+", " ", text).strip()


def visible_text(html: str) -> str:
    """The whitespace-normalised visible text of ``html``."""
    parser = _Visible()
    parser.feed(html)
    return squash("".join(parser.parts))


def text_without_refs(text: str) -> str:
    """The text part with link marks `` [n]`` removed, whitespace-normalised."""
    return re.sub(r" ?\[\d+\]", "", squash(text))


def seed_paragraphs(path: Path) -> list[str]:
    """The seed newsletter's paragraphs with **, [, ](#), escapes and line breaks stripped."""
    raw = path.read_text(encoding="utf-8")
    out = []
    for block in re.split(r"\n\s*\n", raw):
        text = block.replace("**", "").replace("](#)", "").replace("[", "").replace("\\(", "(").replace("\\)", ")")
        text = squash(text)
        if text:
            out.append(text)
    return out
