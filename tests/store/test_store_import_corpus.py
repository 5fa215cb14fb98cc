"""The bad-input CSV corpus: each file's exact import report, then the store agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadex_mail.store import subscribers

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(CORPUS.glob("*.csv"))


def _expected(csv_file: Path) -> str:
    return csv_file.with_suffix(".expected").read_text(encoding="utf-8")


def test_corpus_is_complete():
    names = {f.name for f in FILES}
    for wanted in ("bom_utf8.csv", "cp1250_semicolon.csv", "quoted_newlines.csv", "blank_lines.csv", "missing_email.csv",
                   "invalid_and_duplicates.csv", "long_fields.csv", "crlf_injection.csv"):
        assert wanted in names
    assert (CORPUS / "bom_utf8.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        (CORPUS / "cp1250_semicolon.csv").read_bytes().decode("utf-8")


@pytest.mark.parametrize("csv_file", FILES, ids=[f.stem for f in FILES])
def test_report_is_exact_and_dry_run_writes_nothing(csv_file, store, cli):
    expected = _expected(csv_file)
    dry = cli("subscribers", "import", str(csv_file), "--dry-run")
    if dry.exit_code == 0:
        body, _, _exit = expected.rpartition("exit 0\n")
        assert dry.output == body + "dry run: nothing was written\n"
    else:
        assert f"{dry.output}exit {dry.exit_code}\n" == expected
    assert subscribers.stats(store).total == 0

    real = cli("subscribers", "import", str(csv_file))
    assert f"{real.output}exit {real.exit_code}\n" == expected
    imported = int(expected.split("imported: ")[1].split("\n")[0]) if real.exit_code == 0 else 0
    assert subscribers.stats(store).total == imported


def test_cp1250_and_bom_text_arrives_intact(store, cli):
    cli("subscribers", "import", str(CORPUS / "cp1250_semicolon.csv"))
    cli("subscribers", "import", str(CORPUS / "bom_utf8.csv"), "--lang", "en")
    jure = subscribers.get_subscriber(store, "jure@example.org")
    assert jure.name == "Jure Žnidaršič"
    assert jure.attributes == {"organisation": "Zavod Čebela", "country": "Slovenija"}
    assert subscribers.get_subscriber(store, "ziga@example.org").name == "Žiga Čampa"
    # The BOM did not stick to the first header: the email column was found.
    assert subscribers.get_subscriber(store, "ana.novak@example.org").language == "sl"
    assert subscribers.get_subscriber(store, "spela@example.com").language == "en"  # no language in the row: --lang


def test_duplicates_merged_and_idn_normalised(store, cli):
    cli("subscribers", "import", str(CORPUS / "invalid_and_duplicates.csv"))
    ana = subscribers.get_subscriber(store, "ana@example.org")
    assert (ana.name, ana.language) == ("Ana Novak", "en")  # later non-empty values win
    assert subscribers.get_subscriber(store, "info@bücher.example.org").email == "info@xn--bcher-kva.example.org"


def test_unknown_columns_become_attributes(store, cli):
    cli("subscribers", "import", str(CORPUS / "tab_separated.csv"))
    ana = subscribers.get_subscriber(store, "ana@example.org")
    assert ana.attributes == {"country": "SI", "Favourite colour": "blue"}
