"""Issue 9 item 2: partner CSV exports, each reported fault and its kind, through the CLI into a real store.

Every test here failed on main before this work (checked): names of a
Spanish or Estonian export were silently misread, "Priimek" was not part of
the name, ``sep=`` broke the header, languages were stored as written,
multi-line notes threw the person away, exports ran formulas.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leadex_mail.errors import ImportFailed
from leadex_mail.store import gdpr, importer, lists, subscribers

CORPUS = Path(__file__).resolve().parent / "corpus"


def _write(tmp_path: Path, text: str, encoding: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _names(store) -> dict[str, str | None]:
    return {row.email: row.name for row in subscribers.list_subscribers(store)}


# --- encodings ---------------------------------------------------------------


def test_spanish_windows_1252_export_keeps_its_names(store, cli):
    result = cli("subscribers", "import", str(CORPUS / "excel_es_cp1252.csv"))
    assert result.exit_code == 0, result.output
    assert subscribers.get_subscriber(store, "maria.munoz@example.es").name == "María José Muñoz Núñez"  # main: "Muńoz Núńez"
    assert "windows-1250 would read 'Muńoz'" in result.output  # the report says why


def test_estonian_windows_1257_export_keeps_its_names(store, cli):
    result = cli("subscribers", "import", str(CORPUS / "excel_et_cp1257.csv"))
    assert result.exit_code == 0, result.output
    assert subscribers.get_subscriber(store, "tonu.pold@example.ee").name == "Tõnu Põld"  # main: "Tőnu Pőld"
    assert subscribers.get_subscriber(store, "mari-liis@example.ee").name == "Mari-Liis Šmidt"  # Š is 0xD0 in 1257, Đ in 1250


def test_montenegrin_cyrillic_windows_1251(store, cli):
    assert cli("subscribers", "import", str(CORPUS / "excel_cnr_cp1251_sep.csv")).exit_code == 0
    assert subscribers.get_subscriber(store, "milos@example.me").name == "Милош Вукотић"


def test_an_uncertain_code_page_is_refused_with_each_reading_then_encoding_decides(store, cli, tmp_path):
    path = CORPUS / "ambiguous_cp1257.csv"
    refused = cli("subscribers", "import", str(path))
    assert refused.exit_code == 1
    assert "cannot tell for sure which encoding" in refused.output
    assert "as windows-1252 = windows-1257: line 2: 'Tõnu Põld'" in refused.output
    assert "as windows-1250: line 2: 'Tőnu Pőld'" in refused.output
    assert "--encoding" in refused.output
    assert subscribers.stats(store).total == 0  # never a silent guess

    told = cli("subscribers", "import", str(path), "--encoding", "windows-1257")
    assert told.exit_code == 0, told.output
    assert "(windows-1257, semicolon-separated)" in told.output
    assert _names(store) == {"tonu.pold@example.ee": "Tõnu Põld", "mari@example.ee": "Mari Õun"}


def test_a_language_column_settles_what_the_letters_cannot(store, cli, tmp_path):
    path = _write(tmp_path, "email;name;language\r\ntonu@example.ee;Tõnu Põld;et\r\n", "cp1257")
    result = cli("subscribers", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "by the file's own language (et)" in result.output
    assert _names(store) == {"tonu@example.ee": "Tõnu Põld"}


def test_encoding_override_errors_are_clear(store, cli):
    bogus = cli("subscribers", "import", str(CORPUS / "excel_es_cp1252.csv"), "--encoding", "klingon")
    assert (bogus.exit_code, bogus.output.splitlines()[0]) == (1, "error: --encoding klingon: no such encoding")
    wrong = cli("subscribers", "import", str(CORPUS / "excel_es_cp1252.csv"), "--encoding", "utf-8")
    assert wrong.exit_code == 1
    assert wrong.output.startswith("error: line 1: the file is not utf-8 as given with --encoding (byte 0xF3)")
    assert subscribers.stats(store).total == 0


def test_a_differing_letter_far_past_the_sampled_head_is_still_judged(store, tmp_path):
    # 400 KB of plain rows, then the one ñ: the head alone says nothing about 1250 vs 1252.
    rows = "".join(f"user{i}@example.org;User {i}\r\n" for i in range(15000))
    path = _write(tmp_path, "email;name\r\n" + rows + "pena@example.es;Iñaki Peña\r\n", "cp1252")
    assert path.stat().st_size > 256 * 1024  # past the head that detection samples (encoding.HEAD)
    report = importer.import_csv(store, path)
    assert report.encoding == "cp1252" and report.imported == 15001
    assert subscribers.get_subscriber(store, "pena@example.es").name == "Iñaki Peña"


def test_a_file_that_contradicts_every_code_page_is_refused(store, tmp_path):
    # ñ reads as a letter only in 1252, but 0x8D further down is undefined there.
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"email;name\r\nm@example.es;Mu\xf1oz\r\n" + b"x@example.org;x\r\n" * 50 + b"t@example.cz;\x8dom\r\n")
    with pytest.raises(ImportFailed) as err:
        importer.import_csv(store, path)
    assert "cannot be right" in err.value.message
    assert subscribers.stats(store).total == 0


def test_utf8_with_a_stray_code_page_row_is_refused(store, tmp_path):
    path = tmp_path / "two.csv"
    path.write_bytes("email;name\r\nana@example.si;Ana Žagar\r\n".encode() + "mojca@example.si;Mojca Košir\r\n".encode("cp1250"))
    with pytest.raises(ImportFailed, match=r"line 3: the file is UTF-8 up to here, but byte 0x9A is not \(two encodings in one file\)"):
        importer.import_csv(store, path)


def test_excel_unicode_text_and_utf16_without_bom(store, cli, tmp_path):
    assert cli("subscribers", "import", str(CORPUS / "excel_unicode_text_utf16.csv")).exit_code == 0
    assert subscribers.get_subscriber(store, "ivana@example.hr").name == "Đurđa Kovačević"
    bare = _write(tmp_path, "email\tname\r\nsoren@example.dk\tSøren Kjærsgaard\r\n", "utf-16-le")
    result = cli("subscribers", "import", str(bare))
    assert result.exit_code == 0 and "(utf-16-le, tab-separated)" in result.output
    assert subscribers.get_subscriber(store, "soren@example.dk").name == "Søren Kjærsgaard"


# --- delimiters and headers -----------------------------------------------


@pytest.mark.parametrize("line", ["sep=;", '"sep=;"', "SEP=;", "sep=,", "sep=\t", "sep=|"])
def test_excel_sep_line_sets_the_delimiter(store, tmp_path, line):
    sep = line.strip('"')[-1]
    path = _write(tmp_path, f"{line}\r\nemail{sep}name{sep}note\r\nana@example.org{sep}Ana Novak{sep}\"a, b; c\"\r\n", "utf-8")
    report = importer.import_csv(store, path)
    assert (report.delimiter, report.sep_line, report.imported) == (sep, True, 1)
    ana = subscribers.get_subscriber(store, "ana@example.org")
    assert (ana.name, ana.attributes) == ("Ana Novak", {"note": "a, b; c"})


def test_line_numbers_count_the_sep_line(store, tmp_path):
    path = _write(tmp_path, "sep=;\r\nemail;name\r\nnot-an-address;X\r\n", "utf-8")
    report = importer.import_csv(store, path)
    assert [(r.line, r.value) for r in report.rejected] == [(3, "not-an-address")]


@pytest.mark.parametrize(
    ("headers", "name"),
    [
        (("E-pošta", "Ime", "Priimek"), "Mojca Košir"),  # main kept only "Mojca"
        (("E-POSTA", "IME", "PRIIMEK"), "Mojca Košir"),
        (("e posta", " ime ", "priimek"), "Mojca Košir"),
        (("Correo", "Nombre", "Apellidos"), "Mojca Košir"),
        (("Correo electrónico", "Nombre", "Primer apellido"), "Mojca Košir"),
        (("E-post", "Eesnimi", "Perekonnanimi"), "Mojca Košir"),
        (("Adres e-mail", "Imię", "Nazwisko"), "Mojca Košir"),
        (("Adres e-mail", "IMIE", "NAZWISKO"), "Mojca Košir"),
        (("E-pošta", "Ime", "Prezime"), "Mojca Košir"),
        (("E-mail", "Fornavn", "Efternavn"), "Mojca Košir"),
        (("Е-пошта", "Име", "Презиме"), "Mojca Košir"),
        (("Email", "Name", "Surname"), "Mojca Košir"),  # "Name" beside a surname is the first name
        (("Email", "First name", "Last name"), "Mojca Košir"),
        (("Email", "Nimi", "Perekonnanimi"), "Mojca Košir"),
    ],
)
def test_header_synonyms_and_first_plus_last_name(store, tmp_path, headers, name):
    path = _write(tmp_path, ";".join(headers) + "\r\nmojca@example.si;Mojca;Košir\r\n", "utf-8")
    report = importer.import_csv(store, path)
    assert (report.imported, report.unknown) == (1, [])
    assert subscribers.get_subscriber(store, "mojca@example.si").name == name


def test_spanish_two_surnames_join_in_order(store, tmp_path):
    path = _write(tmp_path, "Correo;Segundo apellido;Nombre;Primer apellido\r\nm@example.es;Núñez;María;Muñoz\r\n", "utf-8")
    importer.import_csv(store, path)
    assert subscribers.get_subscriber(store, "m@example.es").name == "María Núñez Muñoz"  # last-name columns in file order


def test_unknown_columns_are_kept_as_attributes_and_reported(store, cli, tmp_path):
    path = _write(tmp_path, "E-pošta;Ime in priimek;Kraj;Telefon;\r\nana@example.si;Ana Novak;Celje;+386 1 234;\r\n", "utf-8")
    result = cli("subscribers", "import", str(path))
    assert "'Kraj' -> attribute (not a known column: kept under its own name)" in result.output
    assert "column 5 (no header) -> ignored" in result.output
    assert "'Telefon' -> attribute (not a known column" in result.output
    assert subscribers.get_subscriber(store, "ana@example.si").attributes == {"Kraj": "Celje", "Telefon": "+386 1 234"}


# --- languages -----------------------------------------------------------------


def test_languages_are_bcp47_checked_and_the_report_names_each_edition(store, cli):
    result = cli("subscribers", "import", str(CORPUS / "languages.csv"), env={"LEADEX_NEWSLETTERS_DIR": str(Path(__file__).resolve().parents[2] / "newsletters")})
    assert "  en-GB  English (United Kingdom): 1 -> en" in result.output
    assert "  de  German: 1 -> sl, the default (there is no German edition)" in result.output
    assert "line 6: 'e@example.org': language 'xx' is not a known language code" in result.output
    assert subscribers.get_subscriber(store, "a@example.org").language == "en-GB"  # main: "en-gb"
    assert subscribers.get_subscriber(store, "d@example.org").language == "sl"  # slv: the two-letter code


def test_subscribers_add_checks_languages_too(store, cli):
    assert cli("subscribers", "add", "a@example.org", "--lang", "EN-gb").exit_code == 0
    assert subscribers.get_subscriber(store, "a@example.org").language == "en-GB"
    refused = cli("subscribers", "add", "b@example.org", "--lang", "xx")
    assert refused.exit_code == 1 and "language 'xx' is not a known language code" in refused.output


# --- multi-line attributes, names ------------------------------------------------


def test_multi_line_note_is_joined_and_reported_names_still_refuse_line_breaks(store, tmp_path):
    text = ('email,name,note,dept\n'
            '"ana@example.org","Ana","first line\r\nsecond line\n\nthird\tpart","Org"\n'
            '"bor@example.org","Bor\nBcc: x@example.com","fine","Org"\n'
            '"cene@example.org","Cene","bell\x07","Org"\n')
    report = importer.import_csv(store, _write(tmp_path, text, "utf-8"))
    assert subscribers.get_subscriber(store, "ana@example.org").attributes == {"note": "first line / second line / third part", "dept": "Org"}
    assert [(c.line, c.reason) for c in report.changed] == [(2, "attribute 'note': line breaks joined into one line and tabs made spaces")]
    assert [(r.line, r.reason) for r in report.rejected] == [
        (6, "the name contains a line break or control character (U+000A)"),  # the note above spans lines 2-5
        (8, "attribute 'note' contains a line break or control character (U+0007)"),
    ]


# --- lists column and the report ---------------------------------------------


def test_lists_column_subscribes_and_never_rejoins_a_left_list(store, cli, tmp_path):
    for name in ("news", "events"):
        lists.create_list(store, name)
    left = subscribers.add_subscriber(store, "left@example.org", lists=["news"])
    subscribers.unsubscribe(store, left.id, source="web", list_id=lists.get_list(store, "news").id)
    path = _write(tmp_path, "email;lists\r\nana@example.org;\"news; events\"\r\nleft@example.org;news,events\r\nall@example.org;\"news:active;events:unsubscribed\"\r\n", "utf-8")
    result = cli("subscribers", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "line 3: 'left@example.org': left the list 'news' earlier: not re-subscribed to it" in result.output
    assert sorted(n for n, _ in subscribers.subscriber_lists(store, subscribers.get_subscriber(store, "ana@example.org").id)) == ["events", "news"]
    assert dict(subscribers.subscriber_lists(store, left.id)) == {"news": "unsubscribed", "events": "active"}
    assert [n for n, _ in subscribers.subscriber_lists(store, subscribers.get_subscriber(store, "all@example.org").id)] == ["news"]


def test_an_unknown_list_in_the_lists_column_writes_nothing(store, tmp_path):
    lists.create_list(store, "news")
    path = _write(tmp_path, "email,lists\na@example.org,news\nb@example.org,nwes\n", "utf-8")
    with pytest.raises(ImportFailed, match=r"lists that do not exist: 'nwes' \(line 3\)") as err:
        importer.import_csv(store, path)
    assert "lists create nwes" in (err.value.hint or "")
    assert subscribers.stats(store).total == 0


def test_dry_run_says_would_and_counts_each_outcome(store, cli, tmp_path):
    subscribers.add_subscriber(store, "old@example.org", name="Old")
    path = _write(tmp_path, "email,name\nnew@example.org,New\nold@example.org,Older\nnew@example.org,New Again\nbad,Bad\n", "utf-8")
    result = cli("subscribers", "import", str(path), "--dry-run")
    lines = result.output.splitlines()
    for wanted in ("would import: 1", "would update: 1", "unchanged: 0", "merged duplicates: 1", "would reject: 1", "dry run: nothing was written"):
        assert wanted in lines
    assert not any(line.startswith(("imported:", "updated:", "rejected:")) for line in lines)
    assert _names(store) == {"old@example.org": "Old"}


# --- export --------------------------------------------------------------------


FORMULAS = ["=HYPERLINK(\"http://example.com\",\"x\")", "+1+1", "-2+3", "@SUM(1)", "\tTAB", "\rCR"]


def test_csv_export_neutralises_spreadsheet_formulas(store, cli, tmp_path):
    subscribers.add_subscriber(store, "f@example.org", name="=cmd|' /C calc'!A0", attributes={f"a{i}": f for i, f in enumerate(FORMULAS[:4])})
    subscribers.add_subscriber(store, "-dash@example.org", name="Plain")
    out = tmp_path / "export.csv"
    assert cli("subscribers", "export", "--format", "csv", "--output", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the UTF-8 mark Excel needs (s8; test_store_csv_exports_for_excel)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    by_email = {r["email"]: r for r in rows}
    assert by_email["'-dash@example.org"]["name"] == "Plain"
    assert by_email["f@example.org"]["name"] == "'=cmd|' /C calc'!A0"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(gdpr.FORMULA_STARTS), cell
    # JSON stays exact.
    data = json.loads(cli("subscribers", "export", "f@example.org").output)
    assert data[0]["name"] == "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("cell", FORMULAS)
def test_every_owasp_formula_start_is_quoted(cell):
    assert gdpr.spreadsheet_safe(cell) == "'" + cell
    assert gdpr.spreadsheet_safe("Ana " + cell) == "Ana " + cell


def test_docs_list_every_header_name_and_show_a_real_report():
    from leadex_mail.store.headers import SYNONYMS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    sections = docs.split("### Header names per language", 1)[1].split("\n**")[1:]
    titles = {"en": "English", "sl": "Slovenian", "hr": "Croatian", "es": "Spanish", "et": "Estonian", "pl": "Polish", "da": "Danish", "cnr": "Montenegrin"}
    by_language = {lang: next(s for s in sections if s.startswith(title)) for lang, title in titles.items()}
    for by in SYNONYMS.values():
        for lang, words in by.items():
            for word in words:
                assert f"`{word}`" in by_language[lang], (lang, word)
    report = (CORPUS / "excel_sl_priimek_cp1250.expected").read_text(encoding="utf-8").rsplit("exit 0", 1)[0]
    assert f"```\n{report}```" in docs


def test_a_tab_in_an_attribute_is_reported_as_a_tab(store, tmp_path):
    # a9 finding 14: a tab alone was reported as "line breaks joined into one line".
    report = importer.import_csv(store, _write(tmp_path, 'email,name,note\nana@example.org,Ana,"one\ttwo"\n', "utf-8"))
    assert subscribers.get_subscriber(store, "ana@example.org").attributes == {"note": "one two"}
    assert [(c.line, c.reason) for c in report.changed] == [(2, "attribute 'note': tabs made spaces")]
