"""Encoding detection of spreadsheet exports: right, or refused; never a wrong guess.

The names below are typical of each partner's country (and of neighbours
whose names reach the same lists). Every file made of them, in the code
page its language's Windows writes, must read back exactly or be refused;
with the partner's own headers or a language column, it must read back.
"""

from __future__ import annotations

import codecs
import random

import pytest

from leadex_mail.errors import ImportFailed
from leadex_mail.store import encoding, letters
from leadex_mail.store.csvread import judge, read_table
from leadex_mail.store.languages import edition_for, normalise_language

NAMES: dict[str, dict[str, list[str]]] = {
    "cp1250": {
        "sl": ["Mojca Košir", "Jure Žnidaršič", "Špela Žagar", "Črt Kovačič", "Nina Potočnik", "Tjaša Zupančič", "Matej Šubic"],
        "hr": ["Ivana Kovačević", "Marko Babić", "Đurđa Horvat", "Josip Jurić", "Ana Šarić", "Željka Perić"],
        "pl": ["Łukasz Wiśniewski", "Agnieszka Żółkiewska", "Małgorzata Wójcik", "Paweł Kamiński", "Zofia Dąbrowska", "Krzysztof Woźniak"],
        "cnr": ["Miloš Vukotić", "Jovana Đukanović", "Ana Radović", "Marko Đurović"],
        "cs": ["Antonín Dvořák", "Jiří Novák", "Petra Černá"],
    },
    "cp1252": {
        "es": ["María José Muñoz Núñez", "Iñaki Ibáñez Peña", "José García", "Begoña Martínez", "Raúl Sánchez", "Ángel Pérez"],
        "da": ["Søren Kjærsgaard", "Åse Østergaard", "Jens Sørensen", "Anne Mølgaard", "Bjørn Hansen"],
        "fr": ["Hélène Lefèvre", "François Müller", "Chloé Bérard"],
        "de": ["Jürgen Müller", "Anna Schröder", "Grete Weiß"],
        "ca": ["Joan Sáez i Güell", "Mercè Rodoreda", "Núria Espert"],
    },
    "cp1257": {
        "et": ["Tõnu Põld", "Mari-Liis Šmidt", "Ülle Mägi", "Jüri Žukov", "Kärt Kõiv", "Mart Lõhmus", "Õie Ööbik"],
        "lv": ["Jānis Bērziņš", "Līga Ozoliņa"],
        "lt": ["Rūta Žukauskaitė", "Jonas Kazlauskas"],
    },
    "cp1251": {
        "cnr": ["Милош Вукотић", "Јована Ђукановић", "Петар Његош"],
        "sr": ["Марко Марковић", "Ана Јовановић"],
    },
}
# The header each partner language's Excel user would type.
HEADERS = {"sl": "E-pošta;Ime;Priimek", "hr": "E-pošta;Ime;Prezime", "pl": "Adres e-mail;Imię;Nazwisko", "cnr": "E-pošta;Ime;Prezime",
           "es": "Correo electrónico;Nombre;Apellidos", "da": "E-mail;Fornavn;Efternavn", "et": "E-post;Eesnimi;Perekonnanimi"}
CYRILLIC_HEADERS = "Е-пошта;Име;Презиме"


def _outcome(text: str, cp: str) -> str:
    found = encoding.detect(text.encode(cp), judge=judge)
    if isinstance(found, list):
        return "refused"
    return "right" if found.text == text else f"WRONG ({found.encoding}: {found.why})"


def _files(rnd: random.Random):
    for cp, by_language in NAMES.items():
        for language, names in by_language.items():
            for name in names:
                yield cp, language, [name]
            for size in (2, 3, len(names)):
                for _ in range(4):
                    yield cp, language, rnd.sample(names, min(size, len(names)))
        everyone = [n for names in by_language.values() for n in names]
        for _ in range(10):
            yield cp, "mixed", rnd.sample(everyone, min(6, len(everyone)))


