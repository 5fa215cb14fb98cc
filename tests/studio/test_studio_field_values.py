"""What a form field shows is what is saved, over the whole schema (a13d #14), and no operator's field in the form.

Every field kind takes only values of its kind: a one-line field turns a
pasted line break into a space (as Chromium's one-line box shows it), a
value that is not text (an object, a list, a number, yes/no) is refused at
the field with 400 and never written as Python's spelling of it. The brand
file (kept by whoever runs leadex-mail) is not a control of the officer's
form, a post cannot change it, and the file keeps it; messages about a value
quote it once (“x”, not “'x'”).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from leadex_mail.content.loader import load_issue
from leadex_mail.errors import ContentError
from leadex_mail.studio.findings import say
from leadex_mail.studio.formschema import ONE_LINE_KINDS, NotOfItsKind, Spec, coerce, edition_form
from leadex_mail.studio.i18n import words as words_for
from studio.studio_helpers import ISSUE, RunningStudio
from studio.test_studio_http import post_field, session

SCALAR_KINDS = ("text", "multiline", "markdown", "url", "date", "integer", "boolean", "choice")
NOT_TEXT = ({"a": 1}, ["a"], 5, 2.5, True)


def _scalars(spec: Spec, where: str = "") -> Iterator[tuple[str, Spec]]:
    """Every field of one value in the schema, named by where it is (``StorySection.more.label``)."""
    if spec.kind == "object":
        for f in spec.fields:
            if f.tag is None:
                yield from _scalars(f, f"{where or spec.type_name}.{f.name}")
    elif spec.kind == "list" and spec.item is not None:
        yield from _scalars(spec.item, f"{where}[]")
    elif spec.kind == "sections":
        for tag, variant in spec.variants.items():
            yield from _scalars(variant, f"{where}[{tag}]")
    else:
        yield where, spec


FIELDS = list(_scalars(edition_form()))
OFFICERS = [(where, spec) for where, spec in FIELDS if not spec.operator]


def test_the_walk_meets_every_kind_of_field() -> None:
    assert {spec.kind for _, spec in FIELDS} == set(SCALAR_KINDS)
    assert {spec.name for _, spec in FIELDS if spec.operator} == {"language", "brand"}


@pytest.mark.parametrize(("where", "spec"), OFFICERS, ids=[w for w, _ in OFFICERS])
def test_a_value_not_of_the_fields_kind_is_refused(where: str, spec: Spec) -> None:
    for raw in NOT_TEXT:
        if spec.kind == "boolean" and isinstance(raw, bool) or spec.kind == "integer" and type(raw) is int:
            continue
        with pytest.raises(NotOfItsKind):
            coerce(spec, raw)
    if spec.kind == "boolean":
        assert coerce(spec, True) is True and coerce(spec, False) is False
        for raw in ("on", "false", "yes"):
            with pytest.raises(NotOfItsKind):
                coerce(spec, raw)


@pytest.mark.parametrize(("where", "spec"), OFFICERS, ids=[w for w, _ in OFFICERS])
def test_a_one_line_field_holds_one_line(where: str, spec: Spec) -> None:
    if spec.kind not in ONE_LINE_KINDS:
        assert spec.kind in ("multiline", "markdown", "boolean")
        return
    if spec.kind == "choice":
        assert coerce(spec, spec.choices[-1]) == spec.choices[-1]
        with pytest.raises(NotOfItsKind):
            coerce(spec, "not one of them")
        return
    for pasted in ("x\r\ny: injected", "x\ny", "x\ry", "x\u2028y", "x\u2029y", "x\x85y"):
        value = coerce(spec, pasted)
        assert not any(c in str(value) for c in "\r\n\x85\u2028\u2029"), (where, pasted, value)
    assert coerce(spec, "x\r\ny: injected") == "x y: injected"


@pytest.mark.parametrize(("where", "spec"), [(w, s) for w, s in FIELDS if s.operator], ids=[w for w, s in FIELDS if s.operator])
def test_an_operators_field_is_never_written_from_a_post(where: str, spec: Spec) -> None:
    for raw in ("brand-other.yaml", "sl", "", None):
        with pytest.raises(NotOfItsKind):
            coerce(spec, raw)


# -- over HTTP, at every field of issue No. 1 (every section type) ----------------------------


def _paths(spec: Spec, value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, Spec]]:
    """Every field of one value the edition has (and every optional one it lacks, in the groups it has)."""
    if spec.kind == "object" and isinstance(value, dict):
        for f in spec.fields:
            if f.tag is None:
                yield from _paths(f, value.get(f.name), (*path, f.name))
    elif spec.kind == "list" and isinstance(value, list) and spec.item is not None:
        for i, item in enumerate(value):
            yield from _paths(spec.item, item, (*path, i))
    elif spec.kind == "sections" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(spec.variants[item["type"]], item, (*path, i))
    elif spec.kind not in ("object", "list", "sections"):
        yield ".".join(map(str, path)), spec


def _paragraph(*content: Any) -> dict[str, Any]:
    return {"type": "doc", "content": [{"type": "paragraph", "content": list(content)}]}


def _numbered(order: Any) -> dict[str, Any]:
    item = {"type": "list_item", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}]}
    return {"type": "doc", "content": [{"type": "ordered_list", "attrs": {"order": order}, "content": [item]}]}


BAD_DOCS = (
    _paragraph({"type": "text", "text": {"a": 1}}),
    _paragraph({"type": "text", "text": 5}),
    _paragraph({"type": "text", "text": "x", "marks": [{"type": "link", "attrs": {"href": {"a": 1}}}]}),
    _paragraph({"type": "text", "text": "x", "marks": [{"type": "link", "attrs": ["https://example.org"]}]}),
    _numbered("x"),
    _numbered(10**30),
    _numbered(True),
    {"type": "doc", "content": "text"},
)


def test_a_rich_text_document_holds_only_values_of_their_kind() -> None:
    from leadex_mail.studio.richtext import RichTextError, to_markdown

    for doc in BAD_DOCS:
        with pytest.raises(RichTextError):
            to_markdown(doc)
    assert to_markdown(_numbered(3)) == "3. a"
    assert to_markdown(_paragraph({"type": "text", "text": "x", "marks": [{"type": "link", "attrs": {"href": "https://example.org"}}]})) == "[x](https://example.org)"


def _save(client: httpx.Client, token: str) -> None:
    saved = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert saved.status_code == 200, saved.text


def _leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


def test_no_field_of_the_edition_saves_an_object_or_a_line_break(studio: RunningStudio) -> None:
    """a13d #14 over every field of every section of issue No. 1: h1.py's posts, as the page's script sends them."""
    client, token = session(studio)
    before = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    data = yaml.safe_load(before)
    fields = list(_paths(edition_form(), data))
    assert len(fields) > 60
    one_line = []
    for path, spec in fields:
        for raw in NOT_TEXT:
            if spec.kind == "boolean" and isinstance(raw, bool) or spec.kind == "integer" and type(raw) is int:
                continue
            answer = post_field(client, token, path, raw)
            assert answer.status_code == 400, (path, raw, answer.text)
            assert answer.json()["error"], path
        if spec.kind == "markdown":  # the rich-text editor posts its document: each of its values of its kind too
            for doc in BAD_DOCS:
                answer = client.post(f"/issues/{ISSUE}/sl/field", json={"path": path, "doc": doc}, headers={"X-CSRF-Token": token})
                assert answer.status_code == 400, (path, doc, answer.text)
        if spec.kind in ONE_LINE_KINDS and spec.kind != "choice" and not spec.operator:
            assert post_field(client, token, path, f"{path}\r\ny: injected").status_code == 200, path
            one_line.append(path)
    _save(client, token)
    text = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    assert "{'a': 1}" not in text and "['a']" not in text
    saved = yaml.safe_load(text)
    for path in one_line:
        node: Any = saved
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        assert str(node) == f"{path} y: injected", (path, node)  # one line, as the box showed it
    assert "y: injected" not in [line.strip() for line in text.splitlines()]
    assert all(not isinstance(v, dict | list) for v in _leaves(saved))


