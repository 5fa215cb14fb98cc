"""Language tags: BCP 47 (RFC 5646) checked against CLDR's registry of languages, scripts and regions (Babel).

Every place a language code enters -- an edition's ``language:`` and its
file name, ``--lang``, the studio's forms, a CSV import, a subscriber --
reads it through ``canonical_language``, so ``EN`` is ``en`` everywhere and
``xx`` (no language) nowhere.

A tag is normalised to the case BCP 47 recommends (RFC 5646 §2.1.1:
language lower case, script title case, region upper case) with ``_``
read as ``-``: ``EN-gb`` -> ``en-GB``, ``SL`` -> ``sl``, ``sr_latn_me`` ->
``sr-Latn-ME``. Three-letter codes with a two-letter equivalent and
deprecated codes take CLDR's replacement (``slv`` -> ``sl``, ``iw`` ->
``he``, region ``UK`` -> ``GB``); a code CLDR maps onto a different
language *and* region (``cnr`` -> ``sr-ME``) is kept as written, since
that replacement says something else to the people it names.

Errors: ``NotALanguage`` (a ``ValueError`` with ``reason`` and ``hint``);
each layer wraps it where the code enters (the store as ``InvalidValue``,
the content as a located ``Problem``, the CLI as a bad option).
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale
from babel.core import UnknownLocaleError, get_global

_TAG = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?$")
# Languages CLDR has no display name for, because it aliases them.
_NAMES = {"cnr": "Montenegrin", "sh": "Serbo-Croatian"}
# ISO 639 codes that name no language a person reads (undetermined, none, multiple, uncoded).
_SPECIAL = frozenset({"und", "zxx", "mul", "mis"})
EXAMPLES = "sl, en, es, et, hr, pl, da"


class NotALanguage(ValueError):
    """``value`` is not a language tag CLDR knows; ``reason`` says why, ``hint`` what to write."""

    def __init__(self, value: str, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.value, self.reason, self.hint = value, reason, hint


@cache
def _cldr() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str], dict[str, list[str]]]:
    english = Locale("en")
    return (
        dict(english.languages),
        dict(english.scripts),
        dict(english.territories),
        dict(get_global("language_aliases")),
        dict(get_global("territory_aliases")),
    )


def canonical_language(value: str) -> str:
    """The canonical BCP 47 form of ``value``; ``NotALanguage`` when it names no known language.

    Accepts ``language[-Script][-REGION]`` in any case, with ``-`` or ``_``;
    the language subtag must be one CLDR knows (ISO 639), the script one of
    ISO 15924 and the region one of ISO 3166 / UN M.49.
    """
    text = (value or "").strip().replace("_", "-")
    found = _TAG.match(text)
    if not found:
        raise NotALanguage(value, f"{value!r} is not a language code", suggestion(value) or f"use a code such as {EXAMPLES} (ISO 639), or en-GB")
    language, script, region = found.group(1).lower(), found.group(2), found.group(3)
    languages, scripts, territories, language_aliases, territory_aliases = _cldr()
    if language in _SPECIAL or language not in languages:
        alias = None if language in _SPECIAL else language_aliases.get(language)
        if alias is None:
            raise NotALanguage(value, f"{value!r} is not a known language code", suggestion(value) or f"use an ISO 639 code such as {EXAMPLES}")
        if "_" not in alias:
            language = alias  # slv -> sl, iw -> he: the same language, shorter or current code
    if script is not None:
        script = script.title()
        if script not in scripts:
            raise NotALanguage(value, f"{value!r}: {script!r} is not a script code", "write a script as ISO 15924 does, e.g. sr-Latn, or leave it out")
    if region is not None:
        region = region.upper()
        if region not in territories:
            replaced = territory_aliases.get(region, [])
            if len(replaced) != 1:
                raise NotALanguage(value, f"{value!r}: {region!r} is not a country or region code", "write a country as ISO 3166 does, e.g. en-GB, or leave it out")
            region = replaced[0]  # UK -> GB
    return "-".join(part for part in (language, script, region) if part)


def suggestion(value: str) -> str | None:
    """A hint naming the code of a language written by its name (``Slovenian``, ``slovenščina`` -> ``sl``), if it is one."""
    code = suggested_code(value)
    return f"write {code} (the code of {value.strip()})" if code else None


def suggested_code(value: str) -> str | None:
    """The code of the language ``value`` names (``Slovenian``, ``slovenščina`` -> ``sl``); None when it names none."""
    wanted = (value or "").strip().casefold()
    return _by_name().get(wanted) if len(wanted) >= 3 else None


# The languages whose words for languages are known (the project partners' own): "Slovenian",
# "slovenščina", "español", "eesti" and "polski" are each read as the name of their code.
_NAMED_IN = ("en", "sl", "es", "et", "pl", "hr", "da", "sr", "de", "fr", "it")


@cache
def _by_name() -> dict[str, str]:
    """Language names in ``_NAMED_IN``'s languages -> the two-letter code, for the languages that have one."""
    names: dict[str, str] = {}
    for words in _NAMED_IN:
        for code, name in Locale(words).languages.items():
            if len(code) == 2:
                names.setdefault(name.casefold(), code)
    return names


def language_name(tag: str) -> str:
    """The English name of a tag, e.g. ``English (United Kingdom)``; the tag itself when unknown."""
    languages, scripts, territories, _, _ = _cldr()
    parts = tag.split("-")
    name = languages.get(parts[0]) or _NAMES.get(parts[0]) or parts[0]
    details = [scripts.get(p, p) if len(p) == 4 else territories.get(p, p) for p in parts[1:]]
    return f"{name} ({', '.join(details)})" if details else name
