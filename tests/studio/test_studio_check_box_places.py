"""The editor's Check box names each finding's place (a13c F3).

Issue No. 2 started from "an example of every kind of section" listed nine
links all reading "This link has no real address yet." and twelve "This text
is still marked ✎", none naming a section or field (WCAG 2.4.4: a screen
reader's list of links read the same words twenty times). The box takes each
link's text from the finding's message (``studio.js``), so the message the
live check sends names the place as the form does; another edition's
finding keeps the edition as its link and the same place after it.
"""

from __future__ import annotations

from pathlib import Path

from leadex_mail.errors import Problem
from leadex_mail.studio.findings import place
from leadex_mail.studio.i18n import words

DATA = {"sections": [{"type": "masthead"}, {"type": "story", "heading": "x", "more": {"url": "#"}}, {"type": "story", "heading": "y", "more": {"url": "#"}}]}


def _sent(tmp_path: Path, language: str, path: str, code: str = "link.unfinished") -> dict:
    folder = tmp_path / "2026-09-leadex-02"
    folder.mkdir(exist_ok=True)
    problem = Problem(str(folder / f"{language}.yaml"), 7, 3, path, "the core's words", None, code=code)
    return place(problem, folder, words("en"), lambda lang: DATA).as_json()


def test_each_finding_of_the_edition_names_its_section_and_field(tmp_path: Path) -> None:
    first, second = _sent(tmp_path, "sl", "sections[1].more.url"), _sent(tmp_path, "sl", "sections[2].more.url")
    assert first["message"] == "section 2 (Story) · “More here” link · Address (URL): This link has no real address yet."
    assert second["message"] == "section 3 (Story) · “More here” link · Address (URL): This link has no real address yet."
    assert first["where"] == second["where"] == "Slovenian edition"
    assert first["href"].endswith("/sl#f-sections-1-more-url")


def test_a_finding_of_the_whole_edition_keeps_its_words(tmp_path: Path) -> None:
    sent = _sent(tmp_path, "sl", "preheader", code="edition.no_preheader")
    assert sent["message"] == "Preview line: The preview line is empty."
    whole = _sent(tmp_path, "sl", "", code="edition.no_preheader")
    assert whole["message"] == "The preview line is empty." and whole["where"] == "Slovenian edition"
