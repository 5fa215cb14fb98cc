"""The forms come from the format's schema; the catalogs name every field in sl and en."""

from __future__ import annotations

import tomllib

import pytest

from leadex_mail.content.schema import edition_schema
from leadex_mail.studio.formschema import Spec, coerce, edition_form, section_types, spec_at
from leadex_mail.studio.i18n import CATALOG_DIR, negotiate, words


def all_specs(spec: Spec) -> list[Spec]:
    found = [spec]
    for child in spec.fields:
        found.extend(all_specs(child))
    if spec.item is not None:
        found.extend(all_specs(spec.item))
    for variant in spec.variants.values():
        found.extend(all_specs(variant))
    return found


def test_every_section_type_and_field_of_the_schema_has_a_control() -> None:
    schema = edition_schema()
    assert set(section_types()) == set(schema["properties"]["sections"]["items"]["discriminator"]["mapping"])
    form = edition_form()
    for name, definition in schema["$defs"].items():
        if not name.endswith("Section"):
            continue
        tag = definition["properties"]["type"]["const"]
        assert [f.name for f in form.child("sections").variants[tag].fields] == list(definition["properties"])


def test_controls_follow_the_kind_of_each_field() -> None:
    form = edition_form()
    story = form.child("sections").variants["story"]
    assert story.child("body").kind == "markdown"
    assert story.child("more").child("url").kind == "url"
    assert story.child("image").type_name == "Image"
    assert form.child("date").kind == "date" and form.child("number").kind == "integer"
    assert form.child("sections").variants["study_visit"].child("style").choices == ("spotlight", "story")
    assert form.child("sections").variants["project"].child("tagline").kind == "multiline"
    data = {"sections": [{"type": "masthead"}, {"type": "events", "items": [{"body": "x"}]}]}
    assert spec_at(("sections", 1, "items", 0, "date"), data).kind == "date"
    assert spec_at(("sections", 1, "nonsense"), data) is None


@pytest.mark.parametrize("lang", ["en", "sl"])
def test_the_catalogs_name_every_field_and_section_of_the_format(lang: str) -> None:
    table = tomllib.loads((CATALOG_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    names = {s.name for s in all_specs(edition_form()) if s.name and s.tag is None}
    missing = sorted(n for n in names if n not in table["fields"])
    assert not missing, f"{lang}.toml [fields] lacks labels for: {missing} (a field the format gained?)"
    assert set(section_types()) <= set(table["sections"])


def test_both_catalogs_have_the_same_keys() -> None:
    en = tomllib.loads((CATALOG_DIR / "en.toml").read_text(encoding="utf-8"))
    sl = tomllib.loads((CATALOG_DIR / "sl.toml").read_text(encoding="utf-8"))
    for table in en:
        assert set(en[table]) == set(sl.get(table, {})), table


def test_a_field_no_catalog_names_shows_the_schemas_words() -> None:
    spec = Spec("text", name="brand_new_field", title="Brand New Field", description="From the schema.")
    assert words("sl").label(spec) == "Brand New Field"
    assert words("sl").help(spec) == "From the schema."


def test_page_language_choice() -> None:
    assert negotiate(None, "sl-SI,sl;q=0.9,en;q=0.8", "en") == "sl"
    assert negotiate("en", "sl", "sl") == "en"
    assert negotiate(None, "de", "sl") == "sl"
    assert negotiate(None, None, "hr") == "en"


def test_posted_values_become_what_a_person_writes() -> None:
    form = edition_form()
    story = form.child("sections").variants["story"]
    assert coerce(form.child("number"), " 3 ") == 3
    assert coerce(form.child("number"), "tri") == "tri"  # the loader reports it at the field
    assert str(coerce(form.child("date"), "2026-09-01")) == "2026-09-01"
    assert coerce(story.child("more").child("label"), "  ") is None  # optional and empty: left out
    assert coerce(story.child("heading"), "") == ""  # required: kept empty, so check points at it
    assert coerce(story.child("body"), "a\r\nb\n\n") == "a\nb"
