"""Turn pydantic's validation errors into ``Problem``s people can act on.

Pydantic says "Input tag 'event' found using 'type' does not match any of
the expected tags" at ``('sections', 0)``; a communications officer needs
"unknown section type 'event'" at ``sl.yaml:12:5`` with "did you mean
'events'?". This module does that translation, one error type at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from leadex_mail.content.dates import FORMS_HINT
from leadex_mail.content.model import SECTION_TYPES
from leadex_mail.content.walk import child_type, resolve
from leadex_mail.content.yamlsource import FieldPath, SourceMap
from leadex_mail.counts import counted
from leadex_mail.errors import Problem

_KIND_NAMES = {
    dict: "a group of fields",
    list: "a list",
    str: "text",
    int: "a number",
    float: "a number",
    bool: "true/false",
    type(None): "nothing",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """``"did you mean 'events'?"`` when ``word`` is close to one of ``choices``."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def translate(exc: ValidationError, data: Any, smap: SourceMap, root: type[BaseModel]) -> list[Problem]:
    """Every error in ``exc`` as a located, plain-words ``Problem``."""
    located = []
    for error in exc.errors(include_url=False):
        path = _data_path(error["loc"], data)
        located.append((error["type"], path, _one(error, path, data, smap, root)))
    return _merge_misspelt(located)


def _merge_misspelt(located: list[tuple[str, FieldPath, Problem]]) -> list[Problem]:
    """Drop "'heading' is missing" when the same mapping has "unknown 'heding', did you mean 'heading'?"."""
    suggested = {
        (path[:-1], p.hint.split("'")[1]) for kind, path, p in located if kind == "extra_forbidden" and p.hint and p.hint.startswith("did you mean")
    }
    return [p for kind, path, p in located if not (kind == "missing" and (path[:-1], str(path[-1])) in suggested)]


def _data_path(loc: tuple[Any, ...], data: Any) -> FieldPath:
    """Pydantic's loc without the discriminator tags it inserts for tagged unions."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part not in node and node.get("type") == part:
            continue  # ('sections', 3, 'story', 'heading'): 'story' is the union tag, not a field
        path.append(part)
        node = _child(node, part)
    return tuple(path)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _value_at(data: Any, path: FieldPath) -> Any:
    node = data
    for part in path:
        node = _child(node, part)
    return node


def _one(error: dict[str, Any], path: FieldPath, data: Any, smap: SourceMap, root: type[BaseModel]) -> Problem:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    name = str(path[-1]) if path and isinstance(path[-1], str) else "this item"

    if kind == "extra_forbidden":
        allowed = _fields_at(root, data, path[:-1])
        hint = did_you_mean(name, allowed) or (f"allowed here: {', '.join(allowed)}" if allowed else None)
        return smap.problem(path, f"unknown field {name!r}", hint, key=True, code="file.unknown_field")
    if kind == "missing":
        parent = path[:-1]
        what = _describe_parent(data, parent)
        return smap.problem(path, f"{what} needs the field {name!r}, which is missing", f"add `{name}:` to it", key=True, code="value.missing")
    if kind == "union_tag_invalid":
        tag = ctx.get("tag", "")
        hint = did_you_mean(tag, SECTION_TYPES) or f"section types are: {', '.join(SECTION_TYPES)}"
        return smap.problem((*path, "type"), f"unknown section type {tag!r}", hint, code="file.unknown_section")
    if kind == "union_tag_not_found":
        return smap.problem(path, "this section has no `type:`", f"start it with `- type: ` and one of: {', '.join(SECTION_TYPES)}", code="file.no_section_type")
    if kind.startswith("date"):  # date_parsing, date_from_datetime_parsing, datetime_*
        reason = f" ({ctx['error']})" if "error" in ctx else ""
        hint = "write the issue's month (2026-06) or day (2026-06-01)" if path == ("date",) else f"{FORMS_HINT}; for several days, the first as date and the last as end_date"
        return smap.problem(path, f"{name!r} is not a date: {_show(value)}{reason}", hint, code="value.not_a_date", args={"value": value})
    if kind == "string_pattern_mismatch":
        return smap.problem(path, f"{name!r} has an invalid value {_show(value)}", _pattern_hint(name), code="value.invalid", args={"value": _shortened(value)})
    if kind == "literal_error":
        expected = [e.strip(" '") for e in str(ctx.get("expected", "")).replace(" or ", ", ").split(",") if e.strip()]
        hint = did_you_mean(str(value), expected) or f"use one of: {', '.join(expected)}"
        return smap.problem(path, f"{name!r} cannot be {_show(value)}", hint, code="value.not_a_choice", args={"value": _shortened(value)})
    if kind == "too_short":
        return smap.problem(path, f"{name!r} needs at least {counted(ctx.get('min_length', 1), 'item')}", "add an item, or remove the section", code="value.too_few", args={"n": ctx.get("min_length", 1)})
    if kind in ("greater_than_equal", "greater_than"):
        return smap.problem(path, f"{name!r} must be at least {ctx.get('ge', ctx.get('gt'))} (got {_show(value)})", code="value.too_small", args={"min": ctx.get("ge", ctx.get("gt"))})
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _not_a_mapping(path, value, smap, root, data)
    if kind == "list_type":
        return smap.problem(path, f"{name!r} must be a list, not {_kind(value)}", "write each item on its own line starting with '- '", code="file.not_a_list")
    if kind == "string_type":
        return smap.problem(path, f"{name!r} must be text, not {_kind(value)}", "put the value in quotes, e.g. \"2026\"", code="value.not_text")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return smap.problem(path, f"{name!r} must be a whole number (got {_show(value)})", code="value.not_whole_number")
    if kind in ("bool_type", "bool_parsing"):
        return smap.problem(path, f"{name!r} must be true or false (got {_show(value)})", code="value.not_true_false")
    if kind == "string_unicode":  # pydantic's own refusal of a lone surrogate ("\ud800" written in quotes)
        return smap.problem(path, f"{name!r} contains a broken character (half of a surrogate pair)", "remove the \\u escape that writes half a character, and type the character itself", code="value.broken_character")
    if kind in ("control_character", "line_break"):
        return _control_problem(kind, name, ctx, value, path, smap)
    if kind == "empty_text":  # a required text left empty or only spaces
        return smap.problem(path, f"{name!r} is required but empty", f"write the {name} (or remove what holds it)", code="value.required_empty")
    if kind == "event_dates":  # an event's dates: at end_date, the field to change
        at = path if path and path[-1] == ctx.get("field", "end_date") else (*path, ctx.get("field", "end_date"))
        return smap.problem(at, error["msg"], ctx.get("hint"), code="value.event_dates")
    if kind == "language_unknown":  # an edition's language: no language, or not in the shape an edition is named by
        return smap.problem(path, f"{name!r}: {ctx.get('reason', error['msg'])}", ctx.get("hint"), code="value.unknown_language", args={"value": str(value)})
    if kind == "value_error":  # a model's own rule (e.g. an event's days); its words are already plain
        return smap.problem(path, str(ctx.get("error", error["msg"])), code="value.rule")
    return smap.problem(path, f"{name!r}: {error['msg']}", code="value.other")


def _control_problem(kind: str, name: str, ctx: dict[str, Any], value: Any, path: FieldPath, smap: SourceMap) -> Problem:
    """An invisible character, pointed at as exactly as the value's style allows (see ``SourceMap.locate_in``)."""
    char = ctx.get("char", "a control character")
    if kind == "line_break":
        message = f"{name!r} must be one line, but it contains {_line_break_words(char)}"
        hint = "write it on one line: it becomes a mail header, which a line break would end"
    else:
        message = f"{name!r} contains the invisible control character {char}"
        hint = "delete it and retype the words around it (it often comes with text copied from another program); control characters break the email"
    needle = ctx.get("needle")
    code = "value.line_break" if kind == "line_break" else "value.control_character"
    if isinstance(value, str) and isinstance(needle, str):
        return smap.problem_in(path, value, needle, message, hint, code=code)
    return smap.problem(path, message, hint, code=code)


