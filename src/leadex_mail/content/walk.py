"""Walk plain issue data guided by the model's types.

The loader's checks (raw HTML, placeholders, addresses, image files) must
run even on a file that failed validation, so that all problems come out at
once; the linter runs on validated models (dumped to plain data). Both walk
plain dicts and lists here, with the model class telling each value's
*kind*: ``Markdown`` text, a ``Url``, an ``Image``, or plain.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from leadex_mail.content.model import Image

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Leaf:
    """One value met on the walk: its path, kind (markdown/url/text) and the value."""

    path: FieldPath
    kind: str
    value: Any


@cache
def field_kinds(cls: type[BaseModel]) -> dict[str, str]:
    """Field name -> kind, read from the (string) annotations in ``content/model.py``."""
    kinds: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in getattr(klass, "__annotations__", {}).items():
            text = str(annotation)
            kinds[name] = "markdown" if "Markdown" in text else "url" if "Url" in text else "text"
    return kinds


def resolve(tp: Any, node: Any) -> Any:
    """The one type ``node`` is validated as: unwraps Annotated, Optional and tagged unions."""
    tag = node.get("type") if isinstance(node, dict) else None
    return _resolve(tp, tag if isinstance(tag, str) else None)


@cache
def _resolve(tp: Any, tag: str | None) -> Any:
    # Cached: the walk asks this for every value, and typing introspection is slow.
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        for member in members:
            fields = getattr(member, "model_fields", {})
            if "type" in fields and tag in get_args(fields["type"].annotation):
                return member
        return _resolve(members[0], tag) if len(members) == 1 else None
    return tp


@cache
def child_type(tp: Any, part: str | int) -> Any:
    """The declared type of field/index ``part`` inside type ``tp`` (None when unknown)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        info = tp.model_fields.get(str(part))
        return info.annotation if info else None
    args = get_args(tp)
    if get_origin(tp) is list and args:
        return args[0]
    if get_origin(tp) is dict and len(args) == 2:
        return args[1]
    return None


def leaves(data: Any, model: type[BaseModel], prefix: FieldPath = ()) -> Iterator[Leaf]:
    """Every scalar under ``data`` (plain dicts/lists shaped like ``model``), depth first."""
    yield from _walk(data, model, prefix, "text")


def _walk(node: Any, tp: Any, path: FieldPath, kind: str) -> Iterator[Leaf]:
    tp = resolve(tp, node)
    if isinstance(node, dict):
        is_model = isinstance(tp, type) and issubclass(tp, BaseModel)
        kinds = field_kinds(tp) if is_model else {}
        for key, value in node.items():
            yield from _walk(value, child_type(tp, key), (*path, key), kinds.get(str(key), kind))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, child_type(tp, index), (*path, index), kind)
    elif node is not None:
        yield Leaf(path, kind, node)


def images(data: Any, model: type[BaseModel], prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every mapping under ``data`` that stands where the model expects an ``Image``."""
    yield from _images(data, model, prefix)


def _images(node: Any, tp: Any, path: FieldPath) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    tp = resolve(tp, node)
    if isinstance(node, dict):
        if tp is Image:
            yield path, node
            return
        for key, value in node.items():
            yield from _images(value, child_type(tp, key), (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _images(item, child_type(tp, index), (*path, index))
