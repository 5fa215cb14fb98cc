"""The studio's forms, read from the issue format's JSON Schema.

``edition_form()`` turns ``content.schema.edition_schema()`` (what
``leadex-mail schema`` prints) into a tree of ``Spec``: one per field, with
the kind of control it needs. Nothing here names a section type or a field
of the format, so a field added to the format shows up in the studio
without a change here (its label falls back to the schema's title and
description until the catalogs name it).

Kinds: ``text`` (one line), ``multiline`` (text whose line breaks are
kept), ``markdown`` (rich text), ``url``, ``date``, ``integer``,
``boolean``, ``choice`` (an enum), ``object`` (a group of fields), ``list``
(of objects) and ``sections`` (a list of objects told apart by ``type``).
Markdown and address fields are told apart from plain text by the content
layer's own reading of the model (``content.walk.field_kinds``), the same
one ``check`` uses.

A value posted for a field is taken only when it is of the field's kind
(``coerce``): text for text, ``true``/``false`` for a tick box, one of the
choices for a choice. A one-line field turns a pasted line break into a
space, as Chromium's one-line box shows the paste, so the file holds what
the officer saw (a13d #14). Fields kept by whoever runs leadex-mail
(``OPERATOR_FIELDS``: the edition's language, its brand file) are not in
the officer's form and are never written from a post.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel

from leadex_mail.content.model import Edition
from leadex_mail.content.schema import edition_schema
from leadex_mail.content.walk import field_kinds
from leadex_mail.studio.richtext import RichTextError

FieldPath = tuple[str | int, ...]
# Text fields whose line breaks the templates keep (a project's tagline): a
# text area rather than one line. The schema has no word for it.
MULTILINE_FIELDS = frozenset({"tagline"})
# Fields kept by whoever runs leadex-mail, as (the object's schema name, the field): the
# language (the file's name says it) and the brand file (a file of the set-up). The form
# shows them read only, a post never writes them; the file keeps what it has.
OPERATOR_FIELDS = frozenset({("Edition", "language"), ("Edition", "brand")})
# Kinds whose control is one line (an <input>): a line break cannot be shown there.
ONE_LINE_KINDS = frozenset({"text", "url", "date", "integer", "choice"})
# What a person sees as a line break: CR LF, CR, LF, NEL, the line and paragraph separators.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# A date as the format writes it: a day, or (once the format allows) a month or a year.
_DATE_PATTERN = re.compile(r"^\^\\d\{4\}")


@dataclass(frozen=True)
class Spec:
    """One field of the form: what control it needs and what it may hold.

    ``name`` is the field's key (``""`` for list items); ``type_name`` the
    schema's name of an object (``Image``, ``StorySection``); ``variants``
    the object of each section ``type``; ``tag`` the constant ``type`` of a
    section object.
    """

    kind: str
    name: str = ""
    required: bool = False
    title: str = ""
    description: str = ""
    default: Any = None
    choices: tuple[str, ...] = ()
    fields: tuple[Spec, ...] = ()
    item: Spec | None = None
    variants: dict[str, Spec] = field(default_factory=dict)
    type_name: str = ""
    tag: str | None = None
    min_items: int = 0
    minimum: int | None = None
    owner: str = ""  # the type name of the object holding the field (``MastheadSection``)

    @property
    def operator(self) -> bool:
        """Whether the field is kept by whoever runs leadex-mail (``OPERATOR_FIELDS``), not by the officer."""
        return (self.owner, self.name) in OPERATOR_FIELDS

    def child(self, key: str | int) -> Spec | None:
        """The spec of field ``key`` (an object) or of any item (a list); None when unknown."""
        if self.kind == "object":
            return next((f for f in self.fields if f.name == key), None)
        if self.kind in ("list", "sections"):
            return self.item
        return None

    @property
    def editable_fields(self) -> tuple[Spec, ...]:
        """The fields an officer fills in (a section's constant ``type`` and the operator's fields are not)."""
        return tuple(f for f in self.fields if f.tag is None and not f.operator)

    @property
    def operator_fields(self) -> tuple[Spec, ...]:
        """The fields of this object kept by whoever runs leadex-mail (shown read only, never written)."""
        return tuple(f for f in self.fields if f.operator)


class NotOfItsKind(RichTextError):
    """A value posted for a field that the field cannot hold (an object for a text, a word for a tick box).

    ``reason`` is what the field takes: ``"operator"`` (none: kept by whoever
    runs leadex-mail), ``"group"`` (none: a group of fields), ``"yes_no"``,
    ``"whole_number"``, ``"text"`` or ``"choice"`` (one of its choices);
    ``got`` the posted value's kind (``"group"``, ``"list"``, ``"yes_no"``,
    ``"number"``, ``"text"``), or ``""`` where it does not matter. The
    studio's field endpoint says both in the officer's words (catalog keys
    ``kind_<reason>`` and ``kind_got_<got>``), at the field; ``message`` is
    the English of a log.
    """

    def __init__(self, message: str, *, reason: str, got: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.got = got


@cache
def edition_form() -> Spec:
    """The form of one edition file, from the format's schema (built once)."""
    schema = edition_schema()
    return _build(schema, schema, "", True, _kinds(Edition), "Edition")


