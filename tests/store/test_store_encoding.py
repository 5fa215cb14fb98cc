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
