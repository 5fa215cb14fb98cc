"""The language of an edition: a BCP 47 tag CLDR knows, of the shape an edition is named by (``sl``, ``en``, ``en-GB``).

An edition's language is its key everywhere: its file name (``sl.yaml``),
its ``language:`` field, ``--lang``, the studio's addresses. It is read
through ``leadex_mail.languages`` (so ``EN`` is ``en`` and ``xx`` is no
language) and must then have the shape a file is named by: a language and
perhaps a country, no script.
"""

from __future__ import annotations

import re

from leadex_mail.languages import EXAMPLES, NotALanguage, canonical_language, suggested_code

__all__ = ["LANGUAGE_RE", "NotALanguage", "edition_language", "file_language_problem", "is_edition_language", "same_language", "suggested_code"]

# An edition's code as it is written once read (file names, the studio's addresses).
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


def edition_language(value: str) -> str:
    """``value`` as an edition's code (``EN`` -> ``en``, ``en_gb`` -> ``en-GB``); ``NotALanguage`` when it cannot be one."""
    code = canonical_language(value)
    if not LANGUAGE_RE.match(code):
        raise NotALanguage(value, f"{value!r} cannot name an edition", f"name an edition by its language, and perhaps a country: {EXAMPLES}, en-GB")
    return code


def file_language_problem(stem: str) -> tuple[str, str] | None:
    """``(what is wrong, hint)`` for an edition file named ``stem``.yaml; None when the name is a language code as written."""
    name = f"{stem}.yaml"
    try:
        code = edition_language(stem)
    except NotALanguage as err:
        what = "is not a known language code" if "known" in err.reason else "is not a language code"
        named = suggested_code(stem)
        return f"the file name {name!r} {what}", f"rename it to {named}.yaml" if named else f"name edition files by language: sl.yaml, en.yaml, ... ({err.hint})"
    if code != stem:
        return f"the file name {name!r} is not written as its language code is", f"rename it to {code}.yaml"
    return None


def is_edition_language(stem: str) -> bool:
    """Whether ``stem`` names an edition file as it should be named (``sl``; not ``SL``, not ``xx``)."""
    return file_language_problem(stem) is None


def _likely(code: str) -> tuple[str, str]:
    """``(language, region)`` of an edition's code with CLDR's likely region added (``sl`` -> ``("sl", "SI")``)."""
    from babel.core import get_global

    language, _, region = code.partition("-")
    likely = str(get_global("likely_subtags").get(language, "")).split("_")
    return language, region or (likely[-1] if len(likely) > 1 else "")


def same_language(a: str, b: str) -> bool:
    """Whether editions ``a`` and ``b`` (edition codes) are one language for every reader: ``sl-SI`` and ``sl``, ``en`` and ``en-US``.

    BCP 47 (RFC 5646 section 4.1) adds a region only where it tells something
    apart; CLDR's likely subtags say what a bare tag means (``sl`` is
    Slovenian of Slovenia, ``en`` of the United States, ``pt`` of Brazil), so
    ``sl-SI`` says nothing ``sl`` does not, while ``en-GB`` beside ``en`` is
    a regional edition of its own. Two such editions split one language's
    subscribers by how their tag happens to be written (the store's RFC 4647
    lookup gives ``sl-SI`` the one, ``sl`` and ``sl-IT`` the other).
    """
    return a != b and _likely(a) == _likely(b)
