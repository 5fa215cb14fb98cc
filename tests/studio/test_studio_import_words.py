"""The subscriber import's dry run and result in the officer's words, sl and en (a13d #16).

The page is made from the core's report object: no "'E-pošta' -> email", no "en  English: 22 -> en", no
"dry run: nothing was written" or "merged duplicates" -- a table of the file's columns and what each becomes,
the edition each language gets, the counts, and the merged and refused rows by their line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.lists import create_list
from studio.studio_helpers import ISSUE, RunningStudio, add_english_edition, assert_accessible, copy_newsletters, serve_studio_on_store, studio_settings

pytestmark = pytest.mark.browser

CSV = (
    "E-pošta;Ime;Priimek;Jezik;Organizacija\n"
    "ana@example.org;Ana;Novak;sl;Zavod A\n"
    "beth@example.org;Beth;Jones;EN-gb;Partner B\n"
    "not-an-address;X;Y;sl;\n"
    "ana@example.org;Ana;Novak;sl;Zavod A\n"
    "pablo@example.org;Pablo;Ruiz;es;Socio C\n"
)
# What the CLI's text says, and must not be on the officer's page.
CLI_WORDS = ("->", "dry run", "merged duplicates", "would import", "would reject", "columns:", "nothing was written", "English:")

WORDS = {
    "en": {
        "ui": "English",
        "show": "Show what would be imported",
        "confirm": "Import these now",
        "address": "the address",
        "part": "part of the name (joined with the other name columns)",
        "english": "English (en-GB)",
        "english_gets": "the en edition",
        "spanish_gets": "the sl edition, the default (there is no edition in Spanish (es))",
        "added_dry": "Would be added",
        "added": "Added",
        "twice": "the same address as line 2: the name, language and details of line 2 are kept; only the lists this line names are added",
        "nothing": "Nothing has been written yet",
    },
    "sl": {
        "ui": "slovenščina",
        "show": "Pokaži, kaj bi uvozil",
        "confirm": "Uvozi zdaj",
        "address": "naslov",
        "part": "del imena (združen z drugimi stolpci imena)",
        "english": "angleščina (en-GB)",
        "english_gets": "izdajo en",
        "spanish_gets": "izdajo sl, privzeto (izdaje v jeziku španščina (es) ni)",
        "added_dry": "Bi bilo dodanih",
        "added": "Dodanih",
        "twice": "isti naslov kot v vrstici 2: ime, jezik in podatki ostanejo iz vrstice 2; dodani so le seznami, ki jih navaja ta vrstica",
        "nothing": "Nič še ni zapisano",
    },
}


@pytest.fixture
def import_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    """The studio over issue No. 1 (sl) with an en edition beside it, and one list."""
    copy_newsletters(tmp_path, ISSUE)
    add_english_edition(tmp_path)

    def one_list(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", title="LeadEx novice", public=True)

    with serve_studio_on_store(studio_settings(tmp_path), None, root=tmp_path, prepare=one_list) as running:
        yield running


def _text(page: Page) -> str:
    return page.locator("#import-report").inner_text()


@pytest.mark.parametrize("ui", ["en", "sl"])
def test_the_import_report_is_in_the_officers_words_not_the_clis(import_studio: RunningStudio, studio_page: Page, tmp_path: Path, ui: str) -> None:
    studio, page, w = import_studio, studio_page, WORDS[ui]
    export = tmp_path / "partnerji.csv"
    export.write_text(CSV, encoding="utf-8")
    page.goto(studio.url + f"/subscribers?ui={ui}")
    page.locator("#import-file").set_input_files(export)
    page.get_by_role("button", name=w["show"]).click()
    report = page.locator("#import-report")
    expect(report).to_contain_text(w["nothing"])
    text = _text(page)
    assert not [c for c in CLI_WORDS if c.lower() in text.lower()], text
    columns = dict(zip(page.locator("#import-columns tbody th").all_inner_texts(), page.locator("#import-columns tbody td").all_inner_texts()))
    assert columns["E-pošta"] == w["address"] and columns["Ime"] == columns["Priimek"] == w["part"]
    languages = {row.locator("th").inner_text(): row.locator("td").all_inner_texts() for row in page.locator("#import-languages tbody tr").all()}
    assert languages[w["english"]] == ["1", w["english_gets"]]
    assert any(cells == ["1", w["spanish_gets"]] for cells in languages.values()), languages
    counts = dict(zip(page.locator(".import-counts dt").all_inner_texts(), page.locator(".import-counts dd").all_inner_texts()))
    assert counts[w["added_dry"]] == "3"
    expect(page.locator("#import-merged tbody tr")).to_have_count(1)
    expect(page.locator("#import-merged tbody td")).to_have_text(w["twice"])
    expect(page.locator("#import-rejected tbody th")).to_have_text(["4"])
    assert_accessible(page)
    page.get_by_role("button", name=w["confirm"]).click()
    expect(page.get_by_role("status")).to_be_visible()
    text = _text(page)
    assert not [c for c in CLI_WORDS if c.lower() in text.lower()], text
    counts = dict(zip(page.locator(".import-counts dt").all_inner_texts(), page.locator(".import-counts dd").all_inner_texts()))
    assert counts[w["added"]] == "3"
    assert w["nothing"] not in text


NOTHING = {
    "en": ("There is nothing to import: the file has a header row but no people under it. Choose another file.",
           "There is nothing to import: no row would add anyone or change anything (see why below). Choose another file."),
    "sl": ("Ničesar ni za uvoz: datoteka ima vrstico z naslovi stolpcev, pod njo pa nikogar. Izberite drugo datoteko.",
           "Ničesar ni za uvoz: nobena vrstica ne bi nikogar dodala ali česa spremenila (razlogi so spodaj). Izberite drugo datoteko."),
}


@pytest.mark.parametrize("ui", ["en", "sl"])
def test_a_file_with_nothing_to_import_says_so_and_offers_no_import(import_studio: RunningStudio, studio_page: Page, tmp_path: Path, ui: str) -> None:
    """A header and no rows, or rows that add nobody: the dry run says so; no "Import these now" (a14)."""
    studio, page, w = import_studio, studio_page, WORDS[ui]
    for name, text, said in (("empty.csv", "E-pošta;Ime\n", NOTHING[ui][0]), ("bad.csv", "E-pošta;Ime\nnot-an-address;X\n", NOTHING[ui][1])):
        export = tmp_path / name
        export.write_text(text, encoding="utf-8")
        page.goto(studio.url + f"/subscribers?ui={ui}")
        page.locator("#import-file").set_input_files(export)
        page.get_by_role("button", name=w["show"]).click()
        expect(page.locator("#import-nothing")).to_have_text(said)
        expect(page.get_by_role("button", name=w["confirm"])).to_have_count(0)
        expect(page.locator("#import-report")).not_to_contain_text(w["nothing"])
        assert_accessible(page)
