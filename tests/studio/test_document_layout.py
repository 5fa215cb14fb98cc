"""What the studio writes for every kind of value, in the hand-written file's own layout.

The input is the tester's hand-written edition (issue 13, a13 #15: CRLF line
endings, ``role: null``; tabs inside comments and between the parts of a
line, which libyaml reads and ruamel's scanner refused); the officer's edits are the
same for each layout, and the result must equal the expected file -- written
in that file's layout (CRLF, CR, a UTF-8 byte-order mark, no newline after
the last line). ``LEADEX_UPDATE_EXPECTED=1`` rewrites the expected file
(read it before committing).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leadex_mail.studio.document import EditionDoc
from leadex_mail.studio.formschema import coerce, empty_value, spec_at
from leadex_mail.studio.textlayout import Layout

EXPECTED = Path(__file__).parent / "expected"
BEFORE = (EXPECTED / "hand-written-sl.before.yaml").read_text(encoding="utf-8")
AFTER = EXPECTED / "hand-written-sl.after.yaml"


def typed(doc: EditionDoc, path: tuple, raw: object) -> None:
    """What the form does when the officer types ``raw`` into the field at ``path`` (views_edit.change_field)."""
    spec = spec_at(path, doc.root)
    doc.set(path, coerce(spec, raw), spec, spec_at(path[:-1], doc.root))


def officer_edits(doc: EditionDoc) -> None:
    typed(doc, ("preheader",), "")  # optional, cleared: the line goes, as a person deletes it
    typed(doc, ("sections", 1, "heading"), "Srečanje v Murcii")
    typed(doc, ("sections", 1, "body"), "Prvi odstavek.\r\n\r\nDrugi odstavek.\n")  # a browser's CRLF, a trailing newline
    typed(doc, ("sections", 3, "heading"), "")  # required, cleared: '' in the writer's quotes
    typed(doc, ("sections", 3, "interviews", 0, "person"), "Ana Novak")  # beside role: null, untouched
    typed(doc, ("sections", 3, "interviews", 0, "organisation"), "   ")  # optional, only spaces: removed
    typed(doc, ("sections", 4, "body"), "Vrstica ena\nvrstica dve\twith a tab")  # plain before, now lines: a block
    typed(doc, ("sections", 4, "button", "label"), "Spoznaj prakse")  # its comment keeps its gap
    typed(doc, ("sections", 6, "items", 1, "organisation"), "Ministrstvo")  # written as nothing before
    typed(doc, ("sections", 6, "heading"), "")  # required, plain before: "" as docs/format.md writes it
    items = ("sections", 5, "items")
    doc.add_item(items, 1, empty_value(spec_at(items, doc.root).item))  # a new event: its required texts empty
    doc.remove_item(("sections", 2, "buttons"), 0)  # an optional list emptied: its key goes, the blank line after stays


def as_file(text: str, layout: Layout) -> bytes:
    return layout.apply(text).encode("utf-8")


LAYOUTS = {
    "lf": Layout(),
    "crlf": Layout(newline="\r\n"),
    "cr": Layout(newline="\r"),
    "bom-crlf": Layout(bom=True, newline="\r\n"),
    "no-final-newline": Layout(final_newline=False),
    "bom-crlf-no-final-newline": Layout(bom=True, newline="\r\n", final_newline=False),
}


def test_the_expected_file_is_what_a_person_writes_for_each_edit(tmp_path: Path) -> None:
    path = tmp_path / "sl.yaml"
    path.write_text(BEFORE, encoding="utf-8")
    doc = EditionDoc.open(path)
    officer_edits(doc)
    doc.save()
    written = path.read_text(encoding="utf-8")
    if os.environ.get("LEADEX_UPDATE_EXPECTED"):
        AFTER.write_text(written, encoding="utf-8")
    assert written == AFTER.read_text(encoding="utf-8")
    assert "null" not in written.replace("role: null", "") and "url: ~" in written and "role: null" in written


@pytest.mark.parametrize("name", LAYOUTS)
def test_a_saved_file_keeps_its_own_line_endings_mark_and_last_line(tmp_path: Path, name: str) -> None:
    layout = LAYOUTS[name]
    path = tmp_path / "sl.yaml"
    path.write_bytes(as_file(BEFORE, layout))
    untouched = EditionDoc.open(path)
    untouched._touch()  # a real dump: nothing edited must come back byte for byte
    assert untouched.text().encode("utf-8") == as_file(BEFORE, layout)
    doc = EditionDoc.open(path)
    officer_edits(doc)
    doc.save()
    assert path.read_bytes() == as_file(AFTER.read_text(encoding="utf-8"), layout)
    assert EditionDoc.open(path).data() == EditionDoc.open(AFTER).data()  # the same values, whatever the layout


def test_a_file_with_mixed_line_endings_is_written_with_the_ending_most_lines_use(tmp_path: Path) -> None:
    lines = BEFORE.split("\n")
    mixed = "\r\n".join(lines[:-3]) + "\n" + "\n".join(lines[-3:])  # two LF endings among ~80 CRLF
    path = tmp_path / "sl.yaml"
    path.write_bytes(mixed.encode("utf-8"))
    doc = EditionDoc.open(path)
    assert doc.text() == mixed  # unedited: as read
    officer_edits(doc)
    doc.save()
    assert path.read_bytes() == as_file(AFTER.read_text(encoding="utf-8"), Layout(newline="\r\n"))


def test_the_preview_reads_a_crlf_file_with_a_mark_as_the_same_data(tmp_path: Path) -> None:
    from leadex_mail.content.yamlsource import _parse

    path = tmp_path / "sl.yaml"
    path.write_bytes(as_file(BEFORE, Layout(bom=True, newline="\r\n")))
    doc = EditionDoc.open(path)
    assert _parse(doc.preview_text(), "x.yaml")[0] == _parse(BEFORE, "x.yaml")[0]
    officer_edits(doc)
    assert _parse(doc.preview_text(), "x.yaml")[0] == _parse(AFTER.read_text(encoding="utf-8"), "x.yaml")[0]


def test_the_studio_opens_every_file_with_tabs_between_parts_that_the_cli_reads(tmp_path: Path) -> None:
    from leadex_mail.content.yamlsource import _parse

    path = tmp_path / "sl.yaml"
    path.write_text(BEFORE, encoding="utf-8")
    assert "\t# YYYY-MM-DD" in BEFORE and "style:\tspotlight\t\t#" in BEFORE
    assert EditionDoc.open(path).data() == _parse(BEFORE, "sl.yaml")[0]  # what the studio shows is what check reads


def test_a_list_the_format_requires_emptied_is_written_as_an_empty_list_and_what_followed_it_stays(tmp_path: Path) -> None:
    path = tmp_path / "sl.yaml"
    path.write_text(BEFORE, encoding="utf-8")
    doc = EditionDoc.open(path)
    doc.remove_item(("sections", 5, "items"), 0)  # the form refuses this (an event list needs one); the writer still writes it well
    assert "    heading: Sodelovanje na dogodkih\n    items: []\n\n  - type: partners\n" in doc.text()
