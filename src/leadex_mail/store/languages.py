"""Language tags of subscribers: BCP 47 checked against CLDR (Babel), and the edition each gets.

A tag is normalised to the case BCP 47 recommends (RFC 5646 §2.1.1:
language lower case, script title case, region upper case) with ``_``
read as ``-``: ``EN-gb`` -> ``en-GB``, ``SL`` -> ``sl``, ``sr_latn_me`` ->
``sr-Latn-ME``. Three-letter codes with a two-letter equivalent and
deprecated codes take CLDR's replacement (``slv`` -> ``sl``, ``iw`` ->
``he``, region ``UK`` -> ``GB``); a code CLDR maps onto a different
language *and* region (``cnr`` -> ``sr-ME``) is kept as written, since
that replacement says something else to the people it names.

Which edition a subscriber gets is the RFC 4647 §3.4 "lookup" of their tag
among an issue's editions: the tag, then the tag with its last subtag cut,
and so on; nothing left -> the default edition (``en-GB`` gets ``en``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache

from babel import Locale
from babel.core import get_global

from leadex_mail.errors import InvalidValue

_TAG = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?$")
# Languages CLDR has no display name for, because it aliases them.
_NAMES = {"cnr": "Montenegrin", "sh": "Serbo-Croatian"}
# ISO 639 codes that name no language a person reads (undetermined, none, multiple, uncoded).
_SPECIAL = frozenset({"und", "zxx", "mul", "mis"})


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


def normalise_language(value: str) -> str:
    """The canonical BCP 47 form of ``value``, or ``InvalidValue`` when it names no known language.

    Accepts ``language[-Script][-REGION]`` in any case, with ``-`` or ``_``;
    the language subtag must be one CLDR knows (ISO 639), the script one of
    ISO 15924 and the region one of ISO 3166 / UN M.49.
    """
    text = (value or "").strip().replace("_", "-")
    found = _TAG.match(text)
    if not found:
        raise InvalidValue(
            f"language {value!r} is not a language code", hint="use a code such as sl, en or en-GB", reason=f"language {value!r} is not a language code"
        )
    language, script, region = found.group(1).lower(), found.group(2), found.group(3)
    languages, scripts, territories, language_aliases, territory_aliases = _cldr()
    if language in _SPECIAL or language not in languages:
        alias = None if language in _SPECIAL else language_aliases.get(language)
        if alias is None:
            raise InvalidValue(
                f"language {value!r} is not a known language code", hint="use an ISO 639 code such as sl, en, es, et, hr, pl",
                reason=f"language {value!r} is not a known language code",
            )
        if "_" not in alias:
            language = alias  # slv -> sl, iw -> he: the same language, shorter or current code
    if script is not None:
        script = script.title()
        if script not in scripts:
            raise InvalidValue(f"language {value!r}: {script!r} is not a script code", reason=f"language {value!r}: unknown script {script!r}")
    if region is not None:
        region = region.upper()
        if region not in territories:
            replaced = territory_aliases.get(region, [])
            if len(replaced) != 1:
                raise InvalidValue(f"language {value!r}: {region!r} is not a country or region code", reason=f"language {value!r}: unknown region {region!r}")
            region = replaced[0]  # UK -> GB
    return "-".join(part for part in (language, script, region) if part)


def language_name(tag: str) -> str:
    """The English name of a tag, e.g. ``English (United Kingdom)``; the tag itself when unknown."""
    languages, scripts, territories, _, _ = _cldr()
    parts = tag.split("-")
    name = languages.get(parts[0]) or _NAMES.get(parts[0]) or parts[0]
    details = [scripts.get(p, p) if len(p) == 4 else territories.get(p, p) for p in parts[1:]]
    return f"{name} ({', '.join(details)})" if details else name


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
