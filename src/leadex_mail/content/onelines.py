"""One-line fields written over several lines: a warning at the line, with what to do.

A heading, title, name, label, role, alt text or link address is one line by its kind: the page shows it
as one (the mail's HTML runs its lines together, the plain-text part breaks it where the file does, the
studio's one-line box cannot hold it). A hand-written file can still break one: a YAML block scalar
(``title: |`` and two indented lines) keeps each line break. Fields that become mail headers refuse a
break outright (``model.refuse_control``); every other one-line field is warned about here, at the
file:line of the break (docs/decisions.md, "## Content").

Which fields are one line is read from the model (``walk.field_kinds``): every text field that is not
Markdown, link addresses included. A project's tagline keeps its line breaks (docs/format.md: the
email breaks it where the file does); postal addresses and the funding statement may span lines.

Shapes: ``line_break_problems(data, cls, smap) -> Iterator[Problem]`` (severity ``warning``, code
``value.line_break``). No errors are raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from leadex_mail.content.walk import leaves
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

# A line feed and Unicode's line and paragraph separators (CR and NEL are control characters, refused already).
_BREAK = re.compile("[\n\u2028\u2029]")
# Text that may span lines by its kind: a project's tagline (rendered line by line), postal addresses (the
# footer, the privacy notice) and the funding statement.
SPANS_LINES = frozenset({"tagline", "address", "contact_address", "funding"})


def line_break_problems(data: dict[str, Any], cls: type[BaseModel], smap: SourceMap) -> Iterator[Problem]:
    """A warning for each one-line field of ``data`` (a dumped ``cls``) whose value holds a line break."""
    for leaf in leaves(data, cls):
        if leaf.kind == "markdown" or not isinstance(leaf.value, str):
            continue
        if any(part in SPANS_LINES for part in leaf.path if isinstance(part, str)):
            continue
        found = _BREAK.search(leaf.value)
        if found is None:
            continue
        name = next((str(part) for part in reversed(leaf.path) if isinstance(part, str)), "the value")
        lines = len(_BREAK.split(leaf.value))
        message = f"{name!r} is one line, but it is written over {lines} lines"
        hint = (
            "join the lines into one: a block scalar (`|`) keeps each line break, which the plain-text part "
            "shows and the mail's HTML runs together; write the value after the colon on one line"
        )
        yield smap.problem_in(leaf.path, leaf.value, found.group(), message, hint, code="value.line_break", severity="warning")
