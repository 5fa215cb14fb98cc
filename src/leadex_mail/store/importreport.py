"""What an import did (or, with ``--dry-run``, would do), as the CLI prints it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from leadex_mail.store import encoding as enc
from leadex_mail.store.headers import EXPORT_ONLY
from leadex_mail.store.importcodes import change_words, rejection_words
from leadex_mail.store.languages import edition_for, language_name

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_CORE = {"email": "email", "name": "name", "first_name": "first name", "last_name": "last name", "language": "language",
         "lists": "lists", "attributes": "attributes (JSON)", "status": "status (only active people are put on lists)"}
_EXPORT_ONLY = EXPORT_ONLY


@dataclass(frozen=True)
class Rejection:
    """A row left out (or changed on the way in), and why.

    ``reason`` is the CLI's words; ``code`` and ``args`` say the same for any other face
    (``importcodes``: ``REJECTION_WORDS`` for rows left out, ``CHANGE_WORDS`` for changes).
    """

    line: int
    value: str
    reason: str
    code: str = ""
    args: dict[str, str | int] = field(default_factory=dict, compare=False, hash=False)


def rejected(line: int, value: str, code: str, **args: str | int) -> Rejection:
    """A row left out, by code (``importcodes.REJECTION_WORDS``), with the CLI's words filled in."""
    return Rejection(line, value, rejection_words(code, args), code, args)


def changed(line: int, value: str, code: str, args: dict[str, str | int]) -> Rejection:
    """A change made on the way in, by code (``importcodes.CHANGE_WORDS``), with the CLI's words filled in."""
    return Rejection(line, value, change_words(code, args), code, dict(args))


@dataclass(frozen=True)
class Editions:
    """The editions the issues under ``newsletters/`` have, and the default one."""

    languages: frozenset[str]
    default: str


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    ``changed`` lists rows taken in with something changed on the way (a
    multi-line note joined into one line, a list left earlier and not
    re-joined); ``languages`` counts the rows taken in by the language
    stored.
    """

    source: str
    encoding: str
    delimiter: str
    detected: str = ""  # why this code page, when it was a judgement
    sep_line: bool = False
    headers: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: list[tuple[int, int]] = field(default_factory=list)  # (line, merged into line)
    changed: list[Rejection] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)
    editions: Editions | None = None
    dry_run: bool = False

    def format(self) -> str:
        """The report as the CLI prints it."""
        sep = " as its sep= line says" if self.sep_line else ""
        delimiter = _DELIMITERS.get(self.delimiter, repr(self.delimiter))
        lines = [f"{self.source}: {self.rows} row{'' if self.rows == 1 else 's'} ({enc.name(self.encoding)}, {delimiter}-separated{sep})"]
        if self.detected:
            lines.append(f"encoding: {enc.DESCRIPTIONS.get(self.encoding, self.encoding)}, chosen {self.detected}")
        lines.append("columns: " + self._columns())
        lines += self._languages()
        lines += [
            f"{'would import' if self.dry_run else 'imported'}: {self.imported}",
            f"{'would update' if self.dry_run else 'updated'}: {self.updated}",
            f"unchanged: {self.unchanged}",
            f"merged duplicates: {len(self.merged)}",
        ]
        lines += [f"  line {line}: same address as line {first} (line {first}'s name, language and attributes are kept; only this line's lists are added)" for line, first in self.merged]
        if self.changed:
            lines.append(f"{'would change' if self.dry_run else 'changed'} on the way in: {len(self.changed)}")
            lines += [f"  line {c.line}: {_short(c.value)}: {c.reason}" for c in sorted(self.changed, key=lambda c: c.line)]
        lines.append(f"{'would reject' if self.dry_run else 'rejected'}: {len(self.rejected)}")
        lines += [f"  line {r.line}: {_short(r.value)}: {r.reason}" for r in sorted(self.rejected, key=lambda r: r.line)]
        if self.dry_run:
            if not self.imported + self.updated:
                lines.append("nothing to import: " + ("the file has a header row but no rows of people under it" if not self.rows else "no row would add or change anyone"))
            lines.append("dry run: nothing was written")
        return "\n".join(lines)

    def _columns(self) -> str:
        parts: list[str] = []
        names = [h.strip() for h in self.headers]
        joined = [n for n, f in zip(names, self.fields) if f in ("first_name", "last_name")]
        exported = [n for n, f in zip(names, self.fields) if f in _EXPORT_ONLY]
        for number, (header, role) in enumerate(zip(names, self.fields), start=1):
            if role in _EXPORT_ONLY:
                if header == exported[0]:
                    parts.append(f"{', '.join(repr(e) for e in exported)} -> not stored (subscribers export writes them; the store keeps its own)")
                continue
            if not role:
                parts.append(f"column {number} (no header) -> ignored")
                continue
            if role in ("first_name", "last_name") and len(joined) > 1:
                if header == joined[0]:
                    parts.append(f"{' + '.join(repr(j) for j in joined)} -> name")
                continue
            if role in _CORE and role not in ("first_name", "last_name"):
                parts.append(f"{header!r} -> {_CORE[role]}")
            elif role in ("first_name", "last_name"):
                parts.append(f"{header!r} -> name")
            elif role in self.unknown:
                parts.append(f"{header!r} -> attribute (not a known column: kept under its own name)")
            else:
                parts.append(f"{header!r} -> attribute {role!r}")
        return ", ".join(parts)

    def _languages(self) -> list[str]:
        if not self.languages:
            return []
        counts = sorted(self.languages.items(), key=lambda item: (-item[1], item[0]))
        if self.editions is None or not self.editions.languages:
            listed = ", ".join(f"{lang} {n}" for lang, n in counts)
            return [f"languages: {listed} (no issues under newsletters/ to tell which edition each gets)"]
        have = ", ".join(sorted(self.editions.languages))
        lines = [f"languages (the edition each gets; the issues have {have}):"]
        for lang, n in counts:
            edition = edition_for(lang, self.editions.languages, self.editions.default)
            found = edition.lower() == lang.lower() or edition_for(lang, self.editions.languages, "") != ""
            gets = edition if found else f"{edition}, the default (there is no {language_name(lang.split('-')[0])} edition)"
            lines.append(f"  {lang}  {language_name(lang)}: {n} -> {gets}")
        return lines


def _short(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")
