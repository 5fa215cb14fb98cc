"""The studio's words in the officer's language: labels, help and messages.

Strings live in ``studio/catalogs/<lang>.toml`` (``[ui]`` for the pages,
``[fields]`` for a field's label, ``[help]`` for the line under it,
``[sections]`` for section types, ``[choices]`` for the values of a
choice). A field the catalogs do not name yet -- one the format gained --
shows the schema's own title and description, so a format change never
breaks a page (a test keeps the catalogs complete for the format as it is).

The page language is the officer's choice (``?ui=``, kept in the session),
else the browser's ``Accept-Language``, else ``settings.default_language``,
else English.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from leadex_mail.studio.formschema import Spec
from leadex_mail.web.i18n import parse_accept_language

CATALOG_DIR = Path(__file__).parent / "catalogs"
FALLBACK = "en"


@cache
def _load(language: str) -> dict[str, dict[str, str]]:
    return tomllib.loads((CATALOG_DIR / f"{language}.toml").read_text(encoding="utf-8"))


@cache
def languages() -> tuple[str, ...]:
    """Codes of the languages the studio speaks, sorted."""
    return tuple(sorted(p.stem for p in CATALOG_DIR.glob("*.toml")))


@dataclass(frozen=True)
class Words:
    """The studio's strings in one language, English where a string is missing."""

    language: str

    def _get(self, table: str, key: str, n: Any = None) -> str | None:
        """``key`` of ``table``; a table of plural forms gives the form for the count ``n`` (``other`` without one)."""
        for lang in (self.language, FALLBACK):
            found: Any = _load(lang).get(table, {}).get(key)
            if isinstance(found, dict):
                return str(found.get(plural_category(lang, _count(n)), found["other"]))
            if found is not None:
                return str(found)
        return None

    def t(self, key: str, **values: Any) -> str:
        """The page string ``key``, formatted with ``values``; ``KeyError`` when no catalog has it.

        A string that depends on a number is a table of CLDR plural forms
        (``one``, ``two``, ``few``, ``other``: ``{one = "1 error", other = "{n} errors"}``);
        the form is chosen by ``values["n"]`` and the catalog's language
        (Slovenian has a dual and a "few" form), ``other`` when one is missing.
        """
        found: Any = None
        for lang in (self.language, FALLBACK):
            found = _load(lang).get("ui", {}).get(key)
            if found is not None:
                break
        if found is None:
            raise KeyError(f"no studio string {key!r}")
        if isinstance(found, dict):
            form = plural_category(lang, int(values.get("n", 0)))
            found = found.get(form, found["other"])
        text: str = _standing(found, lang)
        return text.format(**values) if values else text

    def forms(self, key: str) -> dict[str, str]:
        """The plural forms of ``key`` (CLDR category -> text), for the page's script (``Intl.PluralRules``)."""
        for lang in (self.language, FALLBACK):
            found = _load(lang).get("ui", {}).get(key)
            if found is not None:
                return dict(found) if isinstance(found, dict) else {"other": found}
        raise KeyError(f"no studio string {key!r}")

    def finding(self, code: str, values: dict[str, str]) -> str | None:
        """A check finding of ``code`` (``[findings]``) with ``values`` filled in; None when no catalog has it.

        A finding that counts something is a table of plural forms like ``t``'s, chosen by ``values["n"]``.
        """
        return _filled(self._get("findings", code, values.get("n")), values, self.language)

    def finding_hint(self, code: str, values: dict[str, str]) -> str | None:
        """What to do about a finding of ``code`` (``[finding_hints]``), or None."""
        return _filled(self._get("finding_hints", code, values.get("n")), values, self.language)

    def label(self, spec: Spec) -> str:
        """A field's label: the catalog's (``Type.field`` first, then ``field``), else the schema's title."""
        return self._get("fields", f"{spec.owner}.{spec.name}") or self._get("fields", spec.name) or spec.title or spec.name

    def help(self, spec: Spec) -> str:
        """The line under a field: the catalog's, else the schema's description (may be empty)."""
        return self._get("help", f"{spec.owner}.{spec.name}") or self._get("help", spec.name) or spec.description or ""

    def section(self, tag: str) -> str:
        """The name of a section type ("Novica" for ``story``)."""
        return self._get("sections", tag) or tag.replace("_", " ")

    def item(self, spec: Spec) -> str:
        """What one item of a list is called ("Dogodek" for an events item)."""
        return self._get("items", spec.type_name) or spec.type_name or self.t("item")

    def number(self, value: float, digits: int = 1) -> str:
        """``value`` with ``digits`` decimals and the language's decimal mark (``decimal_mark``): "0,1" in sl, "0.1" in en.

        The one way the studio's pages write a number with decimals; ``studio.js``'s ``Studio.number`` is its twin for
        figures a page updates itself (it reads the mark from the page: ``<body data-decimal-mark>``).
        """
        return f"{value:.{digits}f}".replace(".", self.t("decimal_mark"))

    def choice(self, spec: Spec, value: str) -> str:
        """The words for one value of a choice (``style: spotlight``)."""
        return self._get("choices", f"{spec.name}.{value}") or value


def _count(n: Any) -> int:
    """The count ``n`` a finding carries (an int, or its digits as text); 0 when it has none."""
    try:
        return int(str(n).replace(",", "").replace(".", "").replace("\u00a0", "")) if n is not None else 0
    except ValueError:
        return 0


class _Values(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "…"  # a value the finding did not carry: a gap, never a KeyError on the page


def _filled(text: str | None, values: dict[str, str], language: str = FALLBACK) -> str | None:
    return None if text is None else _standing(text, language).format_map(_Values(values))


def _standing(text: str, language: str) -> str:
    """``text`` with the values that are the same on every page filled in: ``{picture_kinds}``.

    "JPEG, PNG, GIF or WebP" comes from the list ``pictures.store_picture``
    checks against, so no sentence can name a kind it refuses or leave out
    one it takes (a13b #11: the error left out WebP).
    """
    return text.replace("{picture_kinds}", _picture_kinds(language)) if "{picture_kinds}" in text else text


@cache
def _picture_kinds(language: str) -> str:
    from babel.lists import format_list

    from leadex_mail.studio.pictures import accepted_names

    return format_list(accepted_names(), style="or", locale=language)


def plural_category(language: str, n: int) -> str:
    """The CLDR plural category of the integer ``n`` in ``language`` (CLDR plural rules, integers only)."""
    n = abs(n)
    if language == "sl":
        rest = n % 100
        return "one" if rest == 1 else "two" if rest == 2 else "few" if rest in (3, 4) else "other"
    return "one" if n == 1 else "other"


def words(language: str) -> Words:
    """The studio's strings in ``language`` (English when it has none)."""
    return Words(language if language in languages() else FALLBACK)


def negotiate(chosen: str | None, accept_language: str | None, default: str) -> str:
    """The page language: the officer's choice, the browser's, the configured default, English."""
    available = languages()
    if chosen in available:
        return chosen  # type: ignore[return-value]
    for code in parse_accept_language(accept_language or ""):
        if code in available:
            return code
    return default if default in available else FALLBACK


def language_name(code: str) -> str:
    """A language's name in that language, for switches ("Slovenščina")."""
    return words(code).t("language_name") if code in languages() else code
