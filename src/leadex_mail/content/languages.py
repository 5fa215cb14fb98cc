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

__all__ = ["LANGUAGE_RE", "NotALanguage", "edition_language", "file_language_problem", "is_edition_language", "suggested_code"]

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
