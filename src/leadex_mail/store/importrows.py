"""The records of an import file as validated rows (no database): the first half of an import.

Per record: the address normalised, the name (the name column, or first
and last names joined) refusing control characters, the language as a
BCP 47 tag CLDR knows, list names from a lists column, attributes with
multi-line values joined into one line (reported as a change), and an
``attributes`` JSON cell merged in. Of rows with the same address the
first is taken (its name, language and attributes, its line in the consent
record); a later one is reported as the duplicate and only adds the lists
it names, and what keeps the person off lists (its status, lists left).

A file ``subscribers export`` wrote reads back as it was: its ``status``
column and the lists it says a person left are honoured (the importer
never puts such a person on a list), its own columns (timestamps, events,
deliveries) are not stored as attributes, and the ``'`` it put before a
cell that would start a spreadsheet formula is taken off again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from leadex_mail.errors import ImportFailed
from leadex_mail.store.csvread import Table, compose_name
from leadex_mail.store.gdpr import FORMULA_STARTS
from leadex_mail.store.headers import CORE_FIELDS, EXPORT_ONLY
from leadex_mail.store.models import SUBSCRIBER_STATUSES
from leadex_mail.store.importcodes import REJECTION_WORDS
from leadex_mail.store.importreport import ImportReport, Rejection, rejected
from leadex_mail.store.validation import (
    MAX_FIELD,
    AddressNormaliser,
    InvalidValue,
    clean_attributes,
    clean_language,
    clean_list_name,
    clean_text,
    has_control,
    one_line,
)

_LIST_SEPARATORS = re.compile(r"[;,\s]+")
_LINE_BREAKS = re.compile("[ \t]*[\r\n\x0b\x0c\x85\u2028\u2029]+[ \t\r\n\x0b\x0c\x85\u2028\u2029]*")
_ADDRESS = re.compile(r"[^\s,;\t\"@]+@[^\s,;\t\"@]+\.[^\s,;\t\"@]+")


Note = tuple[str, dict[str, "str | int"]]  # a change made on the way in: (importcodes.CHANGE_WORDS code, args)


class RowRefused(InvalidValue):
    """A row left out, by code (``importcodes.REJECTION_WORDS``); ``reason`` is the CLI's words."""

    def __init__(self, code: str, **args: str | int) -> None:
        words = REJECTION_WORDS[code](**args)
        super().__init__(words, reason=words)
        self.code = code
        self.args_said = args


def _coded(code: str, check, *values):  # type: ignore[no-untyped-def]
    """``check(*values)``, its InvalidValue said as a ``RowRefused`` of ``code`` (the validator's words kept for the CLI)."""
    try:
        return check(*values)
    except RowRefused:
        raise
    except InvalidValue as exc:
        raise RowRefused(code, detail=exc.reason) from None


@dataclass(slots=True)
class Row:
    """One subscriber as the file says it: validated, ready to compare with the store."""

    line: int
    email: str
    name: str | None
    language: str | None
    attributes: dict[str, str]
    lists: tuple[str, ...] = ()  # list names from the file's lists column
    notes: list[Note] = field(default_factory=list)  # what was changed on the way in, as (code, args)
    status: str | None = None  # a subscriber status from the file's status column (an export's), lower-case
    left: tuple[str, ...] = ()  # lists the file says the person left (``news:unsubscribed``, as an export writes)


def parse_rows(table: Table, report: ImportReport, normalise: AddressNormaliser) -> dict[str, Row]:
    """Validate every record; fill the report's row counts.

    Of rows with the same address the first is kept: its name, language,
    attributes and notes (and its line is the consent record's). A later
    row is reported as ``(line, first line)`` in ``report.merged``; it only
    adds its lists, the lists it says the person left, and a stricter status.
    """
    rows: dict[str, Row] = {}
    reader = RowReader(table, normalise)
    for line, cells in table.records():
        report.rows += 1
        try:
            row = reader.row(line, cells)
        except RowRefused as exc:
            report.rejected.append(Rejection(line, reader.raw_email(cells), exc.reason, exc.code, exc.args_said))
            continue
        except InvalidValue as exc:  # a check without a code of its own still leaves only this row out
            report.rejected.append(rejected(line, reader.raw_email(cells), "bad_value", detail=exc.reason))
            continue
        first = rows.get(row.email)
        if first is None:
            rows[row.email] = row
            continue
        report.merged.append((line, first.line))
        first.lists = tuple(dict.fromkeys(first.lists + row.lists))
        first.left = tuple(dict.fromkeys(first.left + row.left))
        first.status = _stricter(first.status, row.status)
    return rows