def test_never_a_wrong_reading():
    rnd = random.Random(2026)
    wrong = []
    counts = {"right": 0, "refused": 0}
    for cp, language, names in _files(rnd):
        text = "email;name\r\n" + "".join(f"p{i}@example.org;{n}\r\n" for i, n in enumerate(names))
        if text.encode(cp).isascii():
            continue
        outcome = _outcome(text, cp)
        if outcome.startswith("WRONG"):
            wrong.append((cp, language, names, outcome))
        else:
            counts[outcome] += 1
    assert wrong == []
    assert counts["right"] > 3 * counts["refused"]  # refusing everything would also never be wrong


@pytest.mark.parametrize("language", sorted(HEADERS))
def test_a_partners_own_headers_settle_its_code_page(language):
    cp = next(cp for cp, by in NAMES.items() if language in by and cp != "cp1251")
    for name in NAMES[cp][language]:
        first, _, last = name.partition(" ")
        text = f"{HEADERS[language]}\r\np@example.org;{first};{last}\r\n"
        assert _outcome(text, cp) == "right", name


def test_a_language_column_settles_it_too():
    for cp, language in (("cp1257", "et"), ("cp1252", "da"), ("cp1252", "es"), ("cp1250", "hr"), ("cp1251", "cnr")):
        for name in NAMES[cp][language]:
            assert _outcome(f"email;name;language\r\np@example.org;{name};{language}\r\n", cp) == "right", name


def test_cyrillic_headers_and_names():
    for name in NAMES["cp1251"]["cnr"]:
        first, _, last = name.partition(" ")
        assert _outcome(f"{CYRILLIC_HEADERS}\r\np@example.me;{first};{last}\r\n", "cp1251") == "right"


def test_boms_utf8_and_what_the_bytes_leave_no_choice_about():
    text = "email,name\r\nt@example.ee,Tõnu Põld\r\n"
    assert encoding.detect(codecs.BOM_UTF8 + text.encode()).encoding == "utf-8-sig"
    for codec in ("utf-16", "utf-32"):
        found = encoding.detect(text.encode(codec))
        assert (found.encoding, found.text.lstrip("\ufeff")) == (codec, text)
    assert encoding.detect(text.encode()).encoding == "utf-8"
    assert encoding.detect(b"email\r\na@example.org\r\n").encoding == "utf-8"  # ASCII


def test_refusal_previews_the_names_under_each_reading():
    data = "email;name\r\nt@example.ee;Tõnu Põld\r\n".encode("cp1257")
    with pytest.raises(ImportFailed) as err:
        read_table(data, source="people.csv")
    assert err.value.message.splitlines() == [
        "people.csv: cannot tell for sure which encoding the file is in; the names read differently in each:",
        "  as windows-1252 = windows-1257: line 2: 'Tõnu Põld'",
        "  as windows-1250: line 2: 'Tőnu Pőld'",
    ]
    assert "--encoding windows-1252 or --encoding windows-1250" in (err.value.hint or "")
    assert read_table(data, "windows-1257").headers == ["email", "name"]


@pytest.mark.parametrize(
    ("word", "why"),
    [
        ("Muñoz", None), ("Muńoz", "no language spells a word with ń like this"), ("Núńez", "no language spells a word with ú, ń like this"),
        ("Tõnu", None), ("Tőnu", None), ("£ukasz", "the sign '£' inside a word"), ("Mo¿e", "'¿' between two letters"),
        ("Muсoz", "letters of two scripts in one word"), ("MuÑoz", "a capital 'Ñ' inside a word"), ("Ðurða", "no language spells a word with ð like this"),
        ("Kovaèiè", "no language spells a word with è like this"), ("Sřren", "no language spells a word with ř like this"),
        ("O’Brien", None), ("l·l", None), ("«Hola»", None), ("100€", None), ("Милош", None), ("Ěčëîř", "no language spells a word with ë, î, č, ě, ř like this"),
    ],
)
def test_what_makes_a_word_impossible(word, why):
    assert letters.implausible(word) == why


