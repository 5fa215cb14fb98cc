"""Per-language fixed strings (catalogs) and locale-aware dates.

A catalog is ``catalogs/<lang>.toml`` with one ``[strings]`` table. English is
the reference: a key missing from another catalog falls back to English, so
a new language works before it is complete (a test lists what is missing).
Adding a language is adding a catalog file.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_interval, format_skeleton

from leadex_mail.errors import RenderError

CATALOG_DIR = Path(__file__).parent / "catalogs"
FALLBACK = "en"
# CLDR skeletons every locale defines directly (datetime and interval
# formats): asking for one it lacks ("yMMMMd") makes Babel search for the
# nearest, which costs far more than the formatting, for the same output.
MONTH_YEAR = "yMMMM"
DAY = "yMMMd"
YEAR = "y"
# How each precision of a written date (content.dates) is shown.
SKELETONS = {"day": DAY, "month": MONTH_YEAR, "year": YEAR}


def available_languages() -> list[str]:
    """Language codes that have a catalog file."""
    return sorted(p.stem for p in CATALOG_DIR.glob("*.toml"))


def _stamp(language: str) -> int:
    try:
        return (CATALOG_DIR / f"{language}.toml").stat().st_mtime_ns
    except OSError:
        return 0


def raw_catalog(language: str) -> dict[str, str]:
    """The strings of one catalog file as written (no fallback); {} when absent."""
    return _read(language, _stamp(language))


@lru_cache(maxsize=64)
def _read(language: str, stamp: int) -> dict[str, str]:
    """One catalog file, cached by its modification time: `preview` sees edits at once."""
    path = CATALOG_DIR / f"{language}.toml"
    if not stamp:
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RenderError(f"catalog {path}: not valid TOML: {exc}", hint="fix the catalog file") from None
    return {str(k): str(v) for k, v in table.get("strings", {}).items()}


def catalog(language: str) -> dict[str, str]:
    """The strings for ``language``: its own catalog over the English one."""
    base = language.split("-")[0]
    return _merged(language, base, _stamp(FALLBACK), _stamp(base), _stamp(language))


@lru_cache(maxsize=64)
def _merged(language: str, base: str, *stamps: int) -> dict[str, str]:
    merged = dict(raw_catalog(FALLBACK))
    merged.update(raw_catalog(base))
    merged.update(raw_catalog(language))
    return merged


def missing_keys(language: str) -> set[str]:
    """Keys the English catalog has and ``language``'s lacks (they fall back)."""
    return set(raw_catalog(FALLBACK)) - set(raw_catalog(language))


@cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        # An edition in a language Babel does not know still renders, with English dates.
        return Locale.parse(FALLBACK)


@lru_cache(maxsize=1024)
def month_year(date: dt.date, language: str) -> str:
    """Month and year as the locale writes them standing alone: 'april 2026', 'April 2026'."""
    return format_skeleton(MONTH_YEAR, date, locale=_locale(language))


def date_range(start: dt.date, end: dt.date | None, language: str) -> str:
    """A date or a range as precise as written (``content.dates.WrittenDate``; a plain date is a day).

    Days: '9.–11. mar. 2026', 'Mar 9 – 11, 2026'; months: 'marec–maj 2026',
    'March 2026'; years: '2025', '2025–2026'. Both ends share a precision
    (the model checks it).
    """
    precision = getattr(start, "precision", "day")
    # The precision is part of the cache key: 2026-03 and 2026-03-01 are equal dates.
    return _date_range(dt.date(start.year, start.month, start.day), precision, _plain(end), language)


def _plain(day: dt.date | None) -> dt.date | None:
    return None if day is None else dt.date(day.year, day.month, day.day)


@lru_cache(maxsize=1024)  # Babel's skeleton matching costs ~1 ms a call; the same dates recur
def _date_range(start: dt.date, precision: str, end: dt.date | None, language: str) -> str:
    locale = _locale(language)
    skeleton = SKELETONS[precision]
    if end is None or end == start:
        return format_skeleton(skeleton, start, locale=locale)
    return format_interval(start, end, skeleton, locale=locale)