def _stricter(one: str | None, other: str | None) -> str | None:
    """Of two statuses for one address, the one that keeps the person off lists (never re-activate by a duplicate)."""
    return one if one not in (None, "active") else other or one


@lru_cache(maxsize=1024)
def _language(value: str) -> str:
    return clean_language(value)


def attribute_names(table: Table) -> dict[str, str]:
    """The attribute columns' names, checked like any value, before any row is read.

    A heading that cannot be an attribute's name (a control character, longer than ``MAX_ATTRIBUTE_NAME``) fails the
    whole import: ``ImportFailed`` of code ``heading_control`` or ``heading_too_long`` (args ``heading``: its first 40
    characters without control characters; ``column``: its number; ``line``: the header's), with the validator's words
    as the CLI's message.
    """
    for column, name in enumerate(table.fields, start=1):
        if name in CORE_FIELDS:
            continue
        try:
            clean_attributes({name: "x"})
        except InvalidValue as exc:
            heading = _CONTROLS.sub("", table.headers[column - 1]).strip()[:40]
            where = {"heading": heading, "column": column, "line": table.first_line}
            if _CONTROLS.search(name):
                raise ImportFailed(exc.message, hint=exc.hint, code="heading_control", **where) from None
            raise ImportFailed(exc.message, hint=exc.hint, code="heading_too_long", **where) from None
    return clean_attributes({f: "x" for f in table.fields if f not in CORE_FIELDS})


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class RowReader:
    """Turns records into validated rows; column roles are worked out once per file."""

    def __init__(self, table: Table, normalise: AddressNormaliser) -> None:
        self.headers = [h.strip() for h in table.headers]
        self.fields = table.fields
        self.width = len(table.fields)
        self.normalise = normalise
        self.delimiter = table.delimiter
        self.email_at = table.fields.index("email")
        self.language_at = table.fields.index("language") if "language" in table.fields else None
        self.lists_at = table.fields.index("lists") if "lists" in table.fields else None
        self.json_at = table.fields.index("attributes") if "attributes" in table.fields else None
        self.status_at = table.fields.index("status") if "status" in table.fields else None
        # Only a file with the export's own columns had its formula cells quoted by it.
        self.unquote = any(f in EXPORT_ONLY for f in table.fields)
        roles = [f for f in table.fields if f in ("name", "first_name", "last_name")]
        # The common case, one name column, without composing (100 000 rows).
        self.name_at = table.fields.index("name") if roles == ["name"] else None
        self.name_parts = bool(roles)
        # Attribute names are validated once, like any value (they become keys in mail merges).
        names = attribute_names(table)
        self.attrs = [(i, f) for i, f in enumerate(table.fields) if f in names]

    def raw_email(self, cells: list[str]) -> str:
        """The email cell as written (for a rejection line)."""
        return cells[self.email_at].strip() if self.email_at < len(cells) else ""

    def row(self, line: int, cells: list[str]) -> Row:
        """One record as a validated row, or InvalidValue with the reason."""
        if max(map(len, cells)) > MAX_FIELD:
            at = next(i for i, c in enumerate(cells) if len(c) > MAX_FIELD)
            header = self.headers[at] if at < self.width else f"column {at + 1}"
            raise RowRefused("too_long", column=header, limit=MAX_FIELD, length=len(cells[at]))
        if len(cells) > self.width and any(c.strip() for c in cells[self.width :]):
            raise RowRefused("too_many_cells", cells=len(cells), width=self.width)
        cells = cells + [""] * (self.width - len(cells))
        self._refuse_runaway_quote(cells)
        if self.unquote:
            cells = [c[1:] if c[:1] == "'" and c[1:2] and c[1] in FORMULA_STARTS else c for c in cells]
        email = cells[self.email_at]
        if not email.strip():
            raise RowRefused("no_address")
        address = _coded("bad_address", self.normalise, email)
        if self.name_at is not None:
            name = cells[self.name_at].strip()
        else:
            name = compose_name(self.fields, cells) if self.name_parts else ""
        notes: list[str] = []
        attributes = {f: v for i, f in self.attrs if (v := cells[i].strip())}
        if has_control("".join(cells)):
            # Rare: a name refuses them (mail headers); an attribute's line breaks are joined.
            _coded("bad_name", clean_text, name, "the name")
            attributes = _coded("bad_attribute", self._one_line, attributes, notes)
        language = cells[self.language_at].strip() if self.language_at is not None else ""
        if self.json_at is not None and cells[self.json_at].strip():
            attributes = {**_coded("bad_attribute", self._json, cells[self.json_at], notes), **attributes}
        status = cells[self.status_at].strip().lower() if self.status_at is not None else ""
        if status and status not in SUBSCRIBER_STATUSES:
            attributes = {**attributes, "status": cells[self.status_at].strip()}  # a partner's own "Status" column, not ours
            status = ""
        lists, left = _coded("bad_list_name", self._lists, cells[self.lists_at]) if self.lists_at is not None else ((), ())
        return Row(
            line=line,
            email=address,
            name=name or None,
            language=_coded("bad_language", _language, language) if language else None,
            attributes=attributes,
            lists=lists,
            notes=notes,
            status=status or None,
            left=left,
        )

    def _refuse_runaway_quote(self, cells: list[str]) -> None:
        """InvalidValue when a cell's quote is never closed and it swallowed the following rows (their addresses named)."""
        for cell in cells:
            if "\n" not in cell:
                continue
            swallowed = [line for line in cell.split("\n")[1:] if self.delimiter in line and _ADDRESS.search(line)]
            if swallowed:
                found = ", ".join(dict.fromkeys(m.group(0) for line in swallowed for m in _ADDRESS.finditer(line)))
                raise RowRefused("runaway_quote", rows=len(swallowed), addresses=found)

    @staticmethod
    def _one_line(attributes: dict[str, str], notes: list[Note]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in attributes.items():
            joined, changed = one_line(value)
            if changed:
                rest = _LINE_BREAKS.sub(" ", value.strip())  # what is left once the breaks (and the blanks around them) are gone
                if rest != value.strip():
                    notes.append(("attribute_joined", {"attribute": key, "tabs": int("\t" in rest)}))
                else:
                    notes.append(("attribute_tabs", {"attribute": key}))
            out[key] = joined
        return clean_attributes(out)  # still refuses other control characters, naming the attribute

    @staticmethod
    def _json(cell: str, notes: list[Note]) -> dict[str, str]:
        try:
            value = json.loads(cell)
        except ValueError:
            raise RowRefused("attributes_not_json") from None
        if not isinstance(value, dict):
            raise RowRefused("attributes_not_object")
        texts = {str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in value.items() if v not in (None, "")}
        return RowReader._one_line(texts, notes)

    @staticmethod
    def _lists(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(lists to join, lists left)`` of a lists cell: ``news; events`` or, as ``subscribers export`` writes, ``news:active;old:unsubscribed``."""
        names: list[str] = []
        left: list[str] = []
        for entry in _LIST_SEPARATORS.split(cell.strip()):
            list_name, _, status = entry.partition(":")
            if list_name and status in ("", "active"):
                names.append(clean_list_name(list_name.lower()))
            elif list_name:
                try:
                    left.append(clean_list_name(list_name.lower()))
                except InvalidValue:
                    pass  # a list this store cannot have: nobody can be put on it anyway
        return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(left))
