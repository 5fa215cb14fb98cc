"""A subscriber import's report in the officer's words (sl, en), made from the core's ``ImportReport``.

The CLI prints ``ImportReport.format()`` ("'E-pošta' -> email", "en  English: 22 -> en", "dry run:
nothing was written"); the studio shows the same facts as a page does: what each column of the file
becomes, which edition each language gets, the counts, and the rows merged, changed or refused, each
by its line (a13d #16). Only the fields of the report object are read, never its text.

Shapes: ``import_view(report, words, ui_language) -> ImportView`` whose ``columns`` are
``(header, becomes)``, ``languages`` ``(language, people, gets)``, ``counts`` ``(label, n)`` and
``merged`` / ``changed`` / ``rejected`` ``Row(line, value, why)``, ``why`` said from the row's code
(``store.importcodes``) by the catalogs' ``import_why_*`` / ``import_change_*``; ``failure_words(err, t)``
says an ``ImportFailed`` by ``import_failed_<code>``. No errors are raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError

from leadex_mail.store import encoding as enc
from leadex_mail.store.headers import EXPORT_ONLY
from leadex_mail.errors import ImportFailed
from leadex_mail.store.importreport import ImportReport, Rejection
from leadex_mail.store.languages import edition_for
from leadex_mail.studio.i18n import Words

# The column roles of the core's header table -> the catalog key of what the column becomes.
_ROLE_WORDS = {
    "email": "import_becomes_address",
    "name": "import_becomes_name",
    "first_name": "import_becomes_name",
    "last_name": "import_becomes_name",
    "language": "import_becomes_language",
    "lists": "import_becomes_lists",
    "attributes": "import_becomes_attributes",
    "status": "import_becomes_status",
}
_SEPARATORS = {",": "import_sep_comma", ";": "import_sep_semicolon", "\t": "import_sep_tab"}


@dataclass(frozen=True)
class Row:
    """One line of the file named in a list: its line number, the address as written, why."""

    line: int
    value: str
    why: str


@dataclass
class ImportView:
    """What the import page shows (every text already in the officer's language)."""

    dry_run: bool
    file_line: str
    encoding_note: str
    nothing: str = ""  # a dry run's "there is nothing to import" (then no import button), else ""
    columns: list[tuple[str, str]] = field(default_factory=list)
    languages_intro: str = ""
    languages: list[tuple[str, int, str]] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)
    merged: list[Row] = field(default_factory=list)
    changed: list[Row] = field(default_factory=list)
    rejected: list[Row] = field(default_factory=list)


def language_words(code: str, ui_language: str) -> str:
    """``code``'s name in the officer's language ("angleščina (en)"); the code alone when unknown."""
    base = code.split("-")[0].lower()
    try:
        name = Locale.parse(ui_language).languages.get(base)
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name} ({code})" if name else code


def import_view(report: ImportReport, words: Words, ui_language: str) -> ImportView:
    """The officer's report of ``report`` (a dry run's or a done import's)."""
    t = words.t
    dry = report.dry_run
    separator = t(_SEPARATORS[report.delimiter]) if report.delimiter in _SEPARATORS else repr(report.delimiter)
    view = ImportView(
        dry_run=dry,
        file_line=t("import_file_line", file=report.source, n=report.rows, encoding=enc.name(report.encoding), separator=separator),
        encoding_note=t("import_encoding_guessed") if report.detected else "",
    )
    if dry and not report.imported + report.updated:
        view.nothing = t("import_nothing_to_import" if report.rows else "import_nothing_to_import_empty")
    view.columns = _columns(report, t)
    view.languages_intro, view.languages = _languages(report, t, ui_language)
    view.counts = [
        (t("import_count_new_dry" if dry else "import_count_new"), report.imported),
        (t("import_count_updated_dry" if dry else "import_count_updated"), report.updated),
        (t("import_count_unchanged"), report.unchanged),
        (t("import_count_merged"), len(report.merged)),
        (t("import_count_changed_dry" if dry else "import_count_changed"), len(report.changed)),
        (t("import_count_rejected_dry" if dry else "import_count_rejected"), len(report.rejected)),
    ]
    view.merged = [Row(line, "", t("import_same_as_line", line=first)) for line, first in report.merged]
    view.changed = [Row(c.line, c.value, change_words(c, t)) for c in sorted(report.changed, key=lambda c: c.line)]
    view.rejected = [Row(r.line, r.value, t("import_why_" + r.code, **r.args)) for r in sorted(report.rejected, key=lambda r: r.line)]
    return view


def change_words(change: Rejection, t) -> str:  # type: ignore[no-untyped-def]
    """A change made on the way in, in the officer's words."""
    return t("import_change_" + change.code, **change.args)


def failure_words(err: ImportFailed, t) -> str:  # type: ignore[no-untyped-def]
    """Why an import failed as a whole, in the officer's words (never the CLI's options or commands)."""
    return t("import_failed_" + err.code, **err.args_said)


def _columns(report: ImportReport, t) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """``(the column's heading in the file, what it becomes)`` for every column, in the file's order."""
    joined = sum(1 for f in report.fields if f in ("first_name", "last_name")) > 1
    out: list[tuple[str, str]] = []
    for number, (header, role) in enumerate(zip(report.headers, report.fields), start=1):
        shown = header.strip() or t("import_column_number", n=number)
        if role in EXPORT_ONLY:
            becomes = t("import_becomes_not_stored")
        elif not role:
            becomes = t("import_becomes_ignored")
        elif role in ("first_name", "last_name") and joined:
            becomes = t("import_becomes_name_part")
        elif role in _ROLE_WORDS:
            becomes = t(_ROLE_WORDS[role])
        elif role in report.unknown:
            becomes = t("import_becomes_detail_own")
        else:
            becomes = t("import_becomes_detail", name=role)
        out.append((shown, becomes))
    return out


def _languages(report: ImportReport, t, ui_language: str) -> tuple[str, list[tuple[str, int, str]]]:  # type: ignore[no-untyped-def]
    """The sentence above the languages, and ``(language, people, the edition they get)`` most people first."""
    if not report.languages:
        return "", []
    counts = sorted(report.languages.items(), key=lambda item: (-item[1], item[0]))
    editions = report.editions
    if editions is None or not editions.languages:
        return t("import_languages_no_issues"), [(language_words(lang, ui_language), n, "") for lang, n in counts]
    have = ", ".join(sorted(editions.languages))
    rows = []
    for lang, n in counts:
        edition = edition_for(lang, editions.languages, editions.default)
        found = edition.lower() == lang.lower() or edition_for(lang, editions.languages, "") != ""
        gets = t("import_gets", edition=edition) if found else t("import_gets_default", edition=edition, language=language_words(lang, ui_language))
        rows.append((language_words(lang, ui_language), n, gets))
    return t("import_languages_intro", editions=have), rows
