"""Counts in check findings agree with their number in both catalogs; no "(s)" in the core's words (brief s6 C5, C6).

The reported fault: the Slovenian ``text.too_long`` said "{n} znakov" for
every n ("2 znakov"); Slovenian has four forms (1 znak, 2 znaka, 3-4 znaki,
5+ znakov). A finding that counts is a table of CLDR plural forms, as the
pages' strings are (``i18n.Words.t``), chosen by the finding's ``n``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

import leadex_mail

from leadex_mail.errors import Problem
from leadex_mail.studio.findings import place
from leadex_mail.studio.i18n import CATALOG_DIR, words

SRC = Path(leadex_mail.__file__).parent  # the code under test, as imported

TOO_LONG = {
    "sl": {1: "1 znak;", 2: "2 znaka;", 3: "3 znaki;", 4: "4 znaki;", 5: "5 znakov;", 101: "101 znak;", 102: "102 znaka;", 104: "104 znaki;", 50001: "50001 znak;", 52000: "52000 znakov;"},
    "en": {1: "1 character long", 2: "2 characters long", 52000: "52000 characters long"},
}


@pytest.mark.parametrize("language", sorted(TOO_LONG))
@pytest.mark.parametrize("code", ["text.too_long", "edition.subject_too_long"])
def test_a_counted_finding_takes_the_form_of_its_number(language: str, code: str) -> None:
    for n, said in TOO_LONG[language].items():
        problem = Problem("/x/2026-09-leadex-02/sl.yaml", 3, 1, "subject", "core", "hint", code=code, args={"n": n, "max": 50_000})
        message = place(problem, Path("/x/2026-09-leadex-02"), words(language)).message
        assert said in message, (n, message)


# A count placeholder directly before a word: the word is a counted noun (or an adjective that agrees with it).
_COUNTS = ("n", "count", "limit", "max", "min", "imported", "updated", "done", "total", "failed", "retrying", "kb", "most", "size", "minutes")
_COUNTED = re.compile(r"\{(" + "|".join(_COUNTS) + r")\} (?!KB\b|MB\b|min\b|s\b)([^\W\d_]+)")
# After a count, words that are no noun agreeing with it: a position ("section {n} should"), a preposition ("{n} od").
# (English nouns are read by their plural -s: "{n} waiting", "{n} sent" are no nouns; test_studio_plurals_ui reads [ui].)
_NOT_COUNTED = {"en": {"is", "was", "has", "does", "comes"}, "sl": {"bi", "od", "na", "do", "ni", "je"}}


# Counts that are a constant of the code, written in the form their value takes (a rate is a decimal: read apart).
_CONSTANT = {"ui.test_too_many"}  # at most MAX_TEST_ADDRESSES = 20 addresses (Slovenian says it with a label: no form to pick)


def _noun(word: str, language: str) -> bool:
    return word not in _NOT_COUNTED[language] and (language != "en" or word.endswith("s"))


@pytest.mark.parametrize("language", ["en", "sl"])
def test_no_catalog_string_counts_a_noun_without_plural_forms(language: str) -> None:
    catalog = tomllib.loads((CATALOG_DIR / f"{language}.toml").read_text(encoding="utf-8"))
    wrong = {
        f"{table}.{key}": text
        for table in ("ui", "findings", "finding_hints")
        for key, text in catalog[table].items()
        if isinstance(text, str) and f"{table}.{key}" not in _CONSTANT and ("(s)" in text or any(_noun(m.group(2), language) for m in _COUNTED.finditer(text)))
    }
    assert not wrong, wrong


def test_no_text_of_the_core_or_the_log_says_a_count_with_s_in_brackets() -> None:
    """ "1 edition(s) kept" is neither singular nor plural: ``counts.counted`` says "1 edition", "2 editions"."""
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[a-z]\(s\)", node.value):
                wrong.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value[:60]}")
    owned = [w for w in wrong if w.startswith(("content/", "gates/", "studio/app.py"))]
    assert not owned, owned
