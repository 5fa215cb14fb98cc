"""Check findings as an officer reads them: in their language, at a place they can reach.

The core says a finding for the terminal (``Problem.message``: English,
naming files, lines and the fields' keys). The studio says it again from the
finding's ``code`` (``problem_codes``) and values, with the words of
``catalogs/<lang>.toml`` (``[findings]`` and ``[finding_hints]``), and names
its place as the form does ("Slovenian edition · section 2 (Story) · What
the picture shows"), with a link there. What only the person who runs
leadex-mail can change (the brand file, the templates, the set-up) says so
and whom to ask; what only a correction of the file by hand can mend names
the line to correct.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadex_mail.content.languages import is_edition_language
from leadex_mail.content.yamlsource import MAX_FILE_BYTES
from leadex_mail.errors import Problem
from leadex_mail.problem_codes import EDITION, FILE, owner
from leadex_mail.studio.formschema import FieldPath, spec_at
from leadex_mail.studio.i18n import Words

if TYPE_CHECKING:
    from leadex_mail.studio.document import EditionDoc

PRIVACY_WHATS = ("controller", "address", "email", "authority")
DataOf = Callable[[str], Any]  # an edition's plain data by language (which section is of which type); None when unknown


@dataclass(frozen=True)
class FieldProblem:
    """A check result placed where the officer sees it: an edition's field, or the issue as a whole."""

    language: str | None  # None: the brand, the set-up or the whole issue
    path: str  # dotted; "" when it concerns the whole edition
    severity: str
    message: str  # in the officer's words
    hint: str | None
    where: str  # the place in the form's words ("Slovenian edition · section 2 (Story) · Heading")
    href: str | None  # the page (and field) where it is put right; None when not in the studio
    code: str
    detail: str  # the core's own words (for the operator, when the officer must ask them)
    field: str = ""  # the field's part of ``where`` ("section 2 (Story) · Address (URL)"); "" for the edition as a whole

    def as_json(self) -> dict[str, Any]:
        """The shape the pages read (see ``studio.js``).

        The message starts with the field's place ("section 2 (Story) ·
        Address (URL): This link has no real address yet."): the editor's
        Check box links each finding of its own edition with the message as
        the link's text, and nine links all reading "This link has no real
        address yet." say nothing of where they lead (WCAG 2.4.4). ``where``
        then names the rest of the place (the edition), so another edition's
        finding still reads "Slovenian edition: section 2 (Story) · ...".
        """
        message, where = self.message, self.where
        if self.field:
            message, where = f"{self.field}: {message}", where.removesuffix(f" · {self.field}")
        return {
            "language": self.language, "path": self.path, "severity": self.severity, "message": message,
            "hint": self.hint, "where": where, "href": self.href, "code": self.code,
        }


# The fast text a draft is checked as (``EditionDoc.preview_text``) is the saved file's data without its comments and
# line folding: well within half of the file's size or more. Only a draft this large is written out to be measured.
SIZE_CHECKED_FROM = MAX_FILE_BYTES // 2


