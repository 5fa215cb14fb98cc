"""Where a translation's lists of items (events, partners, interviews, buttons) are not the default edition's.

The default edition leads: a translation translates it item by item. An
item added to or removed from a list of the default edition only (an event
without a date, an interview, a "More here" button) and not in a
translation means the translation's subscribers miss it, or get one the
original took back; nothing else would say so. Sections are paired as the
date check pairs them (the n-th of a kind with the default edition's n-th of
that kind); every list in them, at any depth, is compared by its length.
Errors (``send`` refuses them; docs/decisions.md, "## Content").

    item_count_problems(edition, default, smap)
    # [Problem(..., code="edition.items_differ", args=(("n", 1), ("other", 2), ...)): n in the translation, other in the default edition]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from leadex_mail.content.model import Edition
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.counts import counted
from leadex_mail.errors import Problem


def paired_sections(edition: Edition, default: Edition) -> Iterator[tuple[int, BaseModel, BaseModel]]:
    """``(index in edition, its section, the default edition's section it translates)``: the n-th of a kind with the n-th."""
    theirs: dict[str, list[BaseModel]] = {}
    for section in default.sections:
        theirs.setdefault(section.type, []).append(section)
    seen: dict[str, int] = {}
    for index, section in enumerate(edition.sections):
        nth = seen[section.type] = seen.get(section.type, -1) + 1
        pair = theirs.get(section.type, [])
        if nth < len(pair):
            yield index, section, pair[nth]


def lists_apart(mine: Any, other: Any, path: tuple) -> Iterator[tuple[tuple, int, int]]:
    """``(path, len in mine, len in other)`` for each list under ``mine`` whose length differs in ``other`` (walked together).

    A list of the same length is walked into, item by item; one of another
    length is not (its items are not paired any more).
    """
    if isinstance(mine, BaseModel) and type(other) is type(mine):
        for name in type(mine).model_fields:
            yield from lists_apart(getattr(mine, name), getattr(other, name), (*path, name))
    elif isinstance(mine, list) and isinstance(other, list):
        if len(mine) != len(other):
            yield path, len(mine), len(other)
            return
        for index, (a, b) in enumerate(zip(mine, other)):
            yield from lists_apart(a, b, (*path, index))


def item_count_problems(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    """An error at each list of ``edition``'s sections that has more or fewer items than the default edition's."""
    problems = []
    for index, section, original in paired_sections(edition, default):
        for path, mine, theirs in lists_apart(section, original, ("sections", index)):
            field = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path[2:]).replace(".[", "[")
            where = f"section {index + 1} ({section.type}), {field}"
            message = f"{where}: the {default.language} edition has {counted(theirs, 'item')} here, the {edition.language} edition {mine}"
            if theirs > mine:
                hint = f"translate here what the {default.language} edition has and this one lacks (in the studio: Add), so that each item translates the one beside it; or correct the {default.language} edition"
            else:
                hint = f"remove here what the {default.language} edition does not have (in the studio: Remove), so that each item translates the one beside it; or correct the {default.language} edition"
            problems.append(smap.problem(path, message, hint, code="edition.items_differ", severity="error", key=True, args={"n": mine, "other": theirs, "other_language": default.language}))
    return problems
