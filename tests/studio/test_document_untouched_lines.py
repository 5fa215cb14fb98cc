"""An edit changes only the lines of the value edited: every other line of a hand-written file keeps its bytes.

A property over a corpus of files written by hand in many styles
(``handwritten/``: indentation 2 and 4, dashes flush or indented, plain,
single- and double-quoted values with escapes, folded and literal blocks
with indicators, flow collections, values over several lines, comments,
blank lines, document markers, CRLF and a byte-order mark, and the tester's
files of a13b #5). For each file and each field the form edits, the field is
changed through the studio's own function (``EditionDoc.set``, as
``views_edit.change_field`` calls it); then every line outside that field's
lines must be byte for byte the file's, and the text must read (with the
loader ``check`` and ``send`` use) as the file's data with that one value
changed.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadex_mail.content.yamlsource import _parse
from leadex_mail.studio.document import EditionDoc
from leadex_mail.studio.formschema import spec_at
from leadex_mail.studio.textlayout import Layout

CORPUS = Path(__file__).parent / "handwritten"
FILES = sorted(CORPUS.glob("*.yaml"))


def fields(data: Any, path: tuple = ()) -> list[tuple]:
    """The path of every value the form edits as one control (views_edit.change_field's rule)."""
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in fields(value, (*path, key))]
    if isinstance(data, list):
        return [p for index, value in enumerate(data) for p in fields(value, (*path, index))]
    return [path]


def editable(doc: EditionDoc) -> list[tuple]:
    out = []
    for path in fields(doc.data()):
        spec = spec_at(path, doc.data())
        if spec is not None and spec.kind not in ("object", "list", "sections") and spec.tag is None:
            out.append(path)
    return out


def new_value(kind: str, old: Any) -> Any:
    """A different value of the field's kind, as the form would post it (coerced)."""
    if kind == "integer":
        return int(old or 0) + 1
    if kind == "boolean":
        return not old
    if kind == "date":
        return dt.date(2028, 1, 2)
    if kind == "url":
        return "https://example.org/edited"
    if kind == "choice":
        return old
    if kind in ("markdown", "multiline"):
        return "Novo besedilo: **krepko** in č, š, ž.\n\nDrugi odstavek."
    return "Nova vrednost, š in ž"


def field_lines(text: str, path: tuple) -> tuple[int, int]:
    """0-based first and last line of the field at ``path`` (its key's line to its value's last line)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    start = None
    for part in path:
        if isinstance(part, int):
            node = node.value[part]
            start = node.start_mark.line if start is None or node.start_mark.line > start else start
        else:
            key, node = next((k, v) for k, v in node.value if k.value == part)
            start = key.start_mark.line
    end = node.end_mark.line - (1 if node.end_mark.column == 0 and node.end_mark.line > node.start_mark.line else 0)
    return start, max(start, end)


def with_value(data: Any, path: tuple, value: Any) -> Any:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def loaded(text: str) -> Any:
    return copy.deepcopy(_parse(text, "x.yaml")[0])  # the loader's cache must not see the test's changes


CASES = [(path, field) for path in FILES for field in editable(EditionDoc.open(path))]


def test_the_corpus_holds_every_style_the_brief_names() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in FILES)
    for style in ["\n    -   type", "\n-   type", "\n- type", "\n  - type", "\n    - title", "\\u0161", "\\x41", "\\t", "\\n", "''", ": |2", ": |+", ": >-", ": >\n", "{type:", "[{", "\n...", "---", "   # ", "\n\n\n"]:
        assert style in text, style
    assert any(p.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in p.read_bytes() for p in FILES)
    assert len(CASES) > 60


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_field_edited_changes_only_its_own_lines(path: Path) -> None:
    raw = path.read_bytes()
    original = Layout.plain(raw.decode("utf-8"))
    before = original.split("\n")
    data = loaded(original)
    edited = 0
    for field in editable(EditionDoc.open(path)):
        doc = EditionDoc.from_text(path, raw)
        spec = spec_at(field, doc.root)
        value = new_value(spec.kind, doc.get(field))
        doc.set(field, value, spec, spec_at(field[:-1], doc.root))
        written = doc.text()
        assert Layout.of(written) == Layout.of(raw.decode("utf-8")), field  # mark, line endings, last line
        after = Layout.plain(written).split("\n")
        first, last = field_lines(original, field)
        tail = len(before) - last - 1
        diff = "\n".join(difflib.unified_diff(before, after, lineterm=""))
        assert after[:first] == before[:first], (field, diff)
        assert after[len(after) - tail :] == before[last + 1 :], (field, diff)
        expected = with_value(loaded(original), field, value.isoformat() if isinstance(value, dt.date) else value)
        got = loaded(Layout.plain(written))
        if isinstance(value, dt.date):
            got = with_value(got, field, str(doc.get(field)))
        assert got == expected, field
        edited += 1
    assert edited and data == loaded(original)


def test_the_testers_untouched_list_keeps_its_indentation_and_the_escape_stays(tmp_path: Path) -> None:
    # a13b #5: `    - title:` became `  - title:`, and "\u0161" the letter, after editing another field.
    hand = (CORPUS / "a13b-handwritten-sl.yaml").read_text(encoding="utf-8")
    doc = EditionDoc.from_text(tmp_path / "sl.yaml", hand.encode("utf-8"))
    field = ("sections", 2, "heading")
    doc.set(field, "Second story EDITED", spec_at(field, doc.root), spec_at(field[:-1], doc.root))
    assert doc.text() == hand.replace("  heading: Second story  ", "  heading: Second story EDITED  ")
    crlf = (CORPUS / "a13b-crlf-bom-sl.yaml").read_bytes()
    doc = EditionDoc.from_text(tmp_path / "sl.yaml", crlf)
    field = ("sections", 1, "heading")
    doc.set(field, "CRLF story EDITED", spec_at(field, doc.root), spec_at(field[:-1], doc.root))
    assert doc.text().encode("utf-8") == crlf.replace(b"heading: CRLF story", b"heading: CRLF story EDITED")


def test_adding_moving_and_removing_items_leave_the_other_items_lines_as_written(tmp_path: Path) -> None:
    hand = (CORPUS / "four-spaces-sl.yaml").read_text(encoding="utf-8")
    lines = hand.split("\n")
    doc = EditionDoc.from_text(tmp_path / "sl.yaml", hand.encode("utf-8"))
    items = ("sections", 2, "items")
    doc.add_item(items, 2, {"title": "Tretji", "date": dt.date(2027, 5, 4), "body": "Opis."})
    added = doc.text().split("\n")
    assert added[: len(lines) - 2] == lines[:-2]  # every line above kept; the new event below, before `...`
    assert added[len(lines) - 2 :] == ["            -   title: Tretji", "                date: 2027-05-04", "                body: Opis.", "...", ""]
    doc.move_item(items, 1, 0)
    moved = doc.text()
    assert set(moved.split("\n")) == set(added)  # the same lines, the same bytes
    assert moved.index("title: \"Drugi\"") < moved.index("title: Prvi")
    doc.remove_item(items, 2)
    doc.move_item(items, 1, 0)
    assert doc.text() == hand
    sections = ("sections",)
    doc.move_item(sections, 2, 1)
    assert sorted(line for line in doc.text().split("\n") if line) == sorted(line for line in lines if line)
    doc.remove_item(sections, 1)
    assert "Folded heading" not in doc.text() and all(line in lines for line in doc.text().split("\n"))
    assert loaded(doc.text())["sections"][1]["heading"] == "Zgodba"
