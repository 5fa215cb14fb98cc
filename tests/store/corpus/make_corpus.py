"""Writes the CSV corpus (run once; the files are committed).

    python tests/store/corpus/make_corpus.py

Each file exercises one way real spreadsheets go wrong, or is shaped like
what Excel writes in a partner's country: "CSV" in the Windows code page of
its language with the list separator ";" and CRLF lines, "CSV UTF-8" with a
BOM, "Unicode text" as UTF-16LE with a BOM and tabs, a ``sep=`` first line,
headers in the partner's language. Its expected import report is the
``.expected`` file beside it; ``STORED`` below is what the store must hold
after importing it (email -> name, language). Both are checked by
test_store_import_corpus.py.
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
    # --- Excel exports from the partners' countries -------------------------
    "excel_es_cp1252.csv": (  # Murcia: Spanish Windows, "CSV (delimitado por comas)"
        "cp1252",
        ("Correo electrónico;Nombre;Apellidos;Idioma;Organización;País\r\n"
        "maria.munoz@example.es;María José;Muñoz Núñez;es;Consejería de Educación;España\r\n"
        "inaki@example.es;Iñaki;Ibáñez Peña;ES;Región de Murcia;España\r\n"
        "joan@example.es;Joan;Sáez i Güell;ca;\"Fundació Bofill; Barcelona\";España\r\n"
        "ana.lopez@example.com;Ana;López;EN-gb;EARLALL;Bélgica\r\n"),
    ),
    "excel_et_cp1257.csv": (  # HAKA: Estonian Windows
        "cp1257",
        ("E-post;Eesnimi;Perekonnanimi;Keel;Asutus\r\n"
        "tonu.pold@example.ee;Tõnu;Põld;et;Haridus- ja Noorteamet\r\n"
        "mari-liis@example.ee;Mari-Liis;Šmidt;ET;Tallinna Ülikool\r\n"
        "ulle@example.ee;Ülle;Mägi-Žukova;et-EE;Tartu Ülikool\r\n"),
    ),
    "excel_pl_cp1250.csv": (  # Podkarpackie: Polish Windows
        "cp1250",
        ("Adres e-mail;Imię;Nazwisko;Język;Instytucja\r\n"
        "lukasz@example.pl;Łukasz;Wiśniewski;pl;Urząd Marszałkowski Województwa Podkarpackiego\r\n"
        "agnieszka@example.pl;Agnieszka;Żółkiewska-Kęs;PL;Politechnika Rzeszowska\r\n"),
    ),
    "excel_hr_cp1250.csv": (  # Varaždin: Croatian Windows; only č and ć tell 1250 from 1252 here
        "cp1250",
        ("E-pošta;Ime;Prezime;Jezik;Ustanova\r\n"
        "ivana@example.hr;Ivana;Kovačević;hr;Varaždinska županija\r\n"
        "marko@example.hr;Marko;Babić;HR;Grad Varaždin\r\n"),
    ),
    "excel_sl_priimek_cp1250.csv": (  # Slovenian Windows: Ime + Priimek, a multi-line note, an unknown column
        "cp1250",
        ("E-pošta;Ime;Priimek;Jezik;Opombe\r\n"
        "mojca@example.si;Mojca;Košir;sl;\"Srečali na konferenci\nZanima jo študijski obisk\"\r\n"
        "jure@example.si;Jure;Žnidaršič;SL;\r\n"),
    ),
    "excel_cnr_cp1251_sep.csv": (  # Montenegro, Cyrillic Windows, with Excel's sep= line
        "cp1251",
        ("sep=;\r\n"
        "Е-пошта;Име;Презиме;Језик\r\n"
        "milos@example.me;Милош;Вукотић;cnr\r\n"
        "jovana@example.me;Јована;Ђукановић;sr-cyrl-me\r\n"),
    ),
    "excel_da_cp1252_sep_comma.csv": (  # Central Denmark, saved with a sep=, line and commas
        "cp1252",
        ("sep=,\r\n"
        "E-mail,Fornavn,Efternavn,Sprog,Organisation\r\n"
        "soren@example.dk,Søren,Kjærsgaard,da,Region Midtjylland\r\n"
        "aase@example.dk,Åse,Østergaard,DA,\"Aarhus Kommune, Børn og Unge\"\r\n"),
    ),
    "excel_unicode_text_utf16.csv": (  # Excel's "Unicode text": UTF-16LE with a BOM, tab-separated
        "utf-16",
        ("Email address\tFirst name\tLast name\tLanguage\r\n"
        "tonu.pold@example.ee\tTõnu\tPõld\tet\r\n"
        "maria.munoz@example.es\tMaría José\tMuñoz Núñez\tes\r\n"
        "lukasz@example.pl\tŁukasz\tWiśniewski\tpl\r\n"
        "ivana@example.hr\tĐurđa\tKovačević\thr\r\n"
        "milos@example.me\tМилош\tВукотић\tcnr\r\n"
        "soren@example.dk\tSøren\tKjærsgaard\tda\r\n"),
    ),
    "excel_utf8_bom_sep.csv": (  # "CSV UTF-8" with a BOM, then a sep= line (quoted, as some tools write it)
        "utf-8-sig",
        ('"sep=;"\r\n'
        "E-pošta;Ime in priimek;Jezik\r\n"
        "spela@example.si;Špela Žagar;sl\r\n"),
    ),
    "ambiguous_cp1257.csv": (  # Estonian letters, English headers, no language column: 1250 or 1257?
        "cp1257",
        ("email;name\r\n"
        "tonu.pold@example.ee;Tõnu Põld\r\n"
        "mari@example.ee;Mari Õun\r\n"),
    ),
    "languages.csv": (
        "utf-8",
        ("email,name,language\n"
        "a@example.org,A,EN-gb\n"
        "b@example.org,B,SL\n"
        "c@example.org,C,en_us\n"
        "d@example.org,D,slv\n"
        "e@example.org,E,xx\n"
        "f@example.org,F,de\n"),
    ),
    # What `subscribers export --format csv` writes, read back (a9 finding 5): the status column is
    # honoured, the export's own columns are not stored as attributes, and the ' it put before a
    # formula-like cell is taken off again.
    "export_round_trip.csv": (
        "utf-8",
        "email,name,language,status,created_at,confirmed_at,unsubscribed_at,lists,attributes,events,deliveries\n"
        "'-x@example.si,Minus,sl,active,2026-12-01T05:30:22+00:00,,,,{},\"[{\"\"kind\"\": \"\"imported\"\"}]\",[]\n"
        "a@example.si,Ana,sl,unsubscribed,2026-12-01T05:30:22+00:00,,2026-12-01T05:31:00+00:00,newsletter:unsubscribed,{},\"[{\"\"kind\"\": \"\"unsubscribed\"\"}]\",[]\n"
        "b@example.si,Bor,sl,bounced,2026-12-01T05:30:22+00:00,,,,{},[],[]\n"
        "c@example.si,Cvetka,en,complained,2026-12-01T05:30:22+00:00,,,,{},[],[]\n"
        "d@example.si,Dan,en,pending,2026-12-01T05:30:22+00:00,,,,{},[],[]\n"
        "f1@example.si,'=1+1,sl,active,2026-12-01T05:30:22+00:00,,,,\"{\"\"note\"\": \"\"=SUM(A1)\"\"}\",[],\"[{\"\"issue\"\": \"\"2026-04-leadex-01\"\"}]\"\n"
        "f2@example.si,'@Ana,sl,active,2026-12-01T05:30:22+00:00,,,,{},[],[]\n"
        "g@example.si,Gal,sl,Member,2026-12-01T05:30:22+00:00,,,,{},[],[]\n",
    ),
    # a9 finding 12: UTF-16 text without a byte order mark was read as UTF-8 (its NULs are valid
    # UTF-8), giving a header 'e\x00m\x00a\x00i\x00l\x00' and no email column.
    "utf16_no_bom.csv": (
        "utf-16-le",
        "email\tname\tlanguage\r\nu3@example.si\tUrška Čebašek\tsl\r\nu4@example.si\tŽan Žnidar\tsl\r\n",
    ),
    # a9 finding 12: a quote never closed swallowed the next row into the name; the report named
    # only "a line break", never the address it swallowed.
    "unclosed_quote.csv": (
        "utf-8",
        'email,name\nz@example.si,"Zed\nw@example.si,W\nv@example.si,Vid\n',
    ),
}

# What the store holds after importing each file: email -> (name, language).
STORED: dict[str, dict[str, tuple[str | None, str]]] = {
    "utf16_no_bom.csv": {"u3@example.si": ("Urška Čebašek", "sl"), "u4@example.si": ("Žan Žnidar", "sl")},
    "export_round_trip.csv": {
        "-x@example.si": ("Minus", "sl"),
        "f1@example.si": ("=1+1", "sl"),
        "f2@example.si": ("@Ana", "sl"),
        "g@example.si": ("Gal", "sl"),
    },
    "excel_es_cp1252.csv": {
        "maria.munoz@example.es": ("María José Muñoz Núñez", "es"),
        "inaki@example.es": ("Iñaki Ibáñez Peña", "es"),
        "joan@example.es": ("Joan Sáez i Güell", "ca"),
        "ana.lopez@example.com": ("Ana López", "en-GB"),
    },
    "excel_et_cp1257.csv": {
        "tonu.pold@example.ee": ("Tõnu Põld", "et"),
        "mari-liis@example.ee": ("Mari-Liis Šmidt", "et"),
        "ulle@example.ee": ("Ülle Mägi-Žukova", "et-EE"),
    },
    "excel_pl_cp1250.csv": {
        "lukasz@example.pl": ("Łukasz Wiśniewski", "pl"),
        "agnieszka@example.pl": ("Agnieszka Żółkiewska-Kęs", "pl"),
    },
    "excel_hr_cp1250.csv": {
        "ivana@example.hr": ("Ivana Kovačević", "hr"),
        "marko@example.hr": ("Marko Babić", "hr"),
    },
    "excel_sl_priimek_cp1250.csv": {
        "mojca@example.si": ("Mojca Košir", "sl"),
        "jure@example.si": ("Jure Žnidaršič", "sl"),
    },
    "excel_cnr_cp1251_sep.csv": {
        "milos@example.me": ("Милош Вукотић", "cnr"),
        "jovana@example.me": ("Јована Ђукановић", "sr-Cyrl-ME"),
    },
    "excel_da_cp1252_sep_comma.csv": {
        "soren@example.dk": ("Søren Kjærsgaard", "da"),
        "aase@example.dk": ("Åse Østergaard", "da"),
    },
    "excel_unicode_text_utf16.csv": {
        "tonu.pold@example.ee": ("Tõnu Põld", "et"),
        "maria.munoz@example.es": ("María José Muñoz Núñez", "es"),
        "lukasz@example.pl": ("Łukasz Wiśniewski", "pl"),
        "ivana@example.hr": ("Đurđa Kovačević", "hr"),
        "milos@example.me": ("Милош Вукотић", "cnr"),
        "soren@example.dk": ("Søren Kjærsgaard", "da"),
    },
    "excel_utf8_bom_sep.csv": {
        "spela@example.si": ("Špela Žagar", "sl"),
    },
    "ambiguous_cp1257.csv": {},
    "languages.csv": {
        "a@example.org": ("A", "en-GB"),
        "b@example.org": ("B", "sl"),
        "c@example.org": ("C", "en-US"),
        "d@example.org": ("D", "sl"),
        "f@example.org": ("F", "de"),
    },
}


def main() -> None:
    """Write every corpus file with its encoding and exact bytes."""
    for name, (encoding, text) in FILES.items():
        (HERE / name).write_bytes(text.encode(encoding))


if __name__ == "__main__":
    main()
