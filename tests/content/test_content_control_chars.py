"""No text field of an issue or brand lets a control character through (issue 9 item 1, the whole class).

Before issue 9 an ESC, form feed or NUL in a subject, heading or preheader
reached MJML, which failed with "check the email templates" and no line.
Every text field (walked from the models, so a new field is covered by
itself) is tried here with each kind of invisible character, and must give
a problem at that field's own path and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from content_helpers import with_value
from pydantic import ValidationError

from leadex_mail.content.model import HEADER_FIELDS, Brand, Edition
from leadex_mail.content.problems import translate
from leadex_mail.content.walk import leaves
from leadex_mail.content.yamlsource import format_path, load_yaml

REPO = Path(__file__).resolve().parents[2]
EDITION = REPO / "newsletters" / "2026-04-leadex-01" / "sl.yaml"
BRAND = REPO / "newsletters" / "brand.yaml"
CHARACTERS = {"\x1b": "ESC (U+001B)", "\x0c": "FF (U+000C)", "\x00": "NUL (U+0000)", "\x7f": "DEL (U+007F)", "\x85": "NEL (U+0085)", "\ud800": None}


def _text_paths(path: Path, model: type) -> tuple[dict, object, list[tuple]]:
    data, smap = load_yaml(path, str(path))
    # Typed values (dates, colours, choices) are refused by their own rule, also at their place.
    typed = ("type", "style", "language", "date", "end_date", "primary_color", "accent_color", "text_color", "background_color")
    return data, smap, [leaf.path for leaf in leaves(data, model) if isinstance(leaf.value, str) and leaf.path[-1] not in typed]


@pytest.mark.parametrize("model,file", [(Edition, EDITION), (Brand, BRAND)], ids=["edition", "brand"])
def test_every_text_field_refuses_every_control_character_where_it_stands(model, file):
    data, smap, paths = _text_paths(file, model)
    assert len(paths) > (60 if model is Edition else 8)  # the walk really visits the text
    for char, name in CHARACTERS.items():
        for path in paths:
            original = _value(data, path)
            broken = with_value(data, path, f"Za\u010detek {char}konec " + original)
            with pytest.raises(ValidationError) as info:
                model.model_validate(broken)
            problems = translate(info.value, broken, smap, model)
            assert [p.path for p in problems] == [format_path(path)], (path, name)
            first = smap.locate(path)[0]
            assert first <= problems[0].line <= first + original.count("\n") + 1, (path, name)  # exact inside | blocks
            words = f"contains the invisible control character {name}" if name else "contains a broken character"
            assert words in problems[0].message


def _value(data: dict, path: tuple) -> str:
    node = data
    for part in path:
        node = node[part]
    return node


@pytest.mark.parametrize("field", sorted(HEADER_FIELDS))
@pytest.mark.parametrize("brk", ["\n", "\t", "\u2028", "\u2029"])
def test_header_fields_must_be_one_line(field, brk):
    model, data = (Edition, load_yaml(EDITION, "sl.yaml")[0]) if field == "subject" else (Brand, load_yaml(BRAND, "brand.yaml")[0])
    if field not in data:
        data = {**data, field: "x@example.org"}
    with pytest.raises(ValidationError) as info:
        model.model_validate({**data, field: f"first{brk}Bcc: victim@example.org"})
    assert [e["type"] for e in info.value.errors()] == ["line_break"]


def test_line_breaks_stay_allowed_in_text_that_is_not_a_header():
    data = load_yaml(EDITION, "sl.yaml")[0]
    story = next(s for s in data["sections"] if s["type"] == "story")
    story["body"] = "First line\n\tsecond line\n\nNext paragraph."
    story["heading"] = "Two\nlines"
    Edition.model_validate(data)


def test_every_control_character_has_a_name_said_once():
    # a9 finding 14: U+0085 was "invisible control character control character (U+0085)".
    from leadex_mail.content.model import control_name

    assert control_name("\x85") == "NEL (U+0085)"
    assert control_name("\x81") == "U+0081"
    assert control_name("\x1b") == "ESC (U+001B)"
    assert all("control character" not in control_name(chr(code)) for code in range(0x80, 0xA0))


def test_a_file_just_over_the_size_limit_says_by_how_much():
    # a9 finding 14: 262 145 bytes read "the file is 256 KB; an issue file may be at most 256 KB".
    from leadex_mail.content.yamlguard import MAX_FILE_BYTES, too_big

    assert too_big("sl.yaml", MAX_FILE_BYTES + 1).message == "the file is 262,145 bytes; an issue file may be at most 256 KB (262,144 bytes)"
    assert too_big("sl.yaml", 300_000).message == "the file is 293 KB; an issue file may be at most 256 KB (262,144 bytes)"