def test_the_reported_posts_of_h1(studio: RunningStudio) -> None:
    """The exact steps of a13d's repro/h1.py: preheader with CR LF, a masthead title as an object."""
    client, token = session(studio)
    assert post_field(client, token, "preheader", "x\r\ny: injected").status_code == 200
    assert post_field(client, token, "sections.0.title", {"a": 1}).status_code == 400
    _save(client, token)
    text = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["preheader"] == "x y: injected"
    assert [line for line in text.splitlines() if line.startswith("preheader:")] == ["preheader: 'x y: injected'"]
    assert "{'a': 1}" not in text


# -- the brand file: not the officer's -------------------------------------------------------


def _name_a_brand(studio: RunningStudio, name: str) -> str:
    path = studio.file(ISSUE, "sl")
    text = path.read_text(encoding="utf-8").replace("\nsections:", f"\nbrand: {name}\nsections:", 1)
    path.write_text(text, encoding="utf-8")
    return text


def test_the_brand_is_no_control_of_the_form(studio: RunningStudio) -> None:
    client, _ = session(studio)
    page = client.get(f"/issues/{ISSUE}/sl").text
    assert 'data-path="brand"' not in page and "Brand file" not in page and 'data-path="language"' not in page


def test_a_named_brand_is_shown_read_only_and_kept_on_save(studio: RunningStudio) -> None:
    (studio.newsletters / "brand-partner.yaml").write_text((studio.newsletters / "brand.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for lang in ("sl", "en"):
        path = studio.file(ISSUE, lang)
        path.write_text(path.read_text(encoding="utf-8").replace("\nsections:", "\nbrand: brand-partner.yaml  # the partner's\nsections:", 1), encoding="utf-8")
    client, token = session(studio)
    page = client.get(f"/issues/{ISSUE}/sl").text
    assert 'data-path="brand"' not in page  # no control
    assert "brand-partner.yaml" in page and 'data-problems-for="brand"' in page  # shown, and its findings have a place
    refused = post_field(client, token, "brand", "../../../../etc/passwd")
    assert refused.status_code == 400
    assert post_field(client, token, "title", "Nov naslov").status_code == 200
    _save(client, token)
    text = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    assert "brand: brand-partner.yaml  # the partner's\n" in text and "title: Nov naslov" in text


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("brand", "'../../../../etc/passwd'", "value.invalid"), ("style", "'spotlite'", "value.not_a_choice"), ("brand", "'x.txt'", "value.invalid")],
)
def test_a_value_in_a_message_is_quoted_once(studio: RunningStudio, field: str, value: str, code: str) -> None:
    """“'../../../../etc/passwd'” (a13d): the catalogs quote the value; the finding must not bring Python's quotes too."""
    path = studio.file(ISSUE, "sl")
    text = path.read_text(encoding="utf-8")
    if field == "brand":
        text = text.replace("\nsections:", f"\nbrand: {value}\nsections:", 1)
    else:
        text = text.replace("    style: spotlight\n", f"    style: {value}\n", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_issue(path.parent, studio.settings)
    found = [p for p in caught.value.problems if p.code == code]
    assert found, [p.code for p in caught.value.problems]
    plain = value.strip("'")
    for language in ("en", "sl"):
        message, _ = say(found[0], words_for(language))
        assert plain in message, message
        for quote in ("“'", "'”", "»'", "'«"):
            assert quote not in message, message


def _catalog_files() -> list[Path]:
    return sorted((Path(__file__).resolve().parents[2] / "src/leadex_mail/studio/catalogs").glob("*.toml"))


def test_every_quoted_value_of_a_finding_is_given_without_quotes() -> None:
    """The class: each finding the catalogs quote (“{value}”) gets its value from the core as written, never repr'd."""
    import re

    source = (Path(__file__).resolve().parents[2] / "src/leadex_mail/content").rglob("*.py")
    for file in source:
        for line in file.read_text(encoding="utf-8").splitlines():
            if "args=" in line and "_show(" in line.split("args=", 1)[1]:
                pytest.fail(f"{file.name}: {line.strip()}")
            if "args=" in line and re.search(r"args=\{[^}]*!r", line):
                pytest.fail(f"{file.name}: {line.strip()}")
    assert _catalog_files()