def _line_break_words(char: str) -> str:
    return "a tab " + char[3:] if char.startswith("TAB") else f"a line break {char.split(' ', 1)[-1]}" if char.startswith(("LF", "CR")) else char


def _not_a_mapping(path: FieldPath, value: Any, smap: SourceMap, root: type[BaseModel], data: Any) -> Problem:
    if len(path) == 2 and path[0] == "sections":
        hint = f"write it as `- type: {value if value in SECTION_TYPES else 'story'}` with the section's fields indented under it"
        return smap.problem(path, f"section {path[1] + 1} must be a group of fields, not {_kind(value)} {_show(value)}", hint, code="file.not_a_group")
    fields = _fields_at(root, data, path)
    example = f" ({', '.join(fields[:3])}, ...)" if fields else ""
    where = f"item {path[-1] + 1} of {path[-2]!r}" if isinstance(path[-1], int) and len(path) > 1 else repr(str(path[-1]) if path else "the file")
    return smap.problem(path, f"{where} must be a group of fields{example}, not {_kind(value)} {_show(value)}", "write one `key: value` per line, indented under it", code="file.not_a_group")


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _shortened(value: Any) -> str:
    """A value for a message's ``args``: as written, shortened, never in Python's quotes (the message quotes it)."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    return _KIND_NAMES.get(type(value), type(value).__name__)


def _pattern_hint(name: str) -> str | None:
    if name == "language":
        return "use a lower-case language code such as sl or en"
    if name.endswith("color"):
        return "colours are written #rrggbb, e.g. #0b4f8a"
    if name == "brand":
        return "write the file name of a brand file kept beside brand.yaml, e.g. brand-haka.yaml"
    return None


def _describe_parent(data: Any, parent: FieldPath) -> str:
    node = _value_at(data, parent)
    if isinstance(node, dict) and isinstance(node.get("type"), str) and node.get("type") in SECTION_TYPES:
        return f"this {node['type']} section"
    if not parent:
        return "the file"
    last = parent[-1]
    if isinstance(last, int) and len(parent) > 1:
        return f"this item of {parent[-2]!r}"
    return f"{last!r}"


def _fields_at(root: type[BaseModel], data: Any, path: FieldPath) -> list[str]:
    """Field names allowed in the mapping at ``path`` (for did-you-mean hints)."""
    tp: Any = root
    node = data
    for part in path:
        tp = child_type(resolve(tp, node), part)
        node = _child(node, part)
    model = resolve(tp, node)
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
