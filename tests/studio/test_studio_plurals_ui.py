"""Counts in the studio's words agree with their number, in English and in Slovenian (a13c: "1 sections were changed").

A string with a count in it is a table of CLDR plural forms (i18n.Words.t):
English one/other, Slovenian one (1, 101), two (2, 102), few (3, 4, 103) and
other (0, 5 ... 100). A count that cannot be a table (filled in by the page's
script, or not called ``n``) is written so that it needs no plural: a label
and the number ("deliveries: 3"), or an abbreviation ("15 min").
"""

from __future__ import annotations

import re
import tomllib

import pytest

from leadex_mail.studio.i18n import CATALOG_DIR, words

SIDE_STALE = {
    "en": {1: "1 section was changed", 2: "2 sections were changed", 5: "5 sections were changed"},
    "sl": {
        1: "1 razdelek je bil v izvirniku spremenjen",
        2: "2 razdelka sta bila v izvirniku spremenjena",
        3: "3 razdelki so bili v izvirniku spremenjeni",
        4: "4 razdelki so bili",
        5: "5 razdelkov je bilo v izvirniku spremenjenih",
        101: "101 razdelek je bil",
        102: "102 razdelka sta bila",
        103: "103 razdelki so bili",
        111: "111 razdelkov je bilo",
    },
}


@pytest.mark.parametrize("language", sorted(SIDE_STALE))
def test_sections_changed_in_the_original_are_counted_in_the_right_form(language: str) -> None:
    for n, start in SIDE_STALE[language].items():
        assert words(language).t("side_stale", n=n).startswith(start), (n, words(language).t("side_stale", n=n))


def test_hours_of_a_session_that_ended_are_counted_in_the_right_form() -> None:
    assert "for 1 hour." in words("en").t("signed_out_expired", n=1)
    assert "for 8 hours." in words("en").t("signed_out_expired", n=8)
    assert [words("sl").t("signed_out_expired", n=n).split("studia ")[1].split(" niste")[0] for n in (1, 2, 3, 5)] == ["1 uro", "2 uri", "3 ure", "5 ur"]


# A count directly before an English plural noun ("{n} sections"), or "(s)": a count that needs plural forms.
# (A placeholder before another word is a position or a verb: "section {n} when ...", "{n} sent".)
_COUNTED_NOUN = re.compile(r"\{(n|count|events|deliveries|minutes|sent|failed|done|total)\} (?!min\b)[a-z]+s\b")
_WORDS_THAT_DO_NOT_CHANGE = re.compile(r"\{\w+\} (is|was|has|does|sends|leaves)\b")


def test_no_plain_english_string_counts_a_noun_without_plural_forms() -> None:
    ui = tomllib.loads((CATALOG_DIR / "en.toml").read_text(encoding="utf-8"))["ui"]
    wrong = {
        key: text
        for key, text in ui.items()
        if isinstance(text, str) and ("(s)" in text or any(not _WORDS_THAT_DO_NOT_CHANGE.match(m.group(0)) for m in _COUNTED_NOUN.finditer(text)))
    }
    assert not wrong, wrong
