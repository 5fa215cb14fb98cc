"""A count and its noun in English, for the core's and the operator's words ("1 edition", "3 editions").

The studio speaks to officers from its catalogs, where a count is a table of
plural forms (``studio.i18n``); the English the core writes for the terminal
and the log says each count with the noun in the form that agrees, never
"edition(s)".
"""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 edition"`` or ``"2 editions"`` (``plural`` for a noun that does not add -s: "1 entry", "2 entries")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def were(n: int) -> str:
    """The verb that agrees with a count of ``n``: "was" for one, "were" for any other number."""
    return "was" if n == 1 else "were"
