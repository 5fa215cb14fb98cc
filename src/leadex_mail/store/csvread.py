"""Reading a subscriber CSV as people's spreadsheets export it.

Encoding: detected from the bytes (``encoding.detect``: UTF-8 with or
without BOM, UTF-16, Windows-1250/1251/1252/1257), or ``--encoding``; when
the code page is not certain, ``ImportFailed`` shows how the names read in
each candidate. Delimiter: an Excel ``sep=`` first line, else comma,
semicolon or tab as the header line shows. Header names in the partners'
languages (``headers``). Yields each record with the line it starts on, so
a report can point at it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from leadex_mail.errors import ImportFailed
from leadex_mail.store import encoding as enc
from leadex_mail.store.headers import export_field, recognise

DELIMITERS = ",;\t"
# Excel's hint line: sep=; (quoted or not) before the header.
_SEP_LINE = re.compile(r'^\ufeff?"?sep=(.)"?[ \t]*\r?(\n|$)', re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
PREVIEW_ROWS = 4
EVIDENCE_ROWS = 200


@dataclass(frozen=True)
class Table:
    """A decoded CSV: how it was read, its header, and its records."""

    encoding: str  # Python codec name
    detected: str  # why this code page, when it was a judgement; else ""
    delimiter: str
    sep_line: bool  # the delimiter came from a sep= line
    headers: list[str]
    fields: list[str]  # per column: a core field (email, name, first_name, last_name, language, lists, attributes) or an attribute name
    unknown: list[str]  # headers not known: kept as attributes under their own name
    text: str  # from the header line on
    first_line: int  # the header's line number in the file (2 after a sep= line)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """``(first line number, cells)`` of each non-blank record after the header."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        line = 0
        offset = self.first_line - 1
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num
                if start == 1:
                    continue  # the header
                if not "".join(cells).strip():
                    continue  # blank lines (and rows of empty cells) say nothing
                yield start + offset, cells
        except csv.Error as exc:
            raise ImportFailed(f"line {line + 1 + offset}: the CSV cannot be read: {exc}", hint="check the quoting around that line", code="csv_unreadable", line=line + 1 + offset) from None


def split_sep_line(text: str) -> tuple[str | None, str]:
    """``(delimiter, rest)`` when the text starts with Excel's ``sep=X`` line, else ``(None, text)``."""
    found = _SEP_LINE.match(text)
    if not found:
        return None, text
    return found.group(1), text[found.end() :]


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


def clean_header(header: str) -> str:
    """A header as an attribute name: BOM and surrounding space gone, inner whitespace (line breaks too) one space."""
    return _WHITESPACE.sub(" ", header.replace("\ufeff", "")).strip()


def _layout(text: str) -> tuple[str, bool, str, list[str]]:
    """``(delimiter, from a sep= line, text from the header on, header cells)``."""
    text = text.removeprefix("\ufeff")
    sep, rest = split_sep_line(text)
    delimiter = sep or sniff_delimiter(rest)
    try:
        headers = next(csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise ImportFailed(f"line {2 if sep else 1}: the header cannot be read: {exc}", code="header_unreadable", line=2 if sep else 1) from None
    return delimiter, sep is not None, rest, headers


def assign_fields(headers: list[str]) -> tuple[list[str], list[str]]:
    """``(field per column, unknown headers)``; see ``headers`` for the rules."""
    fields: list[str] = []
    unknown: list[str] = []
    for header in headers:
        known = recognise(header)
        exported = None if known else export_field(header)
        field = known[0] if known else exported or clean_header(header)
        if field == "full_name":
            field = "name"
        if known is None and exported is None and field:
            unknown.append(field)  # (a column with no header is ignored)
        elif field in fields and field != "last_name":
            field = clean_header(header)  # a second e-mail or name column is kept as an attribute, not merged
        fields.append(field)
    if "last_name" in fields and "first_name" not in fields and "name" in fields:
        at = fields.index("name")
        said = recognise(headers[at])
        if said is not None and said[0] == "name":
            fields[at] = "first_name"  # "Name" beside "Surname" is the first name
    return fields, unknown


def judge(text: str) -> enc.Evidence:
    """What a reading of the file's head says: known headers, and the languages headers and language column point to."""
    try:
        delimiter, _, rest, headers = _layout(text)
    except ImportFailed:
        return enc.Evidence()
    known = [recognise(h) for h in headers]
    languages: set[str] = set()
    for found in known:
        if found and "en" not in found[1]:
            languages |= found[1]
    fields = [k[0] if k else "" for k in known]
    if "language" in fields:
        at = fields.index("language")
        try:
            rows = csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter)
            next(rows, None)
            for n, cells in enumerate(rows):
                if n >= EVIDENCE_ROWS:
                    break
                if at < len(cells) and cells[at].strip():
                    languages.add(cells[at].strip().lower().replace("_", "-").split("-")[0])
        except csv.Error:
            pass
    languages.discard("en")
    return enc.Evidence(known_headers=sum(1 for k in known if k), languages=frozenset(languages))


