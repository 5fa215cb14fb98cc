"""What an issue file may not hold, found before any parser builds a node from it.

A file over ``MAX_FILE_BYTES`` is refused before any parser sees it
(``too_big``); a character YAML does not allow is located by line and column
(``unprintable_problem``); ``guard_events`` reads a parser's *events*
(iterative, no recursion) and stops at the first anchor or alias ("billion
laughs" expansion, self-referencing lists), tag, merge key, list used as a
key or ``%`` directive, or at a nesting deeper than ``MAX_DEPTH`` (the
recursive composers would overflow the stack). Each answer is a located
``Problem``; ``yamlsource.load_yaml`` raises it, the studio's document reader
says it. See docs/decisions.md ("Hostile issue files").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from leadex_mail.content.model import control_name
from leadex_mail.errors import Problem

# An edition of issue No. 1 is 10 KB; 25 times that is still a plausible issue,
# and keeps ruamel's pure-Python parse of a broken file well under a second.
MAX_FILE_BYTES = 256 * 1024
# Issue files nest 6 levels (file > sections > section > interviews > interview > image).
MAX_DEPTH = 32

# Characters YAML 1.2 does not allow in a file (its c-printable set, plus TAB/LF/CR).
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def unprintable_problem(text: str, display: str) -> Problem | None:
    """The first character YAML does not allow in ``text`` as a located ``Problem``; None when there is none.

    YAML refuses them too, but with an offset instead of a line.
    """
    found = _UNPRINTABLE.search(text)
    if found is None:
        return None
    index = found.start()
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return Problem(
        display,
        line,
        column,
        "",
        f"the file contains the invisible control character {control_name(text[index])}",
        "delete it and retype the words around it (it often comes with text copied from another program)",
        code="file.control_character",
    )


def guard_events(events: Iterable[Any], display: str) -> Problem | None:
    """The first construct issue files do not use, in a YAML event stream, as a located ``Problem``; None when safe.

    Refused: anchors and aliases ("billion laughs" expansion, self-reference),
    nesting deeper than ``MAX_DEPTH``, tags of any kind (``!foo``, ``!!str``,
    ``!!python/...``: they make the parsers build objects, or fail, where the
    node walk expects text), merge keys (``<<``), keys that are lists or
    groups, and ``%`` directives. ``events`` is libyaml's or ruamel's parse
    (both name their classes alike and mark 0-based positions). Reading
    stops at the first offence, so a 30 000-bracket file costs no more than
    33 brackets. A syntax error raised while reading is left to the caller
    (its parser explains it).
    """
    open_nodes: list[list[int]] = []  # per open collection: [1 for a mapping else 0, nodes seen in it]
    for event in events:
        kind = type(event).__name__
        if kind == "AliasEvent" or getattr(event, "anchor", None) is not None:
            return _anchor_problem(event, display, alias=kind == "AliasEvent")
        if kind == "DocumentStartEvent" and (getattr(event, "version", None) or getattr(event, "tags", None)):
            return _refused(event, display, "YAML directives (lines starting with %) are not allowed in issue files", "delete the line that starts with %")
        if kind in ("ScalarEvent", "MappingStartEvent", "SequenceStartEvent"):
            refused = _refused_node(event, kind, display, is_key=bool(open_nodes) and open_nodes[-1][0] == 1 and open_nodes[-1][1] % 2 == 0)
            if refused is not None:
                return refused
            if open_nodes:
                open_nodes[-1][1] += 1
            if kind != "ScalarEvent":
                open_nodes.append([1 if kind == "MappingStartEvent" else 0, 0])
                if len(open_nodes) > MAX_DEPTH:
                    return _depth_problem(event, display)
        elif kind in ("MappingEndEvent", "SequenceEndEvent") and open_nodes:
            open_nodes.pop()
    return None


def _refused_node(event: Any, kind: str, display: str, *, is_key: bool) -> Problem | None:
    """A tag, a merge key or a list/group used as a key; None for a node issue files may hold."""
    tag = getattr(event, "tag", None)
    if tag is not None:
        written = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
        hint = "delete the tag (the word starting with !) before the value; if the text itself starts with !, put it in quotes"
        return _refused(event, display, f"YAML tags are not allowed in issue files ({written})", hint)
    if is_key and kind != "ScalarEvent":
        return _refused(event, display, "a list or group of fields cannot stand where a field name goes", "field names are single words followed by a colon, e.g. `title:`")
    if is_key and event.value == "<<" and event.style in (None, ""):
        hint = "write the fields out in full where they are needed: issue files never need merge keys"
        return _refused(event, display, "YAML merge keys (<<) are not allowed in issue files", hint)
    return None


def _refused(event: Any, display: str, message: str, hint: str) -> Problem:
    line, col = _mark(event)
    return Problem(display, line, col, "", message, hint, code="file.construct")


def _mark(event: Any) -> tuple[int | None, int | None]:
    mark = getattr(event, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _anchor_problem(event: Any, display: str, *, alias: bool) -> Problem:
    name = f"*{event.anchor}" if alias else f"&{event.anchor}"
    hint = "write the value out in full where it is needed: issue files never need them, and a few can make a small file expand to gigabytes"
    return _refused(event, display, f"YAML anchors and aliases are not allowed in issue files ({name})", hint)


def _depth_problem(event: Any, display: str) -> Problem:
    hint = "an edition needs about 6 levels (sections, items, fields); look for a [ or { that is never closed, or indentation that keeps growing"
    return _refused(event, display, f"lists and groups of fields are nested more than {MAX_DEPTH} levels deep here", hint)


def too_big(display: str, size: int) -> Problem:
    """The refusal of a file of ``size`` bytes, over ``MAX_FILE_BYTES`` (code ``file.too_big``)."""
    return Problem(
        display,
        None,
        None,
        "",
        f"the file is {_size_words(size)}; an issue file may be at most {_size_words(MAX_FILE_BYTES)}",
        "issue files hold text only (pictures go in images/); is this the right file? A very long issue is better split in two",
        code="file.too_big",
    )


def _size_words(size: int) -> str:
    """``"293 KB"``; in bytes when kilobytes would round to the limit ("256 KB; at most 256 KB" says nothing)."""
    if round(size / 1024) == MAX_FILE_BYTES // 1024 and size != MAX_FILE_BYTES:
        return f"{size:,} bytes"
    return f"{size / 1024:.0f} KB" if size != MAX_FILE_BYTES else f"{MAX_FILE_BYTES // 1024} KB ({MAX_FILE_BYTES:,} bytes)"
