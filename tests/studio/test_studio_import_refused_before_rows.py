"""An import refused before any row is read is said on the Subscribers page in the officer's words (en, sl).

The checks an import makes before its rows -- the language of rows without one (the page's field, or the
studio's default), the column headings that become a subscriber's details -- raised the store's
``InvalidValue``, which the page showed in the core's English ("language 'xx' is not a known language
code", "an attribute name contains a line break or control character (U+0001)"; s8 tester). They now fail
as ``ImportFailed`` with a code (``store.importcodes``), said from the catalogs; the CLI keeps its words.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.errors import ImportFailed
from leadex_mail.store.db import open_store
from leadex_mail.store.importer import import_csv
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, csrf_token, serve_studio, studio_settings

LONG = "x" * 120
CASES = {  # code: (file, form's language, en words, sl words)
    "bad_language": ("email\nana@example.org\n", "xx", "“xx” is not a language code, so nothing was imported.", "»xx« ni koda jezika, zato ni bilo uvoženo nič."),
    "heading_control": (
        "email,Odde\x01lek\nana@example.org,1\n", "sl",
        "The column heading “Oddelek” (column 2) holds an invisible control character, so nothing was imported.",
        "Naslov stolpca »Oddelek« (stolpec 2) vsebuje neviden krmilni znak, zato ni bilo uvoženo nič.",
    ),
    "heading_too_long": (
        f"email,{LONG}\nana@example.org,1\n", "sl",
        f"The column heading “{LONG[:40]}…” (column 2) is longer than 100 characters, so nothing was imported.",
        f"Naslov stolpca »{LONG[:40]}…« (stolpec 2) je daljši od 100 znakov, zato ni bilo uvoženo nič.",
    ),
}
CORE = ("not a known language code", "attribute name", "control character (U+", "is longer than 100 characters (", "fix the source", "ISO 639")


@pytest.fixture
def import_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    try:
        with serve_studio(settings, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


@pytest.mark.parametrize("ui", ["en", "sl"])
@pytest.mark.parametrize("code", list(CASES))
def test_an_import_refused_before_its_rows_is_said_in_the_officers_words(import_studio: RunningStudio, code: str, ui: str) -> None:
    text, language, en, sl = CASES[code]
    client = import_studio.client()
    token = csrf_token(client, f"/subscribers?ui={ui}")
    answer = client.post(
        "/subscribers/import", data={"csrf": token, "language": language, "list": "", "encoding": ""},
        files={"file": ("partnerji.csv", text.encode("utf-8"), "text/csv")},
    )
    assert answer.status_code == 400, answer.text[:400]
    page = html.unescape(answer.text)
    assert (en if ui == "en" else sl) in page, page[page.find('role="alert"') - 200:][:800]
    assert not [w for w in CORE if w in page], f"the core's words on the page ({ui})"


def test_the_cli_keeps_its_words_and_the_failure_carries_its_code(tmp_path: Path) -> None:
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    try:
        for code, (text, language, _, _) in CASES.items():
            path = tmp_path / f"{code}.csv"
            path.write_text(text, encoding="utf-8")
            with pytest.raises(ImportFailed) as raised:
                import_csv(store, path, language=language, dry_run=True)
            assert raised.value.code == code
        with pytest.raises(ImportFailed) as raised:
            import_csv(store, tmp_path / "bad_language.csv", dry_run=True, default_language="zz")
    finally:
        store.close()
    assert raised.value.code == "bad_default_language" and raised.value.args_said == {"language": "zz"}
    assert raised.value.message == "language 'zz' is not a known language code"  # the CLI's words, as before
