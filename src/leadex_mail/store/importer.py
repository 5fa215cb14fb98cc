"""``subscribers import``: a CSV of subscribers into the store, in one transaction.

Rows are read and validated in Python first (``csvread`` + ``validation``);
then one transaction compares them with the store and writes the difference
with bulk statements (no ORM object per row: 100 000 rows in seconds). A
fatal problem (unreadable file, no email column, unknown list, database
error) raises ``ImportFailed`` and nothing is written; a bad row is only
rejected, with its line and reason. ``dry_run`` runs the very same
transaction and rolls it back, so its report is exactly what a real import
would say.

An import never re-activates anyone: addresses on the suppression list
(erased, bounced, complained) and unsubscribed addresses are rejected with
the reason, and so are people who left the target list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from leadex_mail.errors import ImportFailed
from leadex_mail.store.bulk import bulk_insert
from leadex_mail.store.csvread import MAIN_FIELDS, Table, read_table
from leadex_mail.store.db import Store
from leadex_mail.store.models import (
    BLOCKING_STATUSES,
    Event,
    MailingList,
    Subscriber,
    Subscription,
    Suppression,
    new_link_nonce,
    utcnow,
)
from leadex_mail.store.suppression import (
    address_hash,
    suppressed_hashes,
    suppression_key,
)
from leadex_mail.store.validation import (
    MAX_FIELD,
    AddressNormaliser,
    InvalidValue,
    clean_attributes,
    clean_language,
    clean_text,
    has_control,
)

CHUNK = 500  # keys per IN (...) query; well under every database's parameter limit
SLICE = 5000  # rows compared and written together
_SUB = Subscriber.__table__  # type: ignore[attr-defined]
_SUBSCRIPTION = Subscription.__table__  # type: ignore[attr-defined]
_EVENT = Event.__table__  # type: ignore[attr-defined]
_REASONS = {
    "erased": "erased at the person's request; it is never imported again",
    "bounced": "bounced and is suppressed; an import never re-activates an address",
    "complained": "complained of spam and is suppressed; an import never re-activates an address",
    "unsubscribed": "unsubscribed; only the person's own confirmation can re-activate an address",
}


@dataclass(frozen=True)
class Rejection:
    """A row left out, and why."""

    line: int
    value: str
    reason: str


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    source: str
    encoding: str
    delimiter: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: list[tuple[int, int]] = field(default_factory=list)  # (line, merged into line)
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False

    def format(self) -> str:
        """The report as the CLI prints it."""
        names = {",": "comma", ";": "semicolon", "\t": "tab"}
        lines = [
            f"{self.source}: {self.rows} row{'' if self.rows == 1 else 's'} ({self.encoding}, {names.get(self.delimiter, repr(self.delimiter))}-separated)",
            f"imported: {self.imported}",
            f"updated: {self.updated}",
            f"unchanged: {self.unchanged}",
            f"merged duplicates: {len(self.merged)}",
        ]
        lines += [f"  line {line}: same address as line {first}" for line, first in self.merged]
        lines.append(f"rejected: {len(self.rejected)}")
        lines += [f"  line {r.line}: {_short(r.value)}: {r.reason}" for r in sorted(self.rejected, key=lambda r: r.line)]
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


def _short(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


@dataclass(slots=True)
class _Row:
    line: int
    email: str
    name: str | None
    language: str | None
    attributes: dict[str, str]


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def import_csv(
    store: Store,
    path: Path | str,
    *,
    list_name: str | None = None,
    language: str | None = None,
    dry_run: bool = False,
    allow_smtputf8: bool = False,
    default_language: str = "sl",
) -> ImportReport:
    """Import subscribers from the CSV at ``path``; return the report.

    ``language`` is the language of rows that have none (else
    ``default_language``); ``list_name`` puts every imported or updated
    subscriber on that list.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}", hint="check the file name") from None
    table = read_table(data)
    report = ImportReport(path.name, table.encoding, table.delimiter, dry_run=dry_run)
    fallback = clean_language(language, default=default_language) if language else clean_language(default_language)
    rows = _parse(table, report, AddressNormaliser(allow_smtputf8=allow_smtputf8))
    key = suppression_key(store)
    try:
        with store.begin() as conn:
            list_id = _list_id(conn, list_name) if list_name else None
            _apply(conn, rows, report, key=key, list_id=list_id, fallback=fallback, source=path.name)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return report
    except SQLAlchemyError as exc:
        raise ImportFailed(f"the import failed and wrote nothing: {getattr(exc, 'orig', exc)}", hint="fix the cause and run it again") from None
    if report.imported + report.updated:
        store.refresh_statistics(("subscriber", "subscription", "event"))
    return report


def _list_id(conn: Connection, name: str) -> int:
    table = MailingList.__table__  # type: ignore[attr-defined]
    found = conn.execute(select(table.c.id).where(table.c.name == name.strip())).scalar()
    if found is None:
        raise ImportFailed(f"there is no list {name!r}; nothing was imported", hint=f"create it first: leadex-mail lists create {name.strip()}")
    return int(found)