def section_types() -> tuple[str, ...]:
    """The section types in the schema's order."""
    sections = edition_form().child("sections")
    return tuple(sections.variants) if sections else ()


def spec_at(path: FieldPath, data: Any = None) -> Spec | None:
    """The spec of the value at ``path`` of an edition, or None when the format has no such field.

    ``data`` (the edition's plain data) tells which section type a section is.
    """
    spec: Spec | None = edition_form()
    node = data
    for part in path:
        if spec is None:
            return None
        if spec.kind == "sections":
            tag = node[part].get("type") if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node) and isinstance(node[part], dict) else None
            spec = spec.variants.get(tag) if isinstance(tag, str) else None
        else:
            spec = spec.child(part)
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
    return spec


def shape_problems(data: Any, spec: Spec | None = None, path: FieldPath = ()) -> list[tuple[FieldPath, str, str]]:
    """Every place where ``data`` (an edition's plain data) has a shape the form cannot show, in file order.

    Only shapes are judged -- a group of fields where the format has one, a
    list where it has a list, a single value where it has a value -- never
    values (the loader and ``check`` judge those, at the field). Fields the
    format does not have and section types it does not know are left to
    the loader too. All are reported at once (a13 finding 17: one shown at a
    time meant one correction, save and reload per mistake). Each is (the
    field's path, what is wrong in words, its code: ``file.not_a_group``,
    ``file.not_a_list`` or ``file.not_a_value``). Nothing is looked for
    inside a value of the wrong shape.
    """
    spec = spec or edition_form()
    if data is None:
        return []  # an empty field: absent, as far as the form is concerned
    if spec.kind == "object":
        if not isinstance(data, dict):
            return [(path, f"a group of fields is expected here, the file has {_shown(data)}", "file.not_a_group")]
        found: list[tuple[FieldPath, str, str]] = []
        for key, value in data.items():
            child = spec.child(key) if isinstance(key, str) else None
            if child is not None:
                found.extend(shape_problems(value, child, (*path, key)))
        return found
    if spec.kind in ("list", "sections"):
        if not isinstance(data, list):
            return [(path, f"a list is expected here, the file has {_shown(data)}", "file.not_a_list")]
        found = []
        for index, item in enumerate(data):
            if spec.kind == "sections":
                if not isinstance(item, dict):
                    found.append(((*path, index), f"a section (a group of fields starting with type:) is expected here, the file has {_shown(item)}", "file.not_a_group"))
                    continue
                variant = spec.variants.get(item.get("type")) if isinstance(item.get("type"), str) else None
                if variant is not None:
                    found.extend(shape_problems(item, variant, (*path, index)))
            elif spec.item is not None:
                found.extend(shape_problems(item, spec.item, (*path, index)))
        return found
    if isinstance(data, (dict, list)):
        return [(path, f"a single value is expected here, the file has {_shown(data)}", "file.not_a_value")]
    return []


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, list):
        return "a list"
    return f"the value {str(value)[:40]!r}"


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def empty_value(spec: Spec) -> Any:
    """What a newly added field, item or section holds: its required fields, empty."""
    if spec.kind == "object":
        out: dict[str, Any] = {}
        for f in spec.fields:
            if f.tag is not None:
                out[f.name] = f.tag
            elif f.required:
                out[f.name] = empty_value(f)
        return out
    if spec.kind in ("list", "sections"):
        return [empty_value(spec.item) for _ in range(spec.min_items)] if spec.item and spec.kind == "list" else []
    if spec.kind == "integer":
        return spec.minimum or 1
    if spec.kind == "boolean":
        return False
    if spec.kind == "choice":
        return spec.default if spec.default is not None else spec.choices[0]
    return ""