def test_language_tags_and_edition_lookup():
    assert [normalise_language(v) for v in ("EN-gb", "SL", "sr_latn_me", "slv", "en-UK", "cnr")] == ["en-GB", "sl", "sr-Latn-ME", "sl", "en-GB", "cnr"]
    for bad in ("xx", "und", "en-GB-oed", "klingon-language", "en-XX"):
        with pytest.raises(Exception, match="language"):
            normalise_language(bad)
    assert edition_for("en-GB", {"sl", "en"}, "sl") == "en"
    assert edition_for("EN", {"sl", "en"}, "sl") == "en"
    assert edition_for("sr-Latn-ME", {"sl", "en", "sr-Latn"}, "sl") == "sr-Latn"
    assert edition_for("de", {"sl", "en"}, "sl") == "sl"


# -- a9 findings 7, 9 and 12: --encoding is checked too; no codec is a traceback ------------------


@pytest.mark.parametrize(
    ("data", "given", "as_given", "detected"),
    [
        ("email,name\nzz@example.si,Špela Šuštar\n".encode(), "windows-1252", "'Å\\xa0pela Å\\xa0uÅ¡tar'", "utf-8 (detected): line 2: 'Špela Šuštar'"),
        ("Correo;Nombre;Apellidos\r\nj@example.es;José;Muñoz Núñez\r\n".encode("cp1252"), "windows-1250", "'José Muńoz Núńez'", "windows-1252 (detected): line 2: 'José Muñoz Núñez'"),
    ],
)
def test_a_given_encoding_that_spells_impossible_names_is_refused_unless_trusted(data, given, as_given, detected):
    # Before: stored "Å pela Å uÅ¡tar" and "José Muńoz Núńez" silently, although the letters say they cannot be.
    with pytest.raises(ImportFailed) as err:
        read_table(data, given, source="people.csv")
    lines = err.value.message.splitlines()
    assert lines[0].startswith(f"people.csv: --encoding {given} spells words no language has: ")
    assert lines[1] == f"  as {given} (--encoding): line 2: {as_given}"
    assert lines[2] == f"  as {detected}"
    assert (err.value.hint or "").endswith("if the names above are right after all, run the import again with --trust-encoding")
    assert read_table(data, given, trust_encoding=True).encoding == encoding.detect(b"", given).encoding


def test_a_given_encoding_that_reads_right_is_taken():
    data = "Correo;Nombre;Apellidos\r\nj@example.es;José;Muñoz Núñez\r\n".encode("cp1252")
    assert read_table(data, "windows-1252").encoding == "cp1252"


@pytest.mark.parametrize("given", ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri"])
def test_an_encoding_that_is_not_a_text_encoding_is_a_clear_error(given):
    # Before: LookupError: 'rot-13' is not a text encoding (a traceback).
    with pytest.raises(ImportFailed) as err:
        encoding.detect(b"email\na@example.org\n", given)
    assert err.value.message == f"--encoding {given}: not a text encoding (it turns bytes into other bytes)"


@pytest.mark.parametrize("given", ["idna", "punycode", "utf-16", "utf-32"])
def test_a_text_codec_that_cannot_read_the_file_is_a_clear_error(given):
    with pytest.raises(ImportFailed) as err:
        encoding.detect("email\na@example.org\nŠ\n".encode(), given)
    assert "--encoding" in err.value.message and "is not" in err.value.message


def test_utf16_without_a_mark_is_not_read_as_utf8_but_a_stray_nul_is():
    text = "email\tname\r\nu3@example.si\tUrška Čebašek\r\n"
    assert encoding.detect(text.encode("utf-16-le")).encoding == "utf-16-le"
    assert encoding.detect(text.encode("utf-16-be")).encoding == "utf-16-be"
    assert encoding.detect("email,name\ny@example.si,Y\x00Z\n".encode()).encoding == "utf-8"