def _parse(table: Table, report: ImportReport, normalise: AddressNormaliser) -> dict[str, _Row]:
    """Validate every record; merge duplicates (later non-empty values win)."""
    rows: dict[str, _Row] = {}
    reader = _RowReader(table, normalise)
    for line, cells in table.records():
        report.rows += 1
        try:
            row = reader.row(line, cells)
        except InvalidValue as exc:
            report.rejected.append(Rejection(line, reader.raw_email(cells), exc.reason))
            continue
        first = rows.get(row.email)
        if first is None:
            rows[row.email] = row
            continue
        report.merged.append((line, first.line))
        first.name = row.name or first.name
        first.language = row.language or first.language
        first.attributes.update(row.attributes)
    return rows


class _RowReader:
    """Turns records into validated rows; column roles are worked out once per file."""

    def __init__(self, table: Table, normalise: AddressNormaliser) -> None:
        self.headers = [h.strip() for h in table.headers]
        self.width = len(table.fields)
        self.normalise = normalise
        self.email_at = table.fields.index("email")
        self.name_at = table.fields.index("name") if "name" in table.fields else None
        self.language_at = table.fields.index("language") if "language" in table.fields else None
        # Attribute names are validated once, like any value (they become keys in mail merges).
        names = clean_attributes({f: "x" for f in table.fields if f not in MAIN_FIELDS})
        self.attrs = [(i, f) for i, f in enumerate(table.fields) if f in names]

    def raw_email(self, cells: list[str]) -> str:
        """The email cell as written (for a rejection line)."""
        return cells[self.email_at].strip() if self.email_at < len(cells) else ""

    def row(self, line: int, cells: list[str]) -> _Row:
        """One record as a validated row, or InvalidValue with the reason."""
        if max(map(len, cells)) > MAX_FIELD:
            at = next(i for i, c in enumerate(cells) if len(c) > MAX_FIELD)
            header = self.headers[at] if at < self.width else f"column {at + 1}"
            raise InvalidValue(f"column {header!r} is longer than {MAX_FIELD} characters ({len(cells[at])})")
        if len(cells) > self.width and any(c.strip() for c in cells[self.width :]):
            raise InvalidValue(f"the row has {len(cells)} cells but the header has {self.width}")
        cells = cells + [""] * (self.width - len(cells))
        email = cells[self.email_at]
        if not email.strip():
            raise InvalidValue("no address")
        address = self.normalise(email)
        if has_control("".join(cells)):
            # Rare: find the field to name it (clean_text raises with the reason).
            clean_text(cells[self.name_at] if self.name_at is not None else None, "the name")
            clean_attributes({f: cells[i] for i, f in self.attrs})
        name = cells[self.name_at].strip() if self.name_at is not None else ""
        language = cells[self.language_at].strip() if self.language_at is not None else ""
        return _Row(
            line=line,
            email=address,
            name=name or None,
            language=clean_language(language) if language else None,
            attributes={f: v for i, f in self.attrs if (v := cells[i].strip())},
        )


def _existing(conn: Connection, emails: list[str], list_id: int | None) -> tuple[dict[str, Any], dict[int, str]]:
    """Subscribers already in the store, by address, and their status on the target list."""
    found: dict[str, Any] = {}
    on_list: dict[int, str] = {}
    cols = (_SUB.c.id, _SUB.c.email, _SUB.c.status, _SUB.c.name, _SUB.c.language, _SUB.c.attributes)
    for start in range(0, len(emails), CHUNK):
        for row in conn.execute(select(*cols).where(_SUB.c.email.in_(emails[start : start + CHUNK]))):
            found[row.email] = row
    if list_id is not None and found:
        ids = [row.id for row in found.values()]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            query = select(_SUBSCRIPTION.c.subscriber_id, _SUBSCRIPTION.c.status).where(
                _SUBSCRIPTION.c.list_id == list_id, _SUBSCRIPTION.c.subscriber_id.in_(chunk)
            )
            on_list.update(dict(conn.execute(query).all()))  # type: ignore[arg-type]
    return found, on_list


def _apply(conn: Connection, rows: dict[str, _Row], report: ImportReport, *, key: bytes, list_id: int | None, fallback: str, source: str) -> None:
    """Compare the rows with the store and write the difference, a slice at a time (bounded memory)."""
    now = utcnow()
    # Nothing to compare with in an empty store or suppression list (the
    # first import of a new store): skip those lookups altogether.
    look = _Lookups(
        key=key,
        subscribers=conn.execute(select(_SUB.c.id).limit(1)).first() is not None,
        suppressions=conn.execute(select(Suppression.__table__.c.address_hash).limit(1)).first() is not None,  # type: ignore[attr-defined]
    )
    batch = list(rows.values())
    for start in range(0, len(batch), SLICE):
        _apply_slice(conn, batch[start : start + SLICE], report, look=look, list_id=list_id, fallback=fallback, source=source, now=now)


