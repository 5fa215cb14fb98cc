"""A translation whose lists of items are not the default edition's is an error at the list (a13d MAJOR 2).

An event without a date, an interview or a button added to or removed from
the default edition only passed ``check`` and the studio's check with 0
errors: the translation's subscribers would miss it, or get the one the
original took back. Only a removed *dated* event was said, as "This date
differs", which steered the translator to change the date.
"""

from __future__ import annotations

from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue
from leadex_mail.studio.findings import place
from leadex_mail.studio.i18n import words

HEAD = "language: {lang}\ntitle: T\nsubject: S\npreheader: P\nnumber: 2\ndate: 2026-12\nsections:\n  - type: masthead\n"
EVENT = "      - title: {title}\n{date}        body: {body}\n"
EVENTS = "  - type: events\n    heading: {heading}\n    items:\n{items}"
VISIT = (
    "  - type: study_visit\n    heading: {heading}\n    body: Besedilo.\n    interviews:\n{interviews}"
)
INTERVIEW = "      - person: {person}\n        url: https://example.org/{person}\n        summary: O projektu.\n"
BUTTONS = "  - type: project\n    name: Leadex\n    buttons:\n{buttons}"
BUTTON = "      - {{label: {label}, url: 'https://example.org/{label}'}}\n"


def _issue(tmp_path: Path, sl: str, en: str):
    folder = tmp_path / "2026-12-leadex-02"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sl.yaml").write_text(sl, encoding="utf-8")
    (folder / "en.yaml").write_text(en, encoding="utf-8")
    return load_issue(folder, Settings(newsletters_dir=tmp_path, default_language="sl"))


def _events(lang: str, *items: tuple[str, str | None]) -> str:
    body = "".join(EVENT.format(title=t, date=f"        date: {d}\n" if d else "", body="Besedilo.") for t, d in items)
    return HEAD.format(lang=lang) + EVENTS.format(heading="Dogodki", items=body)


def _found(issue, *codes: str):
    return [p for p in lint_issue(issue) if p.code in codes]


def test_an_event_without_a_date_added_in_the_default_edition_only_is_an_error_at_the_translations_list(tmp_path: Path) -> None:
    sl = _events("sl", ("Konferenca", "2027-03-02"), ("Spletni seminar o obnovi stavb", None))
    en = _events("en", ("Conference", "2027-03-02"))
    issue = _issue(tmp_path, sl, en)
    found = _found(issue, "edition.items_differ")
    assert [(Path(p.file).name, p.path, p.severity) for p in found] == [("en.yaml", "sections[1].items", "error")]
    assert found[0].line == 11  # the items: key of the en edition's events section
    assert "the sl edition has 2 items here, the en edition 1" in found[0].message and found[0].hint
    # the studio says it at the field, in the officer's words
    said = place(found[0], Path(issue.folder), words("en"))
    assert said.path == "sections.1.items" and said.href and said.href.endswith("#f-sections-1-items")
    assert "This edition has 1 item here, the Slovenian edition 2" in said.message
    assert "Ta izdaja ima tu 1 element, izdaja v jeziku slovenščina pa 2" in place(found[0], Path(issue.folder), words("sl")).message


def test_a_dated_event_removed_in_the_default_edition_is_said_as_a_missing_item_not_as_a_date_apart(tmp_path: Path) -> None:
    sl = _events("sl", ("Konferenca", "2027-03-02"))
    en = _events("en", ("Workshop in Ljubljana", "2027-02-10"), ("Conference", "2027-03-02"))
    issue = _issue(tmp_path, sl, en)
    found = _found(issue, "edition.items_differ", "edition.section_date_differs")
    assert [(p.code, p.path) for p in found] == [("edition.items_differ", "sections[1].items")]
    assert "the sl edition has 1 item here, the en edition 2" in found[0].message
    assert "remove here" in (found[0].hint or "")


def test_interviews_and_buttons_are_lists_compared_too_and_equal_lists_say_nothing(tmp_path: Path) -> None:
    def edition(lang: str, people: list[str], labels: list[str]) -> str:
        return (
            HEAD.format(lang=lang)
            + VISIT.format(heading="Obisk", interviews="".join(INTERVIEW.format(person=p) for p in people))
            + BUTTONS.format(buttons="".join(BUTTON.format(label=b) for b in labels))
        )

    issue = _issue(tmp_path, edition("sl", ["Ana", "Bor"], ["Video", "Spletna stran projekta"]), edition("en", ["Ana"], ["Video", "Project website", "Extra"]))
    found = _found(issue, "edition.items_differ")
    assert [(p.path, dict(p.args)["n"], dict(p.args)["other"]) for p in found] == [("sections[1].interviews", "1", "2"), ("sections[2].buttons", "3", "2")]
    same = _issue(tmp_path / "b", edition("sl", ["Ana"], ["Video"]), edition("en", ["Ana"], ["Video"]))
    assert _found(same, "edition.items_differ") == []


def test_two_issues_with_the_same_number_are_warned_at_the_number(tmp_path: Path) -> None:
    """a13d minor 9: No. 2 in 2026-12 and No. 2 in 2027-03 passed check."""
    for slug, date in (("2026-12-leadex-02", "2026-12"), ("2027-03-leadex-02", "2027-03"), ("2027-01-leadex-03", "2027-01")):
        folder = tmp_path / slug
        folder.mkdir()
        number = slug[-1]
        (folder / "sl.yaml").write_text((HEAD.format(lang="sl")).replace("number: 2", f"number: {number}").replace("2026-12", date), encoding="utf-8")
    settings = Settings(newsletters_dir=tmp_path, default_language="sl")
    later = [p for p in lint_issue(load_issue(tmp_path / "2027-03-leadex-02", settings)) if p.code == "issue.number_taken"]
    assert [(p.path, p.severity, p.line) for p in later] == [("number", "warning", 5)]
    assert "2026-12-leadex-02" in later[0].message and "No. 4 is free" in (later[0].hint or "")
    said = place(later[0], tmp_path / "2027-03-leadex-02", words("sl"))
    assert "Številko 2 ima tudi izdaja 2026-12-leadex-02" in said.message
    assert [p.code for p in lint_issue(load_issue(tmp_path / "2027-01-leadex-03", settings)) if p.code == "issue.number_taken"] == []


def test_a_privacy_notice_with_nothing_filled_in_is_one_warning_naming_all_four_with_what_to_do(tmp_path: Path) -> None:
    """a13d: a fresh folder showed four "Settings kept by the person who runs leadex-mail" warnings on every edition."""
    from leadex_mail.content.lint import privacy_findings

    (tmp_path / "brand.yaml").write_text("name: Leadex\n", encoding="utf-8")
    found = privacy_findings(Settings(newsletters_dir=tmp_path, default_language="sl"))
    assert [(p.code, p.severity, p.path) for p in found] == [("privacy.missing", "warning", "privacy")]
    for what in ("who keeps subscribers' data", "postal address", "where people write", "supervisory authority"):
        assert what in found[0].message
    said = place(found[0], None, words("en"))
    assert said.where == "The privacy notice (every issue)"
    assert "who keeps the subscribers' data, the postal address of who keeps the data, where people can write about their data and which authority" in said.message
    # Who fills them in and where that person reads how, never a file name (s7-words: officer pages name no file).
    assert "the person who runs the studio" in (said.hint or "") and "guide" in (said.hint or "")
    assert "brand.yaml" not in said.message + (said.hint or "") and "README" not in said.message + (said.hint or "")
    assert " in pri katerem organu" in place(found[0], None, words("sl")).message
