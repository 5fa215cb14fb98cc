"""Language tags of subscribers, and the edition each gets.

A subscriber's language is read by ``leadex_mail.languages`` (BCP 47
against CLDR: ``EN-gb`` -> ``en-GB``, ``xx`` refused); here it becomes the
store's ``InvalidValue``.

Which edition a subscriber gets is the RFC 4647 §3.4 "lookup" of their tag
among an issue's editions: the tag, then the tag with its last subtag cut,
and so on; nothing left -> the default edition (``en-GB`` gets ``en``).
"""

from __future__ import annotations

from collections.abc import Collection

from leadex_mail.errors import InvalidValue
from leadex_mail.languages import NotALanguage, canonical_language, language_name

__all__ = ["edition_for", "language_name", "normalise_language"]


def normalise_language(value: str) -> str:
    """The canonical BCP 47 form of ``value`` (``languages.canonical_language``); ``InvalidValue`` when it names no known language."""
    try:
        return canonical_language(value)
    except NotALanguage as err:
        raise InvalidValue(f"language {err.reason}", hint=err.hint, reason=f"language {err.reason}") from None


def edition_for(language: str, editions: Collection[str], default: str) -> str:
    """The edition a subscriber of ``language`` gets: RFC 4647 lookup among ``editions``, else ``default``.

    Matching ignores case (BCP 47 tags are case-insensitive); the edition is
    returned as ``editions`` spells it.
    """
    spelled = {e.lower(): e for e in editions}
    parts = (language or "").lower().split("-")
    while parts:
        found = spelled.get("-".join(parts))
        if found is not None:
            return found
        parts.pop()
        if parts and len(parts[-1]) == 1:
            parts.pop()  # never end on a singleton (RFC 4647 §3.4)
    return default