@dataclass(frozen=True)
class _Lookups:
    key: bytes
    subscribers: bool
    suppressions: bool


def _apply_slice(
    conn: Connection, rows: list[_Row], report: ImportReport, *, look: _Lookups, list_id: int | None, fallback: str, source: str, now: Any
) -> None:
    emails = [row.email for row in rows]
    hashes = [address_hash(look.key, email) for email in emails] if look.suppressions else [""] * len(rows)
    suppressed = suppressed_hashes(conn, hashes) if look.suppressions else {}
    found, on_list = _existing(conn, emails, list_id) if look.subscribers else ({}, {})
    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    join: list[int] = []
    for row, digest in zip(rows, hashes):
        reason = suppressed.get(digest)
        old = found.get(row.email)
        if reason is None and old is not None and old.status in BLOCKING_STATUSES:
            reason = old.status
        if reason:
            report.rejected.append(Rejection(row.line, row.email, _REASONS.get(reason, f"suppressed ({reason})")))
            continue
        if old is None:
            new.append(_new_values(row, fallback))
            continue
        if list_id is not None and on_list.get(old.id) == "unsubscribed":
            report.rejected.append(Rejection(row.line, row.email, "left this list; an import never re-subscribes anyone"))
            continue
        change = _changed_values(old, row)
        needs_list = list_id is not None and old.id not in on_list
        if needs_list:
            join.append(old.id)
        if change or needs_list:
            report.updated += 1
            changes.append({"b_id": old.id, "updated_at": now, **_merged(old, change)})
        else:
            report.unchanged += 1
    report.imported += len(new)
    _write(conn, new, changes, join, list_id=list_id, now=now, source=source)


def _new_values(row: _Row, fallback: str) -> dict[str, Any]:
    return {"email": row.email, "name": row.name, "language": row.language or fallback, "attributes": row.attributes, "_line": row.line}


def _changed_values(old: Any, row: _Row) -> dict[str, Any]:
    """Only what the file says differently (empty cells never blank a value)."""
    change: dict[str, Any] = {}
    if row.name and row.name != old.name:
        change["name"] = row.name
    if row.language and row.language != old.language:
        change["language"] = row.language
    attrs = {**(old.attributes or {}), **row.attributes}
    if attrs != (old.attributes or {}):
        change["attributes"] = attrs
    if old.status == "pending":
        change["status"] = "active"  # the operator vouches for consent; see docs/decisions.md
    return change


def _merged(old: Any, change: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": change.get("name", old.name),
        "language": change.get("language", old.language),
        "attributes": change.get("attributes", old.attributes),
        "status": change.get("status", old.status),
    }


def _write(conn: Connection, new: list[dict[str, Any]], changes: list[dict[str, Any]], join: list[int], *, list_id: int | None, now: Any, source: str) -> None:
    """Bulk inserts and updates inside the caller's transaction."""
    lines = {values["email"]: values.pop("_line") for values in new}
    for values in new:
        values["attributes"] = _json(values["attributes"])
        values["link_nonce"] = new_link_nonce()  # the Column default is not applied by bulk_insert
    stamps = {"created_at": now, "updated_at": now}
    before = conn.execute(select(func.max(_SUB.c.id))).scalar() or 0
    bulk_insert(conn, _SUB, new, {"status": "active", "confirmed_at": None, "unsubscribed_at": None, **stamps}, encoded={"attributes"})
    events: list[dict[str, Any]] = []
    file_json = _json(source)
    # The new rows are those above the old maximum id (filtered by address, in
    # case another writer's rows are interleaved on databases that allow it).
    for sub_id, email in conn.execute(select(_SUB.c.id, _SUB.c.email).where(_SUB.c.id > before)).all():
        line = lines.get(email)
        if line is not None:
            join.append(sub_id)
            events.append({"subscriber_id": sub_id, "detail": f'{{"file": {file_json}, "line": {line}}}'})
    if changes:
        # executemany: the SET clause comes from each dict's keys.
        conn.execute(update(_SUB).where(_SUB.c.id == bindparam("b_id")), changes)
        events.extend({"subscriber_id": c["b_id"], "detail": f'{{"file": {file_json}, "updated": true}}'} for c in changes)
    if list_id is not None:
        bulk_insert(conn, _SUBSCRIPTION, [{"subscriber_id": i} for i in join], {"list_id": list_id, "status": "active", **stamps})
    bulk_insert(
        conn, _EVENT, events,
        {"kind": "imported", "at": now, "source": "import", "ip": None, "user_agent": None, "consent_version": None, "list_id": list_id},
        encoded={"detail"},
    )


# The same serialisation SQLAlchemy's JSON type uses, called directly.
_json = json.JSONEncoder().encode
