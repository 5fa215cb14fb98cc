"""The round trip of an edition file: untouched lines stay byte for byte, edits change only their lines."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest

from leadex_mail.errors import ContentError, EditConflict
from leadex_mail.studio.document import EditionDoc
from leadex_mail.studio.formschema import edition_form, empty_value, spec_at
from studio.studio_helpers import ISSUE, REPO

HAND_WRITTEN = """\
# yaml-language-server: $schema=../schema.json
# Written by hand: every comment must survive the studio.
language: sl
title: LeadEx novice št. 2   # the title
subject: "LeadEx novice št. 2 – september 2026"
number: 2
date: 2026-09-01

sections:
  # The header comes first.
  - type: masthead

  # Our main story.
  - type: story
    heading: Prvi dan
    body: |-
      Prvi odstavek.

      Drugi odstavek z **krepkim**.
    more:
      label: VEČ
      url: https://example.org/prvi   # to be checked

  # Events of the autumn.
  - type: events
    heading: Dogodki
    items:
      - title: Srečanje
        date: 2026-09-30
        body: Kratko.
"""


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="") if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def edit(doc: EditionDoc, path: tuple, value) -> None:
    doc.set(path, value, spec_at(path, doc.root), spec_at(path[:-1], doc.root))


@pytest.fixture
def hand(tmp_path: Path) -> Path:
    (tmp_path / "issue").mkdir()
    path = tmp_path / "issue" / "sl.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_issue_one_comes_back_byte_for_byte(lang: str) -> None:
    path = REPO / "newsletters" / ISSUE / f"{lang}.yaml"
    doc = EditionDoc.open(path)
    doc._touch()  # force a real dump, not the text as read
    assert doc.text() == path.read_text(encoding="utf-8")


def test_every_corpus_file_that_opens_comes_back_byte_for_byte() -> None:
    opened = 0
    for path in sorted((REPO / "tests" / "content" / "corpus").rglob("*.yaml")):
        try:
            doc = EditionDoc.open(path)
        except ContentError:
            continue  # broken on purpose: the studio sends these to a text editor
        doc._touch()
        assert doc.text() == path.read_text(encoding="utf-8"), path
        opened += 1
    assert opened >= 5


def test_an_edit_changes_only_its_line_and_keeps_every_comment(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    edit(doc, ("title",), "LeadEx novice št. 2 – jesen")
    edit(doc, ("sections", 1, "more", "url"), "https://example.org/drugi")
    edit(doc, ("subject",), "LeadEx novice št. 2 – oktober 2026")
    assert sorted(changed_lines(HAND_WRITTEN, doc.text())) == sorted([
        "-title: LeadEx novice št. 2   # the title",
        '-subject: "LeadEx novice št. 2 – september 2026"',
        "-      url: https://example.org/prvi   # to be checked",
        "+title: LeadEx novice št. 2 – jesen   # the title",
        '+subject: "LeadEx novice št. 2 – oktober 2026"',
        "+      url: https://example.org/drugi   # to be checked",
    ])


def test_a_block_text_stays_a_block_and_a_long_new_text_becomes_one(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    edit(doc, ("sections", 1, "body"), "En sam odstavek.")
    edit(doc, ("sections", 2, "items", 0, "body"), "Daljše besedilo o srečanju, ki ga je treba zapisati kot blok, kot pravi navodilo.")
    text = doc.text()
    assert "    body: |-\n      En sam odstavek.\n" in text
    assert "        body: Daljše besedilo" in text  # written plain before: kept plain (its style is the writer's)
    doc.add_item(("sections",), 3, {"type": "story", "heading": "Nova", "body": ""})
    edit(doc, ("sections", 3, "body"), "Daljše besedilo nove novice, ki ga je treba zapisati kot blok, kot pravi navodilo.")
    assert "    body: |-\n      Daljše besedilo nove novice" in doc.text()


def test_moving_a_section_carries_its_comment_and_blank_line(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    doc.move_item(("sections",), 2, 1)
    text = doc.text()
    assert text.index("# Events of the autumn.") < text.index("- type: events") < text.index("# Our main story.") < text.index("- type: story")
    assert "\n\n  # Events of the autumn.\n  - type: events" in text
    assert "\n\n  # Our main story.\n  - type: story" in text
    doc.move_item(("sections",), 1, 2)
    assert doc.text() == HAND_WRITTEN  # and back: nothing lost, nothing added


def test_adding_and_removing_sections_keep_the_spacing(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    story = edition_form().child("sections").variants["story"]
    doc.add_item(("sections",), 3, empty_value(story))
    assert doc.text().endswith('        body: Kratko.\n\n  - type: story\n    heading: ""\n    body: ""\n')  # empty texts as docs/format.md writes them
    doc.remove_item(("sections",), 3)
    assert doc.text() == HAND_WRITTEN
    doc.remove_item(("sections",), 1)
    assert "# Our main story." not in doc.text()  # its comment went with it
    assert "  - type: masthead\n\n  # Events of the autumn.\n  - type: events" in doc.text()


def test_removing_a_field_keeps_the_comment_that_leads_into_the_next(tmp_path: Path) -> None:
    path = tmp_path / "sl.yaml"
    path.write_text(HAND_WRITTEN.replace("    more:\n", "    # the link below\n    more:\n"), encoding="utf-8")
    doc = EditionDoc.open(path)
    edit(doc, ("sections", 1, "more"), None)
    text = doc.text()
    assert "more:" not in text and "# to be checked" not in text
    assert "\n\n  # Events of the autumn.\n  - type: events" in text


def test_new_fields_go_where_the_format_puts_them(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    edit(doc, ("preheader",), "Jesen v projektu.")
    image = ("sections", 1, "image")
    edit(doc, image, {"src": "images/a.jpg", "alt": "Udeleženci"})
    text = doc.text()
    assert 'subject: "LeadEx novice št. 2 – september 2026"\npreheader: Jesen v projektu.\nnumber: 2' in text
    assert "    heading: Prvi dan\n    image:\n      src: images/a.jpg\n      alt: Udeleženci\n    body: |-" in text


def test_dates_numbers_and_flags_are_written_as_a_person_writes_them(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    edit(doc, ("date",), dt.date(2026, 10, 1))
    edit(doc, ("number",), 3)
    edit(doc, ("sections", 2, "items", 0, "date"), "2026-31-31")  # nonsense stays as typed: the loader reports it
    edit(doc, ("sections", 1, "image"), {"src": "images/a.jpg", "alt": ""})
    edit(doc, ("sections", 1, "image", "decorative"), True)
    text = doc.text()
    assert "\ndate: 2026-10-01\n" in text and "\nnumber: 3\n" in text
    assert "        date: 2026-31-31\n" in text
    assert "      decorative: true\n" in text
    edit(doc, ("sections", 1, "image", "decorative"), False)
    assert "decorative" not in doc.text()  # false is the default: a person leaves it out


def test_saving_is_refused_when_the_file_changed_on_disk(hand: Path) -> None:
    doc = EditionDoc.open(hand)
    edit(doc, ("title",), "Moja sprememba")
    someone_else = HAND_WRITTEN.replace("Prvi dan", "Prvi dan (popravil kolega)")
    hand.write_text(someone_else, encoding="utf-8")
    with pytest.raises(EditConflict) as refused:
        doc.save()
    assert "changed by another program or person" in refused.value.message
    assert hand.read_text(encoding="utf-8") == someone_else  # nothing overwritten
    hand.unlink()
    with pytest.raises(EditConflict, match="was deleted"):
        doc.save()
    assert not hand.exists()


def test_saving_writes_atomically_and_keeps_the_file_mode(hand: Path) -> None:
    hand.chmod(0o640)
    doc = EditionDoc.open(hand)
    edit(doc, ("title",), "Shranjeno")
    doc.save()
    assert "title: Shranjeno   # the title" in hand.read_text(encoding="utf-8")
    assert hand.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in hand.parent.iterdir()] == ["sl.yaml"]  # no temporary file left
    edit(doc, ("title",), "Še enkrat")
    doc.save()  # its own save is not someone else's change
    assert "Še enkrat" in hand.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x 1\nb: *x\n", "anchors and aliases"),
        ("title: 'never closed\n", "not valid YAML"),
        ("- just\n- a list\n", "not a set of fields"),
    ],
)
def test_files_the_form_cannot_show_are_refused_with_a_located_problem(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "sl.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        EditionDoc.open(path)
    assert words in refused.value.problems[0].message


def test_a_file_indented_by_four_comes_back_indented_by_four(tmp_path: Path) -> None:
    text = "language: sl\ntitle: T\nsubject: S\nnumber: 1\ndate: 2026-01-01\nsections:\n-   type: story\n    heading: H\n    more:\n        label: L\n        url: https://example.org\n    body: B\n"
    path = tmp_path / "sl.yaml"
    path.write_text(text, encoding="utf-8")
    doc = EditionDoc.open(path)
    edit(doc, ("sections", 0, "heading"), "H2")
    assert changed_lines(text, doc.text()) == ["-    heading: H", "+    heading: H2"]


def test_copying_the_repository_issue_keeps_pictures(tmp_path: Path) -> None:
    shutil.copytree(REPO / "newsletters" / ISSUE, tmp_path / ISSUE)
    doc = EditionDoc.open(tmp_path / ISSUE / "sl.yaml")
    assert doc.data()["sections"][1]["image"]["src"] == "images/kickoff-murcia.jpg"


def test_a_list_without_blank_lines_gets_none_and_a_list_of_one_gets_the_usual_spacing(tmp_path: Path) -> None:
    path = tmp_path / "sl.yaml"
    tight = "language: sl\ntitle: T\nsubject: S\nnumber: 1\ndate: 2026-01-01\nsections:\n  - type: masthead\n  - type: story\n    heading: H\n    body: B\n"
    path.write_text(tight, encoding="utf-8")
    doc = EditionDoc.open(path)
    doc.add_item(("sections",), 2, {"type": "story", "heading": "N", "body": "B"})
    assert doc.text() == tight + "  - type: story\n    heading: N\n    body: B\n"  # the writer's tight style, untouched lines unchanged
    single = "language: sl\ntitle: T\nsubject: S\nnumber: 1\ndate: 2026-01-01\nsections:\n  - type: masthead\n"
    path.write_text(single, encoding="utf-8")
    doc = EditionDoc.open(path)
    doc.add_item(("sections",), 1, {"type": "story", "heading": "N", "body": "B"})
    assert doc.text() == single + "\n  - type: story\n    heading: N\n    body: B\n"  # as `new` spaces sections


def _loaded(text: str):
    from leadex_mail.content.yamlsource import YamlSyntaxProblem, _parse

    try:
        return _parse(text, "x.yaml")[0]
    except YamlSyntaxProblem as exc:
        return ("refused", exc.problem.message)


def test_the_preview_reads_the_same_data_as_saving_would_write(hand: Path) -> None:
    # The preview and check read ``preview_text`` (libyaml's emitter, fast), saving writes ``text``
    # (ruamel's round trip): what the loader makes of them must be the same, or the studio would
    # show and check something other than what is saved.
    doc = EditionDoc.open(hand)
    edits = [
        (("date",), dt.date(2026, 10, 1)),
        (("number",), 3),
        (("sections", 2, "items", 0, "date"), "2026-31-31"),
        (("sections", 1, "heading"), "yes"),
        (("sections", 1, "more", "label"), "0755"),
        (("sections", 1, "body"), "a: b\n\n- x\n- **y** 'q' \"z\" # not a comment\n\n1. one\n   two  \n"),
        (("title",), "  leading and trailing spaces, a tab\tand: a colon  "),
        (("sections", 1, "image"), {"src": "images/a.jpg", "alt": "", "decorative": True}),
    ]
    for path, value in edits:
        edit(doc, path, value)
        assert _loaded(doc.preview_text()) == _loaded(doc.text()), path
    for path in [*(REPO / "newsletters" / ISSUE).glob("*.yaml"), *sorted((REPO / "tests" / "content" / "corpus").rglob("*.yaml"))]:
        try:
            corpus = EditionDoc.open(path)
        except ContentError:
            continue
        corpus._touch()
        assert _loaded(corpus.preview_text()) == _loaded(corpus.text()), path
