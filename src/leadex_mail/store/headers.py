"""The columns an import understands, and what partners' spreadsheets call them.

Each header is compared without case, accents, spaces, dots, hyphens or
underscores ("E-pošta", "e posta" and "EPOSTA" are one), in the languages
of the partners: English, Slovenian, Croatian, Spanish, Estonian, Polish,
Danish and Montenegrin (Latin and Cyrillic). docs/import.md lists them all;
a test keeps it in step with this table.

Fields:

* ``email`` (required), ``language``;
* ``name`` — the whole name; ``first_name`` and ``last_name`` are joined
  into it ("Ime" + "Priimek" -> "Mojca Košir"; several last-name columns,
  as Spanish sheets have, join in order). A column that says only "Name"
  (or "Ime", "Nombre", ...) is the first name when the sheet also has a
  last-name column, else the whole name;
* ``lists`` — list names to subscribe to, separated by ``;`` or ``,``;
* ``attributes`` — a JSON object of attributes (as ``subscribers export``
  writes it);
* ``organisation``, ``country`` — attributes under these names;
* the columns ``subscribers export`` writes besides: ``status`` (honoured:
  an unsubscribed, bounced, complained or pending person is not put on any
  list) and ``created_at``, ``confirmed_at``, ``unsubscribed_at``,
  ``events``, ``deliveries``, ``mails`` (read, never stored as attributes: the store
  keeps its own record).

Any other column is kept as an attribute under its own header.
"""

from __future__ import annotations

import unicodedata

# field -> language -> what the column may be called there
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "email": {
        "en": ("email", "e-mail", "email address", "e-mail address", "mail", "mail address"),
        "sl": ("e-pošta", "e-poštni naslov", "naslov e-pošte", "elektronska pošta", "e-naslov"),
        "hr": ("e-pošta", "adresa e-pošte", "e-mail adresa", "elektronička pošta", "e-adresa"),
        "es": ("correo", "correo electrónico", "correo-e", "dirección de correo", "dirección de correo electrónico", "e-mail"),
        "et": ("e-post", "e-posti aadress", "meil", "meiliaadress", "e-maili aadress"),
        "pl": ("e-mail", "adres e-mail", "poczta e-mail", "poczta elektroniczna", "adres poczty elektronicznej"),
        "da": ("e-mail", "e-mailadresse", "mailadresse"),
        "cnr": ("e-pošta", "elektronska pošta", "imejl", "е-пошта", "електронска пошта", "имејл"),
    },
    "name": {
        "en": ("name", "display name", "contact name"),
        "et": ("nimi",),
        "da": ("navn",),
    },
    "full_name": {
        "en": ("full name",),
        "sl": ("ime in priimek", "ime priimek", "polno ime"),
        "hr": ("ime i prezime", "puno ime"),
        "es": ("nombre completo", "nombre y apellidos", "nombre y apellido"),
        "et": ("täisnimi", "ees- ja perekonnanimi"),
        "pl": ("imię i nazwisko",),
        "da": ("fulde navn", "fuldt navn"),
        "cnr": ("ime i prezime", "име и презиме"),
    },
    "first_name": {
        "en": ("first name", "given name", "forename"),
        "sl": ("ime",),
        "hr": ("ime",),
        "es": ("nombre", "nombre de pila"),
        "et": ("eesnimi",),
        "pl": ("imię",),
        "da": ("fornavn",),
        "cnr": ("ime", "име"),
    },
    "last_name": {
        "en": ("last name", "surname", "family name"),
        "sl": ("priimek",),
        "hr": ("prezime",),
        "es": ("apellidos", "apellido", "primer apellido", "segundo apellido", "apellido 1", "apellido 2"),
        "et": ("perekonnanimi", "perenimi"),
        "pl": ("nazwisko",),
        "da": ("efternavn",),
        "cnr": ("prezime", "презиме"),
    },
    "language": {
        "en": ("language", "lang", "preferred language"),
        "sl": ("jezik",),
        "hr": ("jezik",),
        "es": ("idioma", "lengua"),
        "et": ("keel",),
        "pl": ("język",),
        "da": ("sprog",),
        "cnr": ("jezik", "језик"),
    },
    "lists": {
        "en": ("lists", "list", "mailing lists", "mailing list"),
        "sl": ("seznami", "seznam"),
        "hr": ("popisi", "popis", "liste"),
        "es": ("listas", "lista"),
        "et": ("listid", "nimekirjad"),
        "pl": ("listy", "lista"),
        "da": ("lister", "liste"),
        "cnr": ("liste", "листе"),
    },
    "attributes": {
        "en": ("attributes",),
    },
    "organisation": {
        "en": ("organisation", "organization", "org", "institution", "company"),
        "sl": ("organizacija", "ustanova", "institucija"),
        "hr": ("organizacija", "ustanova", "institucija"),
        "es": ("organización", "entidad", "institución"),
        "et": ("organisatsioon", "asutus"),
        "pl": ("organizacja", "instytucja"),
        "da": ("organisation", "institution"),
        "cnr": ("organizacija", "institucija", "организација", "институција"),
    },
    "country": {
        "en": ("country",),
        "sl": ("država",),
        "hr": ("država",),
        "es": ("país",),
        "et": ("riik",),
        "pl": ("państwo",),
        "da": ("land",),
        "cnr": ("država", "држава"),
    },
}
# Columns `subscribers export` writes besides the ones above: the store keeps its
# own record of them (timestamps, events, deliveries), so reading an export back
# never stores them as attributes; ``status`` is honoured (see importrows).
# (A test keeps this in step with gdpr.CSV_COLUMNS.)
EXPORT_ONLY = ("created_at", "confirmed_at", "unsubscribed_at", "events", "deliveries", "mails")
EXPORT_FIELDS = {"status": "status", **{field.replace("_", ""): field for field in EXPORT_ONLY}}
# Fields stored in their own column (or joined into one), or read and not stored; the others are attributes.
CORE_FIELDS = ("email", "name", "full_name", "first_name", "last_name", "language", "lists", "attributes", "status", *EXPORT_ONLY)


def header_key(header: str) -> str:
    """``header`` without case, accents, spaces, dots, hyphens or underscores: "E-pošta" -> "eposta"."""
    decomposed = unicodedata.normalize("NFKD", header.replace("ł", "l").replace("Ł", "L").replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed.casefold() if c.isalnum() and not unicodedata.combining(c))


def _index() -> dict[str, tuple[str, frozenset[str]]]:
    out: dict[str, tuple[str, set[str]]] = {}
    for field_name, by_language in SYNONYMS.items():
        for language, words in by_language.items():
            for word in words:
                key = header_key(word)
                known = out.setdefault(key, (field_name, set()))
                if known[0] != field_name:
                    raise AssertionError(f"header {word!r} means both {known[0]} and {field_name}")
                known[1].add(language)
    return {key: (f, frozenset(langs)) for key, (f, langs) in out.items()}


_INDEX = _index()


def recognise(header: str) -> tuple[str, frozenset[str]] | None:
    """``(field, languages that call it so)`` for a known header, else None."""
    return _INDEX.get(header_key(header))


def export_field(header: str) -> str | None:
    """The field of a column only ``subscribers export`` writes (``status``, ``created_at``, ``events``, ...), else None."""
    return EXPORT_FIELDS.get(header_key(header))
