"""``subscribers import``: a CSV of subscribers into the store, in one transaction.

Rows are read and validated in Python first (``csvread`` + ``validation``;
docs/import.md is the format);
then one planner (``_plan_slice``) compares them with the store, a slice at
a time, and decides every row (new, changed, unchanged, refused, with its
notes). A real import applies each slice's plan with bulk statements (no ORM
object per row: 100 000 rows in seconds) in one write transaction, so it is
all or nothing: a fatal problem (unreadable file, no email column, unknown
list, database error) raises ``ImportFailed`` and nothing is written; a bad
row is only rejected, with its line and reason. ``dry_run`` runs the very
same planner in a read transaction and applies nothing: it never takes the
write lock (in WAL mode sends, subscribes and unsubscribes go on meanwhile)
and writes no byte, and its report is what the real import would say of the
store as it is. ``progress(done, total)`` is called after each slice (rows
decided so far, rows to decide), for a face that shows the work going on.

An import never re-activates anyone: addresses on the suppression list
(erased, bounced, complained) and unsubscribed addresses are rejected with
the reason, and so are people who left every list the row names (``--list``
and the file's lists column); a list left among others is not re-joined and
the row says so. The file itself is believed too: a row whose status
column (as ``subscribers export`` writes it) says unsubscribed, bounced,
complained or pending is rejected, and a list its lists column says the
person left (``news:unsubscribed``) is never joined, not even by ``--list``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from leadex_mail.errors import ImportFailed, InvalidValue
from leadex_mail.store.bulk import bulk_insert
from leadex_mail.store.csvread import read_table
from leadex_mail.store.db import Store
from leadex_mail.store.importreport import Editions, ImportReport, changed, rejected
from leadex_mail.store.importrows import Row, parse_rows
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
from leadex_mail.store.validation import AddressNormaliser, clean_language

CHUNK = 500  # keys per IN (...) query; well under every database's parameter limit
SLICE = 5000  # rows compared and written together
_SUB = Subscriber.__table__  # type: ignore[attr-defined]
_SUBSCRIPTION = Subscription.__table__  # type: ignore[attr-defined]
_EVENT = Event.__table__  # type: ignore[attr-defined]

Progress = Callable[[int, int], None]  # (rows decided so far, rows to decide)


def import_csv(
    store: Store,
    path: Path | str,
    *,
    list_name: str | None = None,
    language: str | None = None,
    dry_run: bool = False,
    allow_smtputf8: bool = False,
    default_language: str = "sl",
    encoding: str | None = None,
    trust_encoding: bool = False,
    editions: Editions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import subscribers from the CSV at ``path``; return the report.

    ``language`` is the language of rows that have none (else
    ``default_language``); ``list_name`` puts every imported or updated
    subscriber on that list (besides any lists the file's lists column
    names). ``encoding`` overrides detection (refused when the names read
    impossibly in it, unless ``trust_encoding``). ``editions`` (the issues'
    edition languages) lets the report say which edition each language gets.
    ``progress(done, total)`` is called after each slice of rows is decided.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}", hint="check the file name", code="file_unreadable", file=path.name) from None
    table = read_table(data, encoding, source=path.name, trust_encoding=trust_encoding)
    report = ImportReport(
        path.name, table.encoding, table.delimiter, detected=table.detected, sep_line=table.sep_line,
        headers=table.headers, fields=table.fields, unknown=table.unknown, editions=editions, dry_run=dry_run,
    )
    fallback = _fallback_language(language, default_language)
    rows = parse_rows(table, report, AddressNormaliser(allow_smtputf8=allow_smtputf8))
    key = suppression_key(store)
    try:
        # A dry run only reads (a deferred BEGIN: a snapshot; writers are not held up in WAL mode).
        with store.begin(write=not dry_run) as conn:
            lists = _Lists(conn, list_name, rows.values())
            for plan in _plans(conn, rows, report, key=key, lists=lists, fallback=fallback, progress=progress):
                if not dry_run:
                    _write(conn, plan.new, plan.changes, plan.join, list_id=lists.target, now=plan.now, source=path.name)
        if dry_run:
            return report
    except SQLAlchemyError as exc:
        raise ImportFailed(f"the import failed and wrote nothing: {getattr(exc, 'orig', exc)}", hint="fix the cause and run it again", code="write_failed") from None
    if report.imported + report.updated:
        store.refresh_statistics(("subscriber", "subscription", "event"))
    return report


def _fallback_language(language: str | None, default_language: str) -> str:
    """The language of rows that name none: ``language`` (the import's option), else ``default_language`` (the setting).

    Either not a language fails the import before any row is read: ``ImportFailed`` of code ``bad_language`` (the
    option: args ``language``) or ``bad_default_language`` (the setting), with the validator's words as the CLI's message.
    """
    try:
        return clean_language(language, default=default_language) if language else clean_language(default_language)
    except InvalidValue as exc:
        if language:
            raise ImportFailed(exc.message, hint=exc.hint, code="bad_language", language=language.strip()[:40]) from None
        raise ImportFailed(exc.message, hint=exc.hint, code="bad_default_language", language=default_language.strip()[:40]) from None


class _Lists:
    """The lists an import puts people on: ``--list`` and the file's lists column, all checked to exist."""

    def __init__(self, conn: Connection, target: str | None, rows: Iterable[Row]) -> None:
        table = MailingList.__table__  # type: ignore[attr-defined]
        named: dict[str, int] = {}  # list name -> first line naming it
        for row in rows:
            for name in row.lists:
                named.setdefault(name, row.line)
        wanted = ([target.strip()] if target else []) + list(named)
        self.ids: dict[str, int] = dict(conn.execute(select(table.c.name, table.c.id).where(table.c.name.in_(wanted))).all())  # type: ignore[arg-type]
        if target and target.strip() not in self.ids:
            raise ImportFailed(f"there is no list {target!r}; nothing was imported", hint=f"create it first: leadex-mail lists create {target.strip()}", code="no_such_list", list_name=target.strip())
        missing = [f"{name!r} (line {line})" for name, line in named.items() if name not in self.ids]
        if missing:
            first = next(name for name in named if name not in self.ids)
            raise ImportFailed(
                f"the lists column names lists that do not exist: {', '.join(missing)}; nothing was imported",
                hint=f"create them first (leadex-mail lists create {first}) or correct the file",
                code="lists_missing", lists=", ".join(name for name in named if name not in self.ids), first=first,
            )
        self.target = self.ids[target.strip()] if target else None
        self.names = {i: n for n, i in self.ids.items()}
        self._target_only = [self.target] if self.target is not None else []

    def of(self, row: Row) -> list[int]:
        """The list ids a row goes on (not to be changed: shared between rows); never one the file says the person left."""
        target = self._target_only if not row.left or self.names.get(self.target or -1) not in row.left else []
        if not row.lists:
            return target
        return target + [self.ids[name] for name in row.lists if self.ids[name] != self.target]


def _existing(conn: Connection, emails: list[str], list_ids: Collection[int]) -> tuple[dict[str, Any], dict[tuple[int, int], str]]:
    """Subscribers already in the store, by address, and their status on the lists the import names."""
    found: dict[str, Any] = {}
    on_list: dict[tuple[int, int], str] = {}
    cols = (_SUB.c.id, _SUB.c.email, _SUB.c.status, _SUB.c.name, _SUB.c.language, _SUB.c.attributes)
    for start in range(0, len(emails), CHUNK):
        for row in conn.execute(select(*cols).where(_SUB.c.email.in_(emails[start : start + CHUNK]))):
            found[row.email] = row
    if list_ids and found:
        ids = [row.id for row in found.values()]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            query = select(_SUBSCRIPTION.c.subscriber_id, _SUBSCRIPTION.c.list_id, _SUBSCRIPTION.c.status).where(
                _SUBSCRIPTION.c.list_id.in_(sorted(list_ids)), _SUBSCRIPTION.c.subscriber_id.in_(chunk)
            )
            on_list.update({(sub_id, list_id): status for sub_id, list_id, status in conn.execute(query)})
    return found, on_list


@dataclass
class _Plan:
    """One slice's decisions, as ``_write`` applies them: subscribers to insert, rows to update, (subscriber id, list id) to join."""

    now: Any
    new: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    join: list[tuple[int, int]] = field(default_factory=list)


def _plans(
    conn: Connection, rows: dict[str, Row], report: ImportReport, *, key: bytes, lists: _Lists, fallback: str, progress: Progress | None
) -> Iterable[_Plan]:
    """Compare the rows with the store, a slice at a time (bounded memory), filling ``report``; yield each slice's plan.

    Only reads: the caller applies a plan or not (a dry run). Each address is in one slice only (``rows`` is keyed by
    it), so a slice's decisions never depend on an earlier slice being applied.
    """
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
        yield _plan_slice(conn, batch[start : start + SLICE], report, look=look, lists=lists, fallback=fallback, now=now)
        if progress is not None:
            progress(min(start + SLICE, len(batch)), len(batch))


@dataclass(frozen=True)
class _Lookups:
    key: bytes
    subscribers: bool
    suppressions: bool


def _plan_slice(conn: Connection, rows: list[Row], report: ImportReport, *, look: _Lookups, lists: _Lists, fallback: str, now: Any) -> _Plan:
    """Decide each row of the slice against the store (reads only); count it in ``report``; return what to write."""
    emails = [row.email for row in rows]
    hashes = [address_hash(look.key, email) for email in emails] if look.suppressions else [""] * len(rows)
    suppressed = suppressed_hashes(conn, hashes) if look.suppressions else {}
    found, on_list = _existing(conn, emails, lists.names) if look.subscribers else ({}, {})
    plan = _Plan(now)
    new, changes, join = plan.new, plan.changes, plan.join
    for row, digest in zip(rows, hashes):
        reason = suppressed.get(digest)
        old = found.get(row.email)
        if reason is None and old is not None and old.status in BLOCKING_STATUSES:
            reason = old.status
        if reason:
            known = reason in ("erased", "bounced", "complained", "unsubscribed")
            report.rejected.append(rejected(row.line, row.email, f"suppressed_{reason}" if known else "suppressed_other", status=reason))
            continue
        if row.status in ("unsubscribed", "bounced", "complained", "pending"):
            report.rejected.append(rejected(row.line, row.email, f"file_{row.status}"))
            continue
        wanted = lists.of(row)
        if row.left and lists.target is not None and lists.target not in wanted:
            if not wanted:
                report.rejected.append(rejected(row.line, row.email, "file_left_list", list_name=lists.names[lists.target]))
                continue
            row.notes.append(("file_left_list", {"list_name": lists.names[lists.target]}))
        if old is None:
            new.append(_new_values(row, fallback, wanted))
            _taken(report, row, row.language or fallback)
            continue
        left = [i for i in wanted if on_list.get((old.id, i)) == "unsubscribed"]
        if left and len(left) == len(wanted):
            report.rejected.append(rejected(row.line, row.email, "left_lists", n=len(left)))
            continue
        row.notes += [("left_list_earlier", {"list_name": lists.names[i]}) for i in left]
        change = _changed_values(old, row)
        joins = [(old.id, i) for i in wanted if (old.id, i) not in on_list]
        join.extend(joins)
        if change or joins:
            report.updated += 1
            changes.append({"b_id": old.id, "updated_at": now, **_merged(old, change)})
        else:
            report.unchanged += 1
        _taken(report, row, row.language or old.language)
    report.imported += len(new)
    return plan


def _taken(report: ImportReport, row: Row, language: str) -> None:
    """Count a row taken in (imported, updated or unchanged) by language, with what changed on the way."""
    report.languages[language] += 1
    if row.notes:
        report.changed.extend(changed(row.line, row.email, code, args) for code, args in row.notes)


def _new_values(row: Row, fallback: str, lists: list[int]) -> dict[str, Any]:
    return {"email": row.email, "name": row.name, "language": row.language or fallback, "attributes": row.attributes, "_line": row.line, "_lists": lists}


def _changed_values(old: Any, row: Row) -> dict[str, Any]:
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


def _write(
    conn: Connection, new: list[dict[str, Any]], changes: list[dict[str, Any]], join: list[tuple[int, int]], *, list_id: int | None, now: Any, source: str
) -> None:
    """Bulk inserts and updates inside the caller's transaction; ``join`` holds (subscriber id, list id) pairs."""
    lines = {values["email"]: values.pop("_line") for values in new}
    new_lists = {values["email"]: values.pop("_lists") for values in new}
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
            join.extend((sub_id, i) for i in new_lists[email])
            events.append({"subscriber_id": sub_id, "detail": f'{{"file": {file_json}, "line": {line}}}'})
    if changes:
        # executemany: the SET clause comes from each dict's keys.
        conn.execute(update(_SUB).where(_SUB.c.id == bindparam("b_id")), changes)
        events.extend({"subscriber_id": c["b_id"], "detail": f'{{"file": {file_json}, "updated": true}}'} for c in changes)
    bulk_insert(conn, _SUBSCRIPTION, [{"subscriber_id": s, "list_id": i} for s, i in join], {"status": "active", **stamps})
    bulk_insert(
        conn, _EVENT, events,
        {"kind": "imported", "at": now, "source": "import", "ip": None, "user_agent": None, "consent_version": None, "list_id": list_id},
        encoded={"detail"},
    )


# The same serialisation SQLAlchemy's JSON type uses, called directly.
_json = json.JSONEncoder().encode
