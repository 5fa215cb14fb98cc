"""Sections out of their place, and two editions of one language (brief s6 C3, C4).

C3, reported: a second Header (masthead) section got no warning. The kind:
the format's sections the mail has once, at the top (``lint.ONCE_AT_THE_TOP``):
a second one, or one below another section, is warned at that section.

C4, reported: an ``sl-SI`` edition could sit beside ``sl``. By BCP 47 and
CLDR's likely subtags ``sl`` is Slovenian of Slovenia, so both are one
language, and the store's RFC 4647 lookup would give Slovenian subscribers
one or the other by how their tag is written: ``check`` refuses it at the
longer code's ``language``, and ``new`` (the studio's "new edition" too)
will not start it. A region that says something (``en-GB`` beside ``en``)
stays allowed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue
from leadex_mail.content.scaffold import new_issue
from leadex_mail.errors import ContentError
from leadex_mail.store.languages import edition_for
from leadex_mail.studio.findings import place
from leadex_mail.studio.i18n import words

ROOT = Path(__file__).resolve().parents[2]
SLUG = "2026-10-leadex-03"
STORY = "  - type: story\n    heading: A\n    body: Besedilo.\n"
MASTHEAD = "  - type: masthead\n"


def _edition(language: str, *sections: str) -> str:
    return f"language: {language}\ntitle: T\nsubject: S\npreheader: P\nnumber: 3\ndate: 2026-10\nsections:\n" + "".join(sections)


def _issue(tmp_path: Path, **editions: str):
    folder = tmp_path / SLUG
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "newsletters" / "brand.yaml", tmp_path / "brand.yaml")
    shutil.copytree(ROOT / "newsletters" / "brand-images", tmp_path / "brand-images", dirs_exist_ok=True)
    for language, text in editions.items():
        (folder / f"{language.replace('_', '-')}.yaml").write_text(text, encoding="utf-8")
    return load_issue(folder, Settings(newsletters_dir=tmp_path))


def _found(issue, *codes: str) -> list[tuple[str, str | None, str, str]]:
    return sorted((Path(p.file).name, p.path, p.severity, p.code) for p in lint_issue(issue) if p.code in codes)


def test_a_second_header_section_is_warned_at_it(tmp_path: Path) -> None:
    issue = _issue(tmp_path, sl=_edition("sl", MASTHEAD, STORY, MASTHEAD))
    assert _found(issue, "edition.section_repeated", "edition.section_not_first") == [("sl.yaml", "sections[2]", "warning", "edition.section_repeated")]


def test_a_header_below_another_section_is_warned_at_it_and_the_studio_names_the_section(tmp_path: Path) -> None:
    issue = _issue(tmp_path, sl=_edition("sl", STORY, MASTHEAD, MASTHEAD))
    found = [p for p in lint_issue(issue) if p.code in ("edition.section_repeated", "edition.section_not_first")]
    assert [(p.path, p.code) for p in found] == [("sections[1]", "edition.section_not_first"), ("sections[2]", "edition.section_repeated")]
    placed = place(found[1], Path(issue.folder), words("sl"), lambda language: {"sections": [{"type": "story"}, {"type": "masthead"}, {"type": "masthead"}]})
    said = placed.as_json()
    assert said["message"] == "razdelek 3 (Glava): To je drugi razdelek »Glava« (razdelek 2 je že tak): izdaja ima enega, na vrhu.", said
    assert said["href"] == f"/issues/{SLUG}/sl#f-sections-2" and said["severity"] == "warning"


def test_the_example_issue_has_its_header_once_at_the_top() -> None:
    issue = load_issue(ROOT / "newsletters" / "2026-04-leadex-01", Settings(newsletters_dir=ROOT / "newsletters"))
    assert _found(issue, "edition.section_repeated", "edition.section_not_first", "edition.same_language") == []


def test_an_sl_si_edition_beside_sl_is_an_error_at_its_language(tmp_path: Path) -> None:
    issue = _issue(tmp_path, sl=_edition("sl", MASTHEAD, STORY), sl_SI=_edition("sl-SI", MASTHEAD, STORY))
    assert _found(issue, "edition.same_language") == [("sl-SI.yaml", "language", "error", "edition.same_language")]
    # Why it matters: the store's lookup splits Slovenian subscribers between the two by how their tag is written.
    assert {edition_for(tag, issue.editions, "sl") for tag in ("sl", "sl-SI", "sl-IT")} == {"sl", "sl-SI"}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("sl-SI", "sl", True), ("en", "en-US", True), ("de-DE", "de", True), ("pt", "pt-BR", True), ("en-GB", "en", False),
     ("pt-PT", "pt", False), ("sl", "en", False), ("de-AT", "de-CH", False), ("sl", "sl", False), ("hr", "sr", False)],
)  # fmt: skip
def test_one_language_is_what_cldr_s_likely_subtags_make_it(a: str, b: str, same: bool) -> None:
    from leadex_mail.content.languages import same_language

    assert same_language(a, b) is same and same_language(b, a) is same


def test_a_regional_edition_that_says_something_is_allowed(tmp_path: Path) -> None:
    issue = _issue(tmp_path, en=_edition("en", MASTHEAD, STORY), en_GB=_edition("en-GB", MASTHEAD, STORY))
    assert _found(issue, "edition.same_language") == []


def test_new_does_not_start_an_edition_in_a_language_the_issue_has(tmp_path: Path) -> None:
    _issue(tmp_path, sl=_edition("sl", MASTHEAD, STORY))
    settings = Settings(newsletters_dir=tmp_path)
    with pytest.raises(ContentError) as refused:
        new_issue(SLUG, settings, "sl-SI")
    assert "sl edition" in refused.value.message and refused.value.hint
    assert not (tmp_path / SLUG / "sl-SI.yaml").exists()
    assert new_issue(SLUG, settings, "en").path.name == "en.yaml"  # another language starts as before
