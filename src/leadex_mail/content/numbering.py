"""Whether another issue beside this one has its number (two "No. 2" in one newsletter).

Issue numbers count the newsletter's issues: a second "No. 2" (one in
2026-12, one in 2027-03, the studio accepting any number with any month)
tells subscribers and the project's reporting that one issue is another.
Said as a warning at the default edition's ``number``: the mail itself is
whole, and a reissue may mean it.

Only the ``number:`` line of the other issues' edition files is read (no
YAML parsing: ``check`` and the studio's live check run this on every
change), remembered per file version.

    number_taken_problems(issue, smap)   # [Problem(code="issue.number_taken", ...)] or []
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from leadex_mail.content.model import Issue
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

EDITION_SUFFIXES = (".yaml", ".yml")
_NUMBER_LINE = re.compile(r"^number:[ \t]*['\"]?(\d+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)


def numbers_beside(folder: Path) -> dict[int, list[str]]:
    """``{number: [slug, ...]}`` of the issue folders beside ``folder`` (itself left out), by their edition files' ``number:``."""
    found: dict[int, list[str]] = {}
    parent = folder.parent
    try:
        others = sorted(p for p in parent.iterdir() if p.is_dir() and p.name != folder.name and not p.name.startswith((".", "_")))
    except OSError:
        return {}
    for other in others:
        numbers: set[int] = set()
        try:
            files = [p for p in other.iterdir() if p.suffix in EDITION_SUFFIXES and not p.name.startswith((".", "_")) and p.is_file()]
        except OSError:
            continue
        for file in files:
            stat = file.stat()
            numbers.update(_numbers(str(file), stat.st_mtime_ns, stat.st_size))
        for number in numbers:
            found.setdefault(number, []).append(other.name)
    return found


@lru_cache(maxsize=1024)
def _numbers(file: str, mtime_ns: int, size: int) -> frozenset[int]:
    try:
        text = Path(file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(int(n) for n in _NUMBER_LINE.findall(text))


def number_taken_problems(issue: Issue, smap: SourceMap) -> list[Problem]:
    """A warning at the default edition's ``number`` (``smap``: its source map) when an issue beside it has that number too."""
    folder = Path(issue.folder)
    number = issue.edition().number
    beside = numbers_beside(folder)
    taken = beside.get(number, [])
    if not taken:
        return []
    free = max([number, *beside]) + 1
    names = ", ".join(taken)
    message = f"No. {number} is also the number of the issue {names}: subscribers would get two issues numbered {number}"
    hint = f"give this issue a number no other issue has (No. {free} is free), or correct the number of {names}"
    return [smap.problem(("number",), message, hint, code="issue.number_taken", severity="warning", args={"other": number, "value": names})]