def coerce(spec: Spec, raw: Any) -> Any:
    """A posted value as the type the file holds; ``None`` means "leave the field out".

    Text keeps what was typed (the loader validates it and says what is
    wrong, at the field), but an empty optional field is removed rather than
    written empty, as a person would. Whole numbers and years are written as
    numbers, a full date as a date, so the YAML reads as a person writes it.
    A one-line field's line breaks become spaces (what its box shows).

    Raises ``NotOfItsKind`` for a value not of the field's kind -- anything
    but text (or nothing) for a text, a date, an address or a choice; a
    whole number or text for a number; ``true``/``false`` for a tick box; a
    choice that is not one of the choices -- for a field kept by whoever
    runs leadex-mail (``Spec.operator``) and for a group, list or section.
    Nothing of that reaches the file as Python's spelling of the value.
    """
    if spec.operator:
        raise NotOfItsKind(f"{spec.name!s} is kept by the person who runs leadex-mail and is not changed in the studio", reason="operator")
    if spec.kind in ("object", "list", "sections") or spec.tag is not None:
        raise NotOfItsKind("this is a group of fields, not one value", reason="group")
    if spec.kind == "boolean":
        if raw is None or isinstance(raw, bool):
            return bool(raw)
        raise NotOfItsKind(f"this box takes yes or no, not {_what(raw)}", reason="yes_no", got=_kind_of(raw))
    if raw is None:
        text = ""
    elif isinstance(raw, str):
        text = raw
    elif spec.kind == "integer" and isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        takes = "whole_number" if spec.kind == "integer" else "text"
        raise NotOfItsKind(f"this field takes {'a whole number' if takes == 'whole_number' else 'text'}, not {_what(raw)}", reason=takes, got=_kind_of(raw))
    if spec.kind in ONE_LINE_KINDS:
        text = _LINE_BREAK.sub(" ", text)  # as the one-line box shows a pasted line break
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # a browser's line breaks; the file's own are put back on saving
    if spec.kind in ("markdown", "multiline"):
        text = text.rstrip("\n")
    if not text.strip() and not spec.required:
        return None
    if spec.kind == "choice":
        if text not in spec.choices:
            raise NotOfItsKind("this is not one of the field's choices", reason="choice")
        return text
    if spec.kind == "integer":
        stripped = text.strip()
        return int(stripped) if re.fullmatch(r"[0-9]{1,9}", stripped) else text
    if spec.kind == "date":
        return date_value(text.strip())
    return text


def _kind_of(value: Any) -> str:
    """A posted value's kind: ``"group"`` (an object), ``"list"``, ``"yes_no"``, ``"number"`` or ``"text"``."""
    if isinstance(value, dict):
        return "group"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "yes_no"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


_WHAT = {"group": "a group of fields", "list": "a list", "yes_no": "yes or no", "number": "a number", "text": "text"}


