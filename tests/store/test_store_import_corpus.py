"""The CSV corpus: each file's exact import report, then the store holds exactly the names expected.

Files are written by ``corpus/make_corpus.py`` (which also holds ``STORED``,
the names and languages the store must hold after each import). Imports run
through the CLI into the test's real database, so encoding detection,
headers, languages and the report are checked end to end.
"""

from __future__ import annotations

import codecs
import importlib.util
from pathlib import Path

import pytest

from leadex_mail.store import subscribers

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(CORPUS.glob("*.csv"))
NEWSLETTERS = Path(__file__).resolve().parents[2] / "newsletters"  # the shipped issue: editions sl and en
_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(make_corpus)  # type: ignore[union-attr]
# How a dry run words the counts: what would happen, not what did.
DRY_WORDS = {"imported: ": "would import: ", "updated: ": "would update: ", "changed on the way in: ": "would change on the way in: ", "rejected: ": "would reject: "}


def _expected(csv_file: Path) -> str:
    return csv_file.with_suffix(".expected").read_text(encoding="utf-8")


def _dry(expected: str) -> str:
    """The dry run's report, from the real one: "would" wording and the closing line."""
    lines = expected.splitlines()
    body, end = lines[:-1], lines[-1]
    for i, line in enumerate(body):
        for real, dry in DRY_WORDS.items():
            if line.startswith(real):
                body[i] = dry + line.removeprefix(real)
    if "\nimported: 0\nupdated: 0\n" in expected:  # the dry run says there is nothing to import (a14)
        rows = int(expected.split(" row", 1)[0].rsplit(" ", 1)[1])
        body.append("nothing to import: " + ("the file has a header row but no rows of people under it" if not rows else "no row would add or change anyone"))
    return "\n".join([*body, "dry run: nothing was written", end]) + "\n"


def _import(cli, csv_file: Path, *args: str):
    return cli("subscribers", "import", str(csv_file), *args, env={"LEADEX_NEWSLETTERS_DIR": str(NEWSLETTERS)})


def test_corpus_is_complete_and_shaped_like_excel():
    names = {f.name for f in FILES}
    assert set(make_corpus.FILES) == names
    assert set(make_corpus.STORED) <= names
    assert (CORPUS / "bom_utf8.csv").read_bytes().startswith(codecs.BOM_UTF8)
    assert (CORPUS / "excel_unicode_text_utf16.csv").read_bytes().startswith(codecs.BOM_UTF16_LE)
    for name in ("excel_es_cp1252.csv", "excel_et_cp1257.csv", "excel_pl_cp1250.csv", "excel_cnr_cp1251_sep.csv", "cp1250_semicolon.csv"):
        data = (CORPUS / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert b"\r\n" in data and not data.startswith(codecs.BOM_UTF8)
    assert (CORPUS / "excel_cnr_cp1251_sep.csv").read_bytes().startswith(b"sep=;\r\n")
    assert (CORPUS / "excel_da_cp1252_sep_comma.csv").read_bytes().startswith(b"sep=,\r\n")


@pytest.mark.parametrize("csv_file", FILES, ids=[f.stem for f in FILES])
def test_report_is_exact_and_dry_run_writes_nothing(csv_file, store, cli):
    expected = _expected(csv_file)
    dry = _import(cli, csv_file, "--dry-run")
    if dry.exit_code == 0:
        assert f"{dry.output}exit {dry.exit_code}\n" == _dry(expected)
    else:
        assert f"{dry.output}exit {dry.exit_code}\n" == expected
    assert subscribers.stats(store).total == 0

    real = _import(cli, csv_file)
    assert f"{real.output}exit {real.exit_code}\n" == expected
    imported = int(expected.split("imported: ")[1].split("\n")[0]) if real.exit_code == 0 else 0
    assert subscribers.stats(store).total == imported


@pytest.mark.parametrize("name", sorted(make_corpus.STORED), ids=[n.removesuffix(".csv") for n in sorted(make_corpus.STORED)])
def test_the_store_holds_the_expected_names(name, store, cli):
    _import(cli, CORPUS / name)
    stored = {row.email: (row.name, row.language) for row in subscribers.list_subscribers(store)}
    assert stored == make_corpus.STORED[name]


def test_cp1250_and_bom_text_arrives_intact(store, cli):
    _import(cli, CORPUS / "cp1250_semicolon.csv")
    _import(cli, CORPUS / "bom_utf8.csv", "--lang", "en")
    jure = subscribers.get_subscriber(store, "jure@example.org")
    assert jure.name == "Jure Žnidaršič"
    assert jure.attributes == {"organisation": "Zavod Čebela", "country": "Slovenija"}
    assert subscribers.get_subscriber(store, "ziga@example.org").name == "Žiga Čampa"
    # The BOM did not stick to the first header: the email column was found.
    assert subscribers.get_subscriber(store, "ana.novak@example.org").language == "sl"
    assert subscribers.get_subscriber(store, "spela@example.com").language == "en"  # no language in the row: --lang


def test_duplicates_merged_and_idn_normalised(store, cli):
    _import(cli, CORPUS / "invalid_and_duplicates.csv")
    ana = subscribers.get_subscriber(store, "ana@example.org")
    assert (ana.name, ana.language) == ("Ana", "sl")  # the first row is kept; line 6 is the duplicate (a14)
    assert subscribers.get_subscriber(store, "info@bücher.example.org").email == "info@xn--bcher-kva.example.org"


def test_unknown_columns_become_attributes(store, cli):
    _import(cli, CORPUS / "tab_separated.csv")
    ana = subscribers.get_subscriber(store, "ana@example.org")
    assert ana.attributes == {"country": "SI", "Favourite colour": "blue"}
