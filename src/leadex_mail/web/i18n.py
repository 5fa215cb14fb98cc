"""Per-language strings of the web pages, and choosing the page language.

Strings live in ``web/catalogs/<lang>.toml``; adding a language is adding a
catalog. A key missing from a catalog falls back to English, so a page never
breaks on a half-translated catalog (a test keeps the key sets equal).

The page language is, in order: the subscriber's language (pages reached by
a personal link), an explicit ``?lang=`` choice, the browser's
``Accept-Language``, then ``settings.default_language``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_DIR = Path(__file__).parent / "catalogs"
FALLBACK = "en"


@dataclass(frozen=True)
class Catalog:
    """The strings of one language; ``t(key, **values)`` formats one."""

    language: str
    strings: Mapping[str, str]
    fallback: Mapping[str, str]

    def t(self, key: str, **values: object) -> str:
        """The string ``key`` in this language (English if missing), formatted with ``values``."""
        text = self.strings.get(key) or self.fallback.get(key)
        if text is None:
            raise KeyError(f"no web string {key!r} in any catalog")
        return text.format(**values) if values else text


@cache
def _load(language: str) -> dict[str, str]:
    path = CATALOG_DIR / f"{language}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def languages() -> tuple[str, ...]:
    """Codes of every language with a catalog, sorted."""
    return tuple(sorted(p.stem for p in CATALOG_DIR.glob("*.toml")))


def catalog(language: str) -> Catalog:
    """The catalog for ``language`` (English when there is none for it)."""
    lang = language if language in languages() else FALLBACK
    return Catalog(lang, _load(lang), _load(FALLBACK))


def parse_accept_language(header: str) -> list[str]:
    """Primary language codes from an ``Accept-Language`` header, best first.

    ``"sl-SI,sl;q=0.9,en;q=0.8"`` -> ``["sl", "sl", "en"]``; entries with
    ``q=0`` are dropped; malformed weights count as 0.
    """
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag.split("-")[0]))
    return [code for _, _, code in sorted(ranked)]


def negotiate(
    *,
    subscriber_language: str | None = None,
    query_language: str | None = None,
    accept_language: str | None = None,
    default: str = "sl",
) -> str:
    """Pick the page language by the module's order of preference."""
    available = languages()
    for choice in (subscriber_language, query_language):
        if choice in available:
            return choice  # type: ignore[return-value]
    for code in parse_accept_language(accept_language or ""):
        if code in available:
            return code
    return default if default in available else FALLBACK
