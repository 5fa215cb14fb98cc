"""How the studio reads and writes single values: their types as written, and the style a person writes them in.

A date is kept as the text written (``WrittenPlain``), so a bad date
(2026-04-31) opens and is reported by the loader; a null as the file wrote
it (``WrittenNull``: ``role:``, ``role: null``, ``role: ~``). A value
changed is written the way its old value was (block, quotes, plain)
(``styled``); a value the studio wrote itself carries a class saying so,
and its style is decided again at each edit. ``yaml_for`` is the ruamel
instance that reads and writes a file with these rules.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    PlainScalarString,
    SingleQuotedScalarString,
)

from leadex_mail.studio.formschema import Spec
from leadex_mail.studio.yamltabs import TabScanner

# A Markdown value this long (or with a line break) is written as a block
# (``body: |-``), as docs/format.md tells people to write long text.
BLOCK_FROM = 60


class WrittenPlain(str):
    """A scalar written without quotes that YAML would type (a date): kept as its text, written back plain."""


class WrittenNull:
    """A null as the file wrote it (``role:``, ``role: null``, ``role: ~``): an untouched one is written back the same.

    The form and the preview see ``None`` (``get``, ``data``); only the writer sees the text.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class StudioText(PlainScalarString):
    """A plain value the studio wrote in this session: its style is decided again at each edit.

    A ``ScalarString`` (written plain, quoted only where YAML needs it): a
    ``CommentedMap`` turns a plain ``str`` assigned over a ``ScalarString``
    into that type, so a text typed where ``""`` stood would keep its quotes.
    """

    __slots__ = ()


class StudioBlock(LiteralScalarString):
    """A block (``|-``) value the studio wrote in this session: its style is decided again at each edit."""

    __slots__ = ()


class StudioEmpty(DoubleQuotedScalarString):
    """An empty text the studio wrote in this session, written ``""``: its style is decided again at each edit.

    Every value the studio writes is a ``ScalarString`` (``StudioText``,
    ``StudioBlock``, this), so none takes the type of the value it replaces.
    """

    __slots__ = ()


class _Constructor(RoundTripConstructor):
    pass


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: WrittenPlain(loader.construct_scalar(node)))
_Constructor.add_constructor("tag:yaml.org,2002:null", lambda loader, node: WrittenNull(str(node.value)))


class _Representer(RoundTripRepresenter):
    pass


_Representer.add_representer(WrittenPlain, lambda r, data: r.represent_scalar("tag:yaml.org,2002:timestamp", str(data)))
_Representer.add_representer(WrittenNull, lambda r, data: r.represent_scalar("tag:yaml.org,2002:null", data.text))
_Representer.add_representer(StudioText, lambda r, data: r.represent_str(str(data)))
_Representer.add_representer(StudioBlock, RoundTripRepresenter.represent_literal_scalarstring)
_Representer.add_representer(StudioEmpty, lambda r, data: r.represent_scalar("tag:yaml.org,2002:str", "", style='"'))


def yaml_for(mapping: int = 2, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Scanner = TabScanner  # a tab between the parts of a line, as libyaml (the CLI) reads it
    yaml.Constructor = _Constructor
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line: an officer edits a paragraph as one line
    yaml.allow_unicode = True
    m, s, o = indent_of(mapping, offset)
    yaml.indent(mapping=m, sequence=s, offset=o)
    return yaml


def dump(root: CommentedMap, indent: tuple[int, int, int]) -> str:
    yaml = yaml_for(indent[0], indent[2])
    out = io.StringIO()
    yaml.dump(root, out)
    return out.getvalue()


def indent_of(mapping: int, offset: int) -> tuple[int, int, int]:
    """ruamel's three indentation numbers (mapping, sequence, offset): block sequences indented by ``offset`` within ``mapping``."""
    return (mapping, max(mapping, offset + 2), offset)


def to_yaml(value: Any, spec: Spec | None = None) -> Any:
    """Plain data as round-trip nodes (new items are written in block style).

    With ``spec`` (the form's spec of ``value``) each value of a known field
    is written as a person writes it (``styled``: plain where YAML allows, a
    long text as a block, a date as a date); a value already styled keeps
    its style.
    """
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = to_yaml(item, _child(spec, key))
        return out
    if isinstance(value, list):
        return CommentedSeq(to_yaml(v, _item(spec, v)) for v in value)
    if value == "" and isinstance(value, str):
        return StudioEmpty("")  # an empty required text, written as docs/format.md does
    if spec is not None and isinstance(value, str) and type(value) is str and spec.kind not in ("object", "list", "sections"):
        return styled(None, value, spec)
    return value


def _child(spec: Spec | None, key: Any) -> Spec | None:
    """The spec of field ``key`` of an object (None: not known, or a section's constant ``type``)."""
    found = spec.child(key) if spec is not None and spec.kind == "object" else None
    return found if found is not None and found.tag is None else None


def _item(spec: Spec | None, item: Any) -> Spec | None:
    """The spec of ``item`` of a list (a section: the object of its ``type``)."""
    if spec is None:
        return None
    if spec.kind == "sections":
        kind = item.get("type") if isinstance(item, dict) else None
        return spec.variants.get(kind) if isinstance(kind, str) else None
    return spec.item if spec.kind == "list" else None


def same(old: Any, new: Any) -> bool:
    return type(old) is type(new) and old == new


def styled(old: Any, new: Any, spec: Spec) -> Any:
    """``new`` written the way ``old`` was (block, quotes, plain); a new long Markdown text as a block."""
    if isinstance(new, dict | list):
        return to_yaml(new, spec)
    if spec.kind == "date" and isinstance(new, str) and re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", new):
        return WrittenPlain(new)
    if not isinstance(new, str):
        if hasattr(new, "isoformat") and not isinstance(new, int):
            return WrittenPlain(new.isoformat())
        return new
    if new == "":
        # A required text left empty: ``""`` as docs/format.md writes it (the loader then says
        # "required but empty" at its line; ``key:`` would read as null, "must be text, not nothing").
        return type(old)("") if isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString)) else StudioEmpty("")
    if isinstance(old, WrittenNull):
        old = None
    if isinstance(old, (StudioText, StudioBlock, StudioEmpty)) or (isinstance(old, str) and old == ""):
        # Written by the studio, or empty (``""`` is how an empty text must be written, no
        # writer's choice): no style to keep, decide again -- a text typed into ``body: ""``
        # is written ``body: A webinar``, as a person writes it.
        old = None
    if old is None:
        # A person writes long text and text with line breaks as a block (docs/format.md).
        block = "\n" in new or (spec.kind == "markdown" and len(new) > BLOCK_FROM)
        return StudioBlock(new) if block else StudioText(new)
    if "\n" in new or isinstance(old, LiteralScalarString):
        return LiteralScalarString(new)
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(new)
    return new


def position(node: CommentedMap, key: str, order: list[str]) -> int:
    """Where a new ``key`` goes: before the first present key that the format lists after it."""
    if key not in order:
        return len(node)
    later = set(order[order.index(key) + 1 :])
    for index, present in enumerate(node):
        if present in later:
            return index
    return len(node)