def read_table(data: bytes, encoding: str | None = None, *, source: str = "the file", trust_encoding: bool = False) -> Table:
    """Decode and inspect a CSV file; ImportFailed when the encoding is uncertain or it has no email column.

    A given ``encoding`` in which the file spells words no language has
    ("Å\xa0pela" for UTF-8 "Špela" read as Windows-1252) is refused with the
    names as read, unless ``trust_encoding``.
    """
    decoded = enc.detect(data, encoding, judge=judge)
    if isinstance(decoded, list):
        raise _uncertain(data, decoded, source)
    if encoding and not trust_encoding:
        odd = enc.odd_words(decoded.text)
        if odd:
            raise _misread(data, decoded, odd, encoding, source)
    text = decoded.text
    if not text.strip():
        raise ImportFailed("the file is empty", hint="export the subscribers with a header row (email, name, ...)", code="empty_file")
    delimiter, sep_line, rest, headers = _layout(text)
    fields, unknown = assign_fields(headers)
    if "email" not in fields:
        found = ", ".join(repr(h.strip()) for h in headers) or "none"
        raise ImportFailed(
            "the file has no email column",
            hint=f"name one column 'email' (or e-mail, e-pošta, correo, e-post, ...; see docs/import.md); headers found: {found}",
            code="no_email_column", headers=", ".join(h.strip() for h in headers if h.strip()),
        )
    return Table(decoded.encoding, decoded.why, delimiter, sep_line, headers, fields, unknown, rest, 2 if sep_line else 1)


def _uncertain(data: bytes, readings: list[enc.Reading], source: str) -> ImportFailed:
    """The refusal: each candidate code page with the names as it reads them."""
    tables = [_quiet_table(data.decode(r.code_pages[0]), r.code_pages[0]) for r in readings]
    previews: list[list[str]] = [[] for _ in readings]
    if all(t is not None for t in tables):
        rows = zip(*(t.records() for t in tables))  # type: ignore[union-attr]
        for records in rows:
            shown = [repr(compose_name(tables[0].fields, cells)) for _, cells in records]  # type: ignore[union-attr]
            if len(set(shown)) == 1:
                shown = [", ".join(repr(c.strip()) for c in cells if not c.isascii()) for _, cells in records]
            if len(set(shown)) > 1 or (len(readings) == 1 and shown[0].strip("'")):
                for preview, text in zip(previews, shown):
                    preview.append(f"line {records[0][0]}: {text}")
                if len(previews[0]) >= PREVIEW_ROWS:
                    break
    lines = []
    for reading, preview in zip(readings, previews):
        word, why = reading.bad[0] if reading.bad else ("", "")
        odd = f" (cannot be right: {word!r}, {why})" if word else f" ({why})" if why else ""
        lines.append(f"  as {reading.label()}{odd}: " + ("; ".join(preview) or "(the same names)"))
    options = " or ".join(f"--encoding {enc.name(r.encoding)}" for r in readings)
    candidates = ", ".join(enc.name(r.encoding) for r in readings)
    if len(readings) == 1:
        return ImportFailed(
            f"{source}: the file is not UTF-8, and the one Windows code page that reads it gives odd words:\n" + "\n".join(lines),
            hint=f"if those names are right, run the import again with {options} --trust-encoding; else save the sheet as 'CSV UTF-8'",
            code="encoding_odd", encodings=candidates,
        )
    return ImportFailed(
        f"{source}: cannot tell for sure which encoding the file is in; the names read differently in each:\n" + "\n".join(lines),
        hint=f"run the import again with the one whose names read right: {options}; or save the sheet as 'CSV UTF-8'",
        code="encoding_uncertain", encodings=candidates,
    )


def _misread(data: bytes, decoded: enc.Decoded, odd: list[tuple[str, str]], encoding: str, source: str) -> ImportFailed:
    """The refusal of a given ``--encoding`` that spells impossible words: the names as it reads them, and as detection does."""
    words = ", ".join(f"{word!r} ({why})" for word, why in odd)
    lines = [f"  as {enc.name(decoded.encoding)} (--encoding): " + _names(decoded.text, decoded.encoding)]
    try:
        detected = enc.detect(data, judge=judge)
    except ImportFailed:
        detected = None
    better = detected_name = ""
    if isinstance(detected, enc.Decoded) and detected.encoding != decoded.encoding:
        lines.append(f"  as {enc.name(detected.encoding)} (detected): " + _names(detected.text, detected.encoding))
        better = f"leave out --encoding (the file reads as {enc.name(detected.encoding)}), or "
        detected_name = enc.name(detected.encoding)
    return ImportFailed(
        f"{source}: --encoding {encoding} spells words no language has: {words}; the names would be stored as:\n" + "\n".join(lines),
        hint=f"{better}if the names above are right after all, run the import again with --trust-encoding",
        code="encoding_misread", encoding=encoding, detected=detected_name,
    )


def _names(text: str, codec: str) -> str:
    """The first few names (or other non-ASCII cells) of a decoded file, for a refusal."""
    table = _quiet_table(text, codec)
    shown: list[str] = []
    if table is not None:
        try:
            for line, cells in table.records():
                cell = compose_name(table.fields, cells) or next((c.strip() for c in cells if not c.isascii()), "")
                if cell and not cell.isascii():
                    shown.append(f"line {line}: {cell!r}")
                if len(shown) >= PREVIEW_ROWS:
                    break
        except ImportFailed:
            pass
    return "; ".join(shown) or "(no names with accents)"


def _quiet_table(text: str, codec: str) -> Table | None:
    try:
        delimiter, sep_line, rest, headers = _layout(text)
    except ImportFailed:
        return None
    fields, unknown = assign_fields(headers)
    return Table(codec, "", delimiter, sep_line, headers, fields, unknown, rest, 2 if sep_line else 1)


def compose_name(fields: list[str], cells: list[str]) -> str:
    """The whole name of a record: the name column, else first and last names joined."""
    whole = [cells[i].strip() for i, f in enumerate(fields) if f == "name" and i < len(cells)]
    if whole and whole[0]:
        return whole[0]
    parts = [cells[i].strip() for role in ("first_name", "last_name") for i, f in enumerate(fields) if f == role and i < len(cells)]
    return " ".join(p for p in parts if p)
