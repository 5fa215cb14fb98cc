"""Catalogs of fixed strings per language, and dates per locale."""

from __future__ import annotations

import datetime as dt

import pytest

from leadex_mail.render import i18n


def test_every_catalog_has_every_english_key():
    missing = {lang: sorted(i18n.missing_keys(lang)) for lang in i18n.available_languages()}
    assert missing == {lang: [] for lang in i18n.available_languages()}, f"keys that fall back to English: {missing}"


def test_no_catalog_has_keys_english_lacks():
    english = set(i18n.raw_catalog("en"))
    extra = {lang: sorted(set(i18n.raw_catalog(lang)) - english) for lang in i18n.available_languages()}
    assert extra == {lang: [] for lang in i18n.available_languages()}


def test_sl_en_hr_exist_and_say_the_seed_words():
    assert {"sl", "en", "hr"} <= set(i18n.available_languages())
    assert i18n.catalog("sl")["more_here"] == "VEČ TUKAJ"
    assert i18n.catalog("sl")["unsubscribe"] == "Odjava"
    assert i18n.catalog("sl")["view_in_browser"] == "Poglej v brskalniku"
    assert i18n.catalog("en")["more_here"] == "MORE HERE"


def test_missing_language_falls_back_to_english():
    assert i18n.catalog("de")["unsubscribe"] == "Unsubscribe"
    assert i18n.missing_keys("de") == set(i18n.raw_catalog("en"))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("sl", "april 2026"), ("en", "April 2026"), ("hr", "travanj 2026.")],
)
def test_month_year(lang, expected):
    assert i18n.month_year(dt.date(2026, 4, 1), lang) == expected


@pytest.mark.parametrize(
    ("lang", "start", "end", "expected"),
    [
        ("sl", dt.date(2025, 5, 19), dt.date(2025, 5, 21), "19.–21. maj 2025"),
        ("en", dt.date(2025, 5, 19), dt.date(2025, 5, 21), "May 19\u2009–\u200921, 2025"),  # Babel puts thin spaces around the dash
        ("sl", dt.date(2025, 9, 30), dt.date(2025, 10, 2), "30. sep.–2. okt. 2025"),
        ("sl", dt.date(2025, 10, 15), None, "15. okt. 2025"),
        ("en", dt.date(2025, 10, 15), dt.date(2025, 10, 15), "Oct 15, 2025"),
    ],
)
def test_date_ranges(lang, start, end, expected):
    assert i18n.date_range(start, end, lang) == expected


def test_an_edited_catalog_is_read_again(tmp_path, monkeypatch):
    """`preview` re-renders when a catalog changes; the new string must show."""
    import os

    folder = tmp_path / "catalogs"
    folder.mkdir()
    (folder / "en.toml").write_text('[strings]\nunsubscribe = "Unsubscribe"\n', encoding="utf-8")
    (folder / "xx.toml").write_text('[strings]\nunsubscribe = "Old"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOG_DIR", folder)
    assert i18n.catalog("xx")["unsubscribe"] == "Old"
    (folder / "xx.toml").write_text('[strings]\nunsubscribe = "New"\n', encoding="utf-8")
    os.utime(folder / "xx.toml", ns=(1, 1))
    assert i18n.catalog("xx")["unsubscribe"] == "New"


# Dates as precise as written (issue 9 item 3): year, month, day and ranges of each, per locale.
T = "\u2009"  # CLDR puts thin spaces around the interval dash in en and hr
WRITTEN = [
    ("2025", None, {"sl": "2025", "en": "2025", "hr": "2025."}),
    ("2025", "2026", {"sl": "2025–2026", "en": f"2025{T}–{T}2026", "hr": f"2025.{T}–{T}2026."}),
    ("2026-03", None, {"sl": "marec 2026", "en": "March 2026", "hr": "ožujak 2026."}),
    ("2026-03", "2026-05", {"sl": "marec–maj 2026", "en": f"March{T}–{T}May 2026", "hr": f"ožujak{T}–{T}svibanj 2026."}),
    ("2026-03-09", None, {"sl": "9. mar. 2026", "en": "Mar 9, 2026", "hr": "9. ožu 2026."}),
    ("2026-03-09", "2026-03-11", {"sl": "9.–11. mar. 2026", "en": f"Mar 9{T}–{T}11, 2026", "hr": f"09.{T}–{T}11. ožu 2026."}),
]


@pytest.mark.parametrize("lang", ["sl", "en", "hr"])
@pytest.mark.parametrize(("start", "end", "expected"), WRITTEN, ids=[f"{s}..{e}" for s, e, _ in WRITTEN])
def test_written_dates_per_locale(start, end, expected, lang):
    from leadex_mail.content.dates import WrittenDate

    first = WrittenDate.parse(start)
    last = WrittenDate.parse(end) if end else None
    assert i18n.date_range(first, last, lang) == expected[lang]


def test_equal_dates_of_different_precision_are_not_confused_by_the_cache():
    from leadex_mail.content.dates import WrittenDate

    assert i18n.date_range(WrittenDate.parse("2026-03"), None, "en") == "March 2026"
    assert i18n.date_range(WrittenDate.parse("2026-03-01"), None, "en") == "Mar 1, 2026"
    assert i18n.date_range(WrittenDate.parse("2026"), None, "en") == "2026"