def save_size_problems(drafts: Iterable[EditionDoc]) -> list[Problem]:
    """An error at each changed draft whose file, saved now, would be over ``MAX_FILE_BYTES``: what Save refuses.

    Said by the live check (code ``edition.too_big_to_save``, args ``size`` and
    ``max`` in KB, at the edition as a whole), so the officer knows before pressing
    Save; the save itself still refuses (``document.too_big_to_save``). The
    caller holds the session's lock (the drafts are read).
    """
    problems = []
    for doc in drafts:
        if not doc.changed or len(doc.preview_text().encode("utf-8")) < SIZE_CHECKED_FROM:
            continue
        size = len(doc.text().encode("utf-8"))
        if size > MAX_FILE_BYTES:
            kb, most = -(-size // 1024), MAX_FILE_BYTES // 1024
            message = f"{doc.path.name} would be {kb} KB when saved; an issue file may be at most {most} KB, so Save will refuse it"
            hint = "shorten the longest texts (a paste from a web page can bring far more than it shows)"
            problems.append(Problem(str(doc.path), None, None, "", message, hint, "error", code="edition.too_big_to_save", args=(("size", kb), ("max", most))))
    return problems


def place(problem: Problem, folder: Path | None, words: Words, data_of: DataOf | None = None) -> FieldProblem:
    """Which edition and field ``problem`` concerns, said in ``words``."""
    from leadex_mail.studio.workspace import dotted, parse_path

    file = Path(problem.file)
    in_issue = folder is not None and file.parent.resolve() == folder.resolve() and file.suffix in (".yaml", ".yml")
    language = file.stem if in_issue else None
    who = owner(problem.code)
    path = parse_path(problem.path) if who == EDITION else ()
    message, hint = say(problem, words)
    where = _where(language, path, problem, who, words, data_of)
    field = " · ".join(field_words(path, data_of(language) if data_of is not None else None, words)) if language is not None and who == EDITION and path else ""
    href = None
    # A file named like no edition (``xx.yaml``) has no page in the studio: the finding says whom to ask.
    if language is not None and folder is not None and who in (EDITION, FILE) and is_edition_language(language):
        href = f"/issues/{folder.name}/{language}" + (f"#f-{'-'.join(str(p) for p in path)}" if path else "")
    return FieldProblem(language, dotted(path), problem.severity, message, hint, where, href, problem.code, problem.message, field if where.endswith(f" · {field}") else "")


def say(problem: Problem, words: Words) -> tuple[str, str | None]:
    """``(message, hint)`` of ``problem`` in ``words``; the core's words for a code the catalogs lack (a test keeps them complete)."""
    values = _values(problem, words)
    message = words.finding(problem.code, values)
    if message is None:
        return problem.message, problem.hint
    return message, words.finding_hint(problem.code, values)


def _values(problem: Problem, words: Words) -> dict[str, str]:
    values = dict(problem.args)
    for name, value in values.items():
        if name.endswith("language"):
            values[name] = language_display(value, words.language)
    if "section" in values:
        values["section"] = words.section(values["section"])
    if "field" in values:  # privacy.missing: the missing fields, comma-separated
        whats = [words.t(f"privacy_what_{name}") if name in PRIVACY_WHATS else name for name in values["field"].split(",")]
        values["what"] = whats[0] if len(whats) == 1 else words.t("list_and", some=", ".join(whats[:-1]), last=whats[-1])
    values["line"] = str(problem.line) if problem.line else "?"
    return values


@lru_cache(maxsize=256)
def language_display(code: str, ui: str) -> str:
    """A language's name in the officer's language ("Slovenian", "angleščina"); the code when Babel does not know it."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(ui) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def _where(language: str | None, path: FieldPath, problem: Problem, who: str, words: Words, data_of: DataOf | None) -> str:
    if problem.code == "privacy.missing":  # the officer's part too when no one else runs leadex-mail (README, the studio)
        return words.t("where_privacy")
    if language is None:
        return words.t("where_operator") if who not in (EDITION, FILE) else words.t("where_issue")
    parts = [words.t("where_edition", language=language_display(language, words.language))]
    if who == FILE:
        if problem.line:
            parts.append(words.t("where_line", line=problem.line))
        return " · ".join(parts)
    data = data_of(language) if data_of is not None else None
    parts.extend(field_words(path, data, words))
    return " · ".join(parts)


def field_words(path: FieldPath, data: Any, words: Words) -> list[str]:
    """The form's names along ``path``: "section 2 (Story)", "Button 1", "Address (URL)"; unknown fields are left out."""
    out: list[str] = []
    for depth in range(1, len(path) + 1):
        here, part = path[:depth], path[depth - 1]
        if here[:1] == ("sections",) and depth == 2 and isinstance(part, int):
            kind = _section_type(data, part)
            out.append(words.t("where_section", n=part + 1, kind=words.section(kind) if kind else "?"))
            continue
        spec = spec_at(here, data)
        if spec is None:
            continue
        if isinstance(part, int):
            out.append(f"{words.item(spec)} {part + 1}")
        elif not (part == "sections" and depth == 1 and len(path) > 1):  # "section 2 (Story)" says it
            out.append(words.label(spec))
    return out


def _section_type(data: Any, index: int) -> str | None:
    sections = data.get("sections") if isinstance(data, dict) else None
    if isinstance(sections, list) and 0 <= index < len(sections) and isinstance(sections[index], dict):
        kind = sections[index].get("type")
        return kind if isinstance(kind, str) else None
    return None
