"""The text saved for an edit: the file's own lines wherever the edit did not reach.

ruamel's round trip keeps comments, key order and quoting, but it writes the
whole file again, in one indentation for the whole file and in its own
spelling of each line: a list a person indented by four inside a file
indented by two came back indented by two, an escape written ``"\\u0161"``
came back as the letter, ``key:   value`` as ``key: value`` (a13b #5). So
the studio never saves ruamel's text of the whole file. Three texts::

    original   the file as read                          (O)
    before     ruamel's writing of the file as read      (D0)
    after      ruamel's writing of the edited file       (D1)

``before -> after`` is exactly the edit, in ruamel's spelling;
``before <-> original`` is only ruamel's spelling against the writer's.
``merge`` lines ``before`` up with ``original`` (line by line, ignoring
indentation), then applies the edit's changed lines to ``original``: every
line the edit did not change is the file's own line, byte for byte; a line
it changed or added is ruamel's, moved to the file's indentation at that
depth; a line moved with its item (a section moved up) is the file's own.

The merge is checked: if its text does not read as the file's data with
the edit made (a layout this alignment cannot follow), ruamel's whole text
is used -- a re-indented file, never a wrong one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

_DASHES = re.compile(r"^(?:-[ \t]+)+")  # the dashes that open items (``-   - type:``)
_PREFIX = re.compile(r"[ ]*(?:-[ ]+)*")  # a line's indentation and dashes
_KEY = re.compile(r"""^([^\s#"'{\[\]}&*!|>%@`,?:-][^:#]*?|"[^"]*"|'[^']*')[ ]*:(?:[ ]|$)""")  # a block key
# The header of a block scalar (``body: |-``, ``- >2``, ``key: |+ # note``): the lines below it more
# indented are its text, moved as one piece so the text keeps its own inner indentation.
_BLOCK_HEADER = re.compile(r"(?::|^\s*-)\s+[|>][0-9+-]*\s*(?:#.*)?$")


@dataclass(frozen=True)
class _Unit:
    """Lines ``before[b0:b1]`` written as ``original[o0:o1]`` (1:1, or a group ruamel spells differently)."""

    b0: int
    b1: int
    o0: int
    o1: int


def merge(original: str, before: str, after: str) -> str:
    """``original`` with the change ``before -> after`` applied (all three LF text; see the module's docstring)."""
    if before == original:
        return after
    if before == after:
        return original
    o_lines, b_lines, a_lines = (_lines(text) for text in (original, before, after))
    units = _align(b_lines, o_lines)
    merged = "".join(line + "\n" for line in _apply(o_lines, b_lines, a_lines, units))
    return merged if _reads_right(merged, original, before, after) else after


def _lines(text: str) -> list[str]:
    """The lines of ``text`` without their LF (a last line without one is read as if it had it)."""
    return text.removesuffix("\n").split("\n")


def _key(line: str) -> str:
    """A line as compared between the file and ruamel: no indentation, one space after each dash."""
    key = line.replace("\t", " ").strip()
    return _DASHES.sub(lambda m: "- " * m.group().count("-"), key)


def _head(line: str) -> str | None:
    """The key a line starts (``title:``, ``- type:``), None for a line that goes on a value."""
    match = _KEY.match(_DASHES.sub("", _key(line)))
    return match.group(1) if match else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _prefix(line: str) -> str:
    """A line's indentation with its dashes (``"    -   "``): where the file and ruamel differ in layout."""
    match = _PREFIX.match(line)
    return match.group() if match else ""


def _align(b_lines: list[str], o_lines: list[str]) -> list[_Unit]:
    """``before``'s lines matched with ``original``'s, as units covering both in order."""
    matcher = difflib.SequenceMatcher(None, [_key(x) for x in b_lines], [_key(x) for x in o_lines], autojunk=False)
    units: list[_Unit] = []
    for tag, b0, b1, o0, o1 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and b1 - b0 == o1 - o0):
            units.extend(_Unit(b0 + k, b0 + k + 1, o0 + k, o0 + k + 1) for k in range(b1 - b0))
        else:  # lines ruamel joins or splits (a plain text over two lines): split at the keys both have
            units.extend(_by_keys(b_lines, o_lines, b0, b1, o0, o1))
    return units


def _by_keys(b_lines: list[str], o_lines: list[str], b0: int, b1: int, o0: int, o1: int) -> list[_Unit]:
    """A group of lines spelt differently, cut into one unit per key both start (``title:`` over two lines)."""
    heads_b = [_head(b_lines[i]) or f"\0b{i}" for i in range(b0, b1)]
    heads_o = [_head(o_lines[j]) or f"\0o{j}" for j in range(o0, o1)]
    starts = [(b0, o0)]
    for block in difflib.SequenceMatcher(None, heads_b, heads_o, autojunk=False).get_matching_blocks():
        starts.extend((b0 + block.a + k, o0 + block.b + k) for k in range(block.size) if (b0 + block.a + k, o0 + block.b + k) != (b0, o0))
    ends = [*starts[1:], (b1, o1)]
    return [_Unit(sb, eb, so, eo) for (sb, so), (eb, eo) in zip(starts, ends, strict=True) if (sb, so) != (eb, eo)]


def _hunks(b_lines: list[str], a_lines: list[str], units: list[_Unit]) -> list[tuple[int, int, int, int]]:
    """The edit's changed ranges ``(b0, b1, a0, a1)``, each widened to whole units, overlapping ones joined."""
    groups = [u for u in units if u.b1 - u.b0 > 1]
    hunks: list[tuple[int, int, int, int]] = []
    for tag, b0, b1, a0, a1 in difflib.SequenceMatcher(None, b_lines, a_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        lo, hi = b0, b1
        for unit in groups:  # a change inside lines ruamel spells as a group takes the whole group
            if (unit.b0 < hi and lo < unit.b1) if hi > lo else unit.b0 < lo < unit.b1:
                lo, hi = min(lo, unit.b0), max(hi, unit.b1)
        a0, a1 = a0 - (b0 - lo), a1 + (hi - b1)  # the widened lines are unchanged: the same in both
        if hunks and (lo < hunks[-1][1] or not "".join(b_lines[hunks[-1][1] : lo]).strip()):
            lo, _, a0, _ = hunks.pop()  # overlapping, or apart only by blank lines: one change (a text's new paragraph)
        hunks.append((lo, hi, a0, a1))
    return hunks


def _before(unit: _Unit, b0: int, b1: int) -> bool:
    """Whether ``unit`` is written before a change of ``before[b0:b1]`` (lines only the file has: before a
    replacement at their place, after an insertion there -- an item added last goes above a closing ``...``)."""
    if unit.b1 > unit.b0:
        return unit.b1 <= b0
    return unit.b0 < b0 or (unit.b0 == b0 and b1 > b0)


def _inside(unit: _Unit, b0: int, b1: int) -> bool:
    if unit.b1 > unit.b0:
        return b0 <= unit.b0 and unit.b1 <= b1
    return b0 < unit.b0 < b1


def _apply(o_lines: list[str], b_lines: list[str], a_lines: list[str], units: list[_Unit]) -> list[str]:
    hunks = _hunks(b_lines, a_lines, units)
    same = [u for u in units if u.b1 - u.b0 == 1 and u.o1 - u.o0 == 1 and b_lines[u.b0].strip()]
    layout = {u.b0: (_prefix(b_lines[u.b0]), _prefix(o_lines[u.o0])) for u in same}
    moved: dict[str, list[str]] = {}  # ruamel's text of a line the edit removes -> the file's own spelling of it
    for b0, b1, _, _ in hunks:
        for unit in same:
            if b0 <= unit.b0 < b1:
                moved.setdefault(b_lines[unit.b0], []).append(o_lines[unit.o0])
    out: list[str] = []
    at = 0  # the next unit to write
    for b0, b1, a0, a1 in hunks:
        while at < len(units) and _before(units[at], b0, b1):
            out.extend(o_lines[units[at].o0 : units[at].o1])
            at += 1
        out.extend(_placed(a_lines[a0:a1], layout, len(b_lines), b1, moved))
        while at < len(units) and _inside(units[at], b0, b1):
            if units[at].b0 == units[at].b1:  # lines only the file has (``...``): the edit never removes them
                out.extend(o_lines[units[at].o0 : units[at].o1])
            at += 1
    for unit in units[at:]:
        out.extend(o_lines[unit.o0 : unit.o1])
    return out


def _placed(new: list[str], layout: dict[int, tuple[str, str]], size: int, b1: int, moved: dict[str, list[str]]) -> list[str]:
    """The edit's new lines as the file writes them: a moved line as it was, any other in the file's layout there."""
    out: list[str] = []
    block: tuple[int, int] | None = None  # (the header's indentation, the shift given to it) while inside a block text
    for line in new:
        if block is not None and (not line.strip() or _indent(line) > block[0]):
            if moved.get(line):  # a text moved with its item: its lines as the file has them
                out.append(moved[line].pop(0))
                continue
            out.append(" " * max(0, _indent(line) + block[1]) + line.lstrip(" ") if line.strip() else line)
            continue
        block = None
        if moved.get(line):
            own = moved[line].pop(0)
        elif not line.strip():
            own = line
        else:
            ours = _prefix(line)
            own = _layout_for(ours, layout, size, b1) + line[len(ours) :]
        out.append(own)
        if _BLOCK_HEADER.search(line):
            block = (_indent(line), len(_prefix(own)) - len(_prefix(line)))
    return out


def _layout_for(ours: str, layout: dict[int, tuple[str, str]], size: int, b1: int) -> str:
    """The file's spelling of ruamel's line start ``ours`` (``"  - "``), from the nearest unchanged line written so.

    Looked for upward from the change first (the item above, the key that
    holds the list), then downward; else the indentation of the nearest line
    as deep, or shallower above.
    """
    order = [*range(min(b1, size) - 1, -1, -1), *range(b1, size)]
    for i in order:
        if i in layout and layout[i][0] == ours:
            return layout[i][1]
    depth, dashes = _indent(ours), ours.lstrip(" ")
    for i in order:
        if i in layout and _indent(layout[i][0]) == depth:
            return " " * _indent(layout[i][1]) + dashes
    for i in range(min(b1, size) - 1, -1, -1):
        if i in layout and _indent(layout[i][0]) < depth:
            return " " * max(0, depth + _indent(layout[i][1]) - _indent(layout[i][0])) + dashes
    return ours


def _reads_right(merged: str, original: str, before: str, after: str) -> bool:
    """Whether ``merged`` reads as ``original``'s data with the edit (``before -> after``'s data change) made.

    Not simply as ``after``: ruamel misspells a few untouched things the merge
    keeps right (a block with an indentation indicator, ``body: |2``, comes
    back indented by two more -- a different text).
    """
    import yaml as pyyaml

    loader = getattr(pyyaml, "CBaseLoader", pyyaml.BaseLoader)
    try:
        got, own, old, new = (_load(text, loader) for text in (merged, original, before, after))
    except pyyaml.YAMLError:
        return False
    return got == _edited(own, old, new)


def _edited(own: Any, old: Any, new: Any) -> Any:
    """``own`` (the file's data) with the change ``old -> new`` (ruamel's reading of it before and after) made."""
    if old == new:
        return own
    if isinstance(new, dict) and isinstance(old, dict) and isinstance(own, dict):
        return {key: _edited(own[key], old[key], value) if key in old and key in own else value for key, value in new.items()}
    if isinstance(new, list) and isinstance(old, list) and isinstance(own, list) and len(old) == len(own):
        left = list(range(len(old)))  # items kept (maybe moved) are found by their value
        out, edited = [], []
        for index, value in enumerate(new):
            match = next((i for i in left if old[i] == value), None)
            if match is None:
                edited.append(index)
                out.append(value)
            else:
                left.remove(match)
                out.append(own[match])
        for index in edited:  # an item changed where it stands
            if len(new) == len(old) and index in left:
                out[index] = _edited(own[index], old[index], new[index])
        return out
    return new


def _load(text: str, loader: Any) -> Any:
    import yaml as pyyaml

    return pyyaml.load(text, Loader=loader)  # noqa: S506 -- the base loader builds strings, lists and dicts only
