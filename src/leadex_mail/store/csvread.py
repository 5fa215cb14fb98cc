"""Reading a subscriber CSV as people's spreadsheets export it.

UTF-8 with or without BOM, or Windows-1250 (Slovenian Excel); comma,
semicolon or tab; headers in English or Slovenian in any case. Yields each
record with the line it starts on, so a report can point at it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from leadex_mail.errors import ImportFailed

DELIMITERS = ",;\t"
# What a header may say, lower-cased, and the field it means. Anything else
# is kept as an attribute under its own name.
HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(["email", "e-mail", "e-pošta", "e-posta", "eposta", "epošta", "mail", "email address", "e-mail address", "e-naslov"], "email"),
    **dict.fromkeys(["name", "ime", "ime in priimek", "full name", "polno ime", "ime priimek"], "name"),
    **dict.fromkeys(["language", "jezik", "lang"], "language"),
    **dict.fromkeys(["organisation", "organization", "organizacija", "org"], "organisation"),
    **dict.fromkeys(["country", "država", "drzava"], "country"),
}
MAIN_FIELDS = ("email", "name", "language")


@dataclass(frozen=True)
class Table:
    """A decoded CSV: how it was read, its header, and its records."""

    encoding: str
    delimiter: str
    headers: list[str]
    fields: list[str]  # per column: "email", "name", "language" or an attribute name
    text: str

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """``(first line number, cells)`` of each non-blank record after the header."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        line = 0
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num
                if start == 1:
                    continue  # the header
                if not "".join(cells).strip():
                    continue  # blank lines (and rows of empty cells) say nothing
                yield start, cells
        except csv.Error as exc:
            raise ImportFailed(f"line {line + 1}: the CSV cannot be read: {exc}", hint="check the quoting around that line") from None


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (BOM or not), else Windows-1250."""
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250"), "cp1250"
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"the file is neither UTF-8 nor Windows-1250 (byte {exc.start})",
            hint="save it from the spreadsheet as 'CSV UTF-8'",
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter, from csv.Sniffer on a sample, checked against the header line."""
    header = text.split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(text[:65536], delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header:
        return found
    # The sniffer can be fooled by commas inside quoted names; the header is not.
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_field(header: str) -> str:
    """The field a header names (``email``, ``name``, ...) or the cleaned header itself."""
    text = unicodedata.normalize("NFC", header).strip().strip("\ufeff").strip()
    key = " ".join(text.lower().replace("_", " ").split())
    return HEADER_ALIASES.get(key, text)


def read_table(data: bytes) -> Table:
    """Decode and inspect a CSV file; ImportFailed when it has no email column."""
    text, encoding = decode(data)
    if not text.strip():
        raise ImportFailed("the file is empty", hint="export the subscribers with a header row (email, name, ...)")
    delimiter = sniff_delimiter(text)
    try:
        headers = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFailed(f"line 1: the header cannot be read: {exc}") from None
    fields: list[str] = []
    for header in headers:
        field = header_field(header)
        # A second "e-mail" or "name" column is kept as an attribute, not merged.
        fields.append(header.strip() if field in fields else field)
    if "email" not in fields:
        found = ", ".join(repr(h.strip()) for h in headers) or "none"
        raise ImportFailed(
            "the file has no email column",
            hint=f"name one column 'email' (or e-mail, e-pošta); headers found: {found}",
        )
    return Table(encoding, delimiter, headers, fields, text)
