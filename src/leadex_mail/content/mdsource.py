"""How the issues' Markdown is read before CommonMark parses it: which "N." opens a numbered list.

The render layer (``render.markdown``) and the content checks that judge
what the reader will see (``content.linkpurpose``: which paragraph a link
closes) must read a text alike, so the rule lives here, below both.
"""

from __future__ import annotations

import re

# "15. oktobra je ..." opens a paragraph in Slovenian and Croatian; CommonMark
# would read it as an ordered list starting at 15. A numbered list is kept only
# where a writer clearly made one: an item 1 and, on the next line at the same
# indent (or after its own indented lines), an item 2; then 3, 4, ... continue
# it. Any other "N." opening a line is escaped: "1. januarja ...", an empty
# line, "2. februarja ..." stay two paragraphs.
_ORDERED = re.compile(r"^( *)(\d{1,9})([.)])(?=[ \t]|$)")
_BULLET = re.compile(r"^( *)[-*+](?=[ \t]|$)")


def parse_source(text: str) -> str:
    """``text`` with the number of every line-opening "N." that is not a list item escaped ("15\\.")."""
    lines = text.split("\n")
    keep = _list_markers(lines)
    for index, line in enumerate(lines):
        found = _ORDERED.match(line)
        if found and index not in keep:
            lines[index] = f"{found[1]}{found[2]}\\{found[3]}{line[found.end():]}"
    return "\n".join(lines)


def _list_markers(lines: list[str]) -> set[int]:
    """Indexes of the lines whose "N." is a numbered-list item (see ``_ORDERED``'s comment)."""
    keep: set[int] = set()
    expected: dict[int, tuple[int, str]] = {}  # indent -> (next number, delimiter) of an open list
    for index, line in enumerate(lines):
        found = _ORDERED.match(line)
        if found is None:
            _close_lists(expected, line, lines[index - 1] if index else "")
            continue
        indent, number, delim = len(found[1]), int(found[2]), found[3]
        for deeper in [i for i in expected if i > indent]:
            del expected[deeper]
        if expected.get(indent) == (number, delim) or (number == 1 and _item_two_follows(lines, index + 1, indent, delim)):
            keep.add(index)
            expected[indent] = (number + 1, delim)
        else:
            expected.pop(indent, None)
    return keep


def _close_lists(expected: dict[int, tuple[int, str]], line: str, previous: str) -> None:
    """Forget open lists that ``line`` ends: a bullet at their indent or less, or text after a blank line."""
    if not line.strip():
        return
    indent = len(line) - len(line.lstrip(" "))
    if _BULLET.match(line) or not previous.strip():
        for open_indent in [i for i in expected if i >= indent]:
            del expected[open_indent]


def _item_two_follows(lines: list[str], start: int, indent: int, delim: str) -> bool:
    """True when the next item at ``indent``, before the list could have ended, is numbered 2."""
    previous = lines[start - 1]
    for line in lines[start:]:
        found = _ORDERED.match(line)
        if found and len(found[1]) == indent:
            return int(found[2]) == 2 and found[3] == delim and bool(previous.strip())
        stripped = line.strip()
        line_indent = len(line) - len(line.lstrip(" "))
        if stripped and line_indent <= indent and (_BULLET.match(line) or not previous.strip()):
            return False  # a bullet, or text (item 2 included) after a blank line: "1." opened a paragraph
        previous = line
    return False