def _what(value: Any) -> str:
    """A posted value's kind in English, for ``NotOfItsKind.message`` ("a group of fields", "a list", "a number", "yes or no")."""
    return _WHAT[_kind_of(value)]


def date_value(text: str) -> Any:
    """``2026-04-01`` -> a date, ``2025`` -> 2025, anything else as typed (the loader judges it)."""
    if re.fullmatch(r"[0-9]{4}", text):
        return int(text)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


# -- building -------------------------------------------------------------------------------


def _kinds(model: type[BaseModel]) -> dict[str, str]:
    return field_kinds(model)


@cache
def _models() -> dict[str, type[BaseModel]]:
    """Every model the edition is made of, by class name (the schema's ``$defs`` names)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            for info in tp.model_fields.values():
                visit(info.annotation)
            return
        for arg in typing.get_args(tp):
            visit(arg)

    visit(Edition)
    return found


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], str]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.rsplit("/", 1)[-1]
        return root["$defs"][name], name
    return node, ""


def _build(node: dict[str, Any], root: dict[str, Any], name: str, required: bool, kinds: dict[str, str], type_name: str = "") -> Spec:
    node, ref_name = _resolve(node, root)
    type_name = ref_name or type_name
    meta = {"name": name, "required": required, "title": node.get("title", ""), "description": node.get("description", "")}
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    if options and len(options) < len(node.get("anyOf", [])):
        # Optional: the value or nothing. Keep the outer description (pydantic puts it there).
        inner = _build(options[0] if len(options) == 1 else {"anyOf": options}, root, name, False, kinds, type_name)
        return _with(inner, required=False, title=meta["title"] or inner.title, description=meta["description"] or inner.description, default=node.get("default"))
    if "oneOf" in node and "discriminator" in node:
        raise ValueError("a tagged union outside a list is not expected in the format")
    if node.get("type") == "object" or "properties" in node:
        model = _models().get(type_name)
        own_kinds = field_kinds(model) if model else {}
        needed = set(node.get("required", []))
        fields = tuple(_with(_build(sub, root, key, key in needed, own_kinds), owner=type_name) for key, sub in node.get("properties", {}).items())
        return Spec("object", fields=fields, type_name=type_name, default=node.get("default"), **meta)
    if node.get("type") == "array":
        items = node.get("items", {})
        min_items = int(node.get("minItems", 0))
        if "oneOf" in items and "discriminator" in items:
            variants = {}
            for option in items["oneOf"]:
                spec = _build(option, root, "", True, kinds)
                tag = next((f.tag for f in spec.fields if f.tag is not None), None)
                if tag:
                    variants[tag] = spec
            return Spec("sections", variants=variants, min_items=min_items, **meta)
        return Spec("list", item=_build(items, root, "", True, kinds), min_items=min_items, **meta)
    if "const" in node:
        return Spec("text", tag=str(node["const"]), **meta)
    if "enum" in node:
        return Spec("choice", choices=tuple(str(v) for v in node["enum"]), default=node.get("default"), **meta)
    if node.get("type") == "integer":
        return Spec("integer", minimum=node.get("minimum"), default=node.get("default"), **meta)
    if node.get("type") == "boolean":
        return Spec("boolean", default=node.get("default", False), **meta)
    if _is_date(node):
        return Spec("date", **meta)
    kind = kinds.get(name, "text")
    if kind == "text" and name in MULTILINE_FIELDS:
        kind = "multiline"
    return Spec(kind if kind in ("markdown", "url", "multiline") else "text", default=node.get("default"), **meta)


def _is_date(node: dict[str, Any]) -> bool:
    if node.get("format") == "date":
        return True
    forms = node.get("anyOf") or [node]
    return any(isinstance(f.get("pattern"), str) and _DATE_PATTERN.match(f["pattern"]) for f in forms)


def _with(spec: Spec, **changes: Any) -> Spec:
    from dataclasses import replace

    return replace(spec, **changes)
