"""Writes the bad-input CSV corpus (run once; the files are committed).

    python tests/store/corpus/make_corpus.py

Each file exercises one way real spreadsheets go wrong; its expected import
report is the ``.expected`` file beside it, checked by test_import_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

FILES: dict[str, tuple[str, str]] = {
    # name: (encoding, text)
    "bom_utf8.csv": (
        "utf-8-sig",
        "E-mail,Ime,Jezik\r\nana.novak@example.org,Ana Novak,sl\r\nziga@example.org,Žiga Čampa,en\r\nspela@example.com,Špela Žagar,\r\n",
    ),
    "cp1250_semicolon.csv": (
        "cp1250",
        ("E-pošta;Ime in priimek;Organizacija;Država\r\n"
        "mojca@example.org;Mojca Košir;Občina Šentjur;Slovenija\r\n"
        "jure@example.org;Jure Žnidaršič;Zavod Čebela;Slovenija\r\n"),
    ),
    "quoted_newlines.csv": (
        "utf-8",
        'email,name,note\n"ana@example.org","Novak, Ana","first line\nsecond line"\nbor@example.org,"Bor ""B"" Kos",ok\n',
    ),
    "blank_lines.csv": (
        "utf-8",
        "email,name\n\nana@example.org,Ana\n\n\n,\nbor@example.org,Bor\n  \n",
    ),
    "missing_email.csv": (
        "utf-8",
        "Name;Organisation;Country\nAna Novak;Občina;SI\n",
    ),
    "invalid_and_duplicates.csv": (
        "utf-8",
        ("email,name,language\n"
        "ana@example.org,Ana,sl\n"
        "not-an-address,Nobody,sl\n"
        "two@@example.org,Two,sl\n"
        "someone@localhost,Local,sl\n"
        "ANA@Example.ORG,Ana Novak,en\n"
        "info@bücher.example.org,Bücher,de\n"
        ",No Address,sl\n"
        "žiga@example.org,Žiga,sl\n"
        "bor@example.org,Bor,klingon-language\n"
        "info@xn--bcher-kva.example.org,,\n"),
    ),
    "long_fields.csv": (
        "utf-8",
        ("email,name,organisation\n"
        f"long.name@example.org,{'N' * 10000},Org\n"
        f"long.org@example.org,Long Org,{'O' * 10000}\n"
        "ok@example.org,Ok,Org\n"),
    ),
    "crlf_injection.csv": (
        "utf-8",
        ('email,name,organisation\n'
        '"victim@example.org","Ana\r\nBcc: everyone@example.com","Org"\n'
        '"tab@example.org","Tab\tName","Org"\n'
        '"nul@example.org","Nul\x00Name","Org"\n'
        '"sep@example.org","Line\u2028Separator","Org"\n'
        '"org@example.org","Fine Name","Org\r\nX-Injected: yes"\n'
        '"fine@example.org","Fine Name","Org"\n'),
    ),
    "tab_separated.csv": (
        "utf-8",
        "Email\tName\tCountry\tFavourite colour\nana@example.org\tAna\tSI\tblue\n",
    ),
    "extra_cells.csv": (
        "utf-8",
        "email,name\nana@example.org,Ana,surplus\nbor@example.org,Bor,,\n",
    ),
}


def main() -> None:
    """Write every corpus file with its encoding and exact bytes."""
    for name, (encoding, text) in FILES.items():
        (HERE / name).write_bytes(text.encode(encoding))


if __name__ == "__main__":
    main()
