"""Read a YAML file into plain Python data, remembering where every node stood.

Pydantic validates plain data and reports errors by field path; people need
``file:line:column``. ``load_yaml`` returns both the plain data and a
``SourceMap`` from field path to position, so every later problem (pydantic
error, missing image, lint warning) can name the line it comes from.

Hostile or broken files get a located problem in bounded time and memory,
never a crash: a file over ``MAX_FILE_BYTES`` is refused before any parser
sees it; every parser (libyaml, ruamel) first streams the file's *events*
through ``yamlguard.guard_events``, which stops at the first construct the
format does not use (anchors, tags, merge keys, runaway nesting: each makes
the parsers build something the node walk cannot locate, or costs without
bound); only then does it build nodes. See docs/decisions.md ("Hostile issue files").
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from leadex_mail.content.yamlguard import MAX_FILE_BYTES, guard_events, too_big, unprintable_problem
from leadex_mail.errors import Problem

FieldPath = tuple[str | int, ...]


def format_path(path: FieldPath) -> str:
    """``("sections", 3, "items", 0, "url")`` -> ``"sections[3].items[0].url"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problem_args(values: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """``Problem.args`` from keyword values: each as text, in name order."""
    return tuple(sorted((name, str(value)) for name, value in (values or {}).items()))


@dataclass
class SourceMap:
    """Where each node of one YAML file stands (1-based line and column)."""

    file: str
    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    # How each text value was written ("plain", "literal" |, "folded" >, "quoted"),
    # and the file's lines: enough to find a word inside a long text.
    styles: dict[FieldPath, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def locate(self, path: FieldPath, *, key: bool = False) -> tuple[int | None, int | None]:
        """Position of ``path`` (its key when ``key``), else of its nearest known ancestor.

        A field that is missing has no position of its own; its parent's is
        the best place to point at.
        """
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(
        self, path: FieldPath, message: str, hint: str | None = None, *, code: str, severity: str = "error", key: bool = False, args: dict[str, Any] | None = None
    ) -> Problem:
        """A ``Problem`` of kind ``code`` (``problem_codes``) located at ``path`` in this file."""
        line, col = self.locate(path, key=key)
        return Problem(self.file, line, col, format_path(path), message, hint, severity, code=code, args=problem_args(args))

    def problem_in(
        self, path: FieldPath, text: str, needle: str, message: str, hint: str | None = None, *, code: str, severity: str = "error", args: dict[str, Any] | None = None
    ) -> Problem:
        """A ``Problem`` at ``needle`` inside the text value ``text`` of ``path`` (e.g. a tag in a long body)."""
        line, col = self.locate_in(path, text, needle)
        return Problem(self.file, line, col, format_path(path), message, hint, severity, code=code, args=problem_args(args))

    def locate_in(self, path: FieldPath, text: str, needle: str) -> tuple[int | None, int | None]:
        """Where ``needle`` stands inside the value of ``path``; the value's start when that cannot be known.

        Exact for one-line plain values and for literal blocks (``|``), whose
        lines are the file's lines; folded and quoted text moves characters.
        """
        line, col = self.locate(path)
        index = text.find(needle)
        style = self.styles.get(tuple(path))
        if index < 0 or line is None or col is None:
            return line, col
        if style == "plain" and "\n" not in text:
            return line, col + index
        if style != "literal":
            return line, col
        row = text.count("\n", 0, index)
        offset = index - (text.rfind("\n", 0, index) + 1)
        content = [s for s in self.lines[line : line + row + 1] if s.strip()]  # the block starts below its `|`
        indent = len(content[0]) - len(content[0].lstrip(" ")) if content else 0
        return line + 1 + row, indent + offset + 1


# Texts that stand in for files while a block runs (``unsaved_texts``): the studio
# checks and previews an edition as it would be saved, through the same loader.
_UNSAVED: ContextVar[Mapping[Path, str] | None] = ContextVar("leadex_unsaved_texts", default=None)


@contextmanager
def unsaved_texts(texts: Mapping[Path, str]) -> Iterator[None]:
    """Within the block (this thread or task), ``load_yaml`` reads ``texts[path]`` instead of the file at ``path``.

    Keys are resolved paths. The texts get every check a file gets (size,
    anchors, depth, syntax), so what is previewed is what saving would load.
    """
    token = _UNSAVED.set({Path(p).resolve(): t for p, t in texts.items()})
    try:
        yield
    finally:
        _UNSAVED.reset(token)


def load_yaml(path: Path, display: str) -> tuple[Any, SourceMap]:
    """Parse ``path`` (or its unsaved text, see ``unsaved_texts``) into plain data and its ``SourceMap``.

    Raises ``YamlSyntaxProblem`` (carrying a located ``Problem``) when the
    file is not valid YAML or cannot be read.
    """
    unsaved = _UNSAVED.get()
    if unsaved and path.resolve() in unsaved:
        text = unsaved[path.resolve()]
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise YamlSyntaxProblem(too_big(display, len(text.encode("utf-8"))))
        return _parse(text, display)
    try:
        raw, size = _read_regular(path, display)
        if size > MAX_FILE_BYTES:
            raise YamlSyntaxProblem(too_big(display, size))
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxProblem(Problem(display, None, None, "", f"the file is not UTF-8 text ({exc.reason})", "save it as UTF-8", code="file.encoding")) from None
    except OSError as exc:
        raise YamlSyntaxProblem(Problem(display, None, None, "", f"cannot read the file: {exc.strerror}", code="file.unreadable")) from None
    return _parse(text, display)


def _read_regular(path: Path, display: str) -> tuple[bytes, int]:
    """At most ``MAX_FILE_BYTES + 1`` bytes of ``path`` and its size; ``YamlSyntaxProblem`` unless it is a regular file.

    Opened without blocking and checked with ``fstat`` before a byte is read:
    a FIFO, a device (or a link to one, e.g. /dev/zero) or a folder named
    ``sl.yaml`` would otherwise hang or flood every command that lists issues.
    Raises ``OSError`` when the file cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, device or socket)"
            raise YamlSyntaxProblem(Problem(display, None, None, "", f"the file is {what}", "an issue file is a text file; remove this one or replace it with the real file", code="file.unreadable"))
        raw = fh.read(MAX_FILE_BYTES + 1)  # never more: the size is checked before anything parses
        return raw, max(len(raw), info.st_size)


@lru_cache(maxsize=64)
def _parse(text: str, display: str) -> tuple[Any, SourceMap]:
    """Parse once per distinct text: the preview, the archive and the tests load the same files again and again.

    A valid file goes through libyaml (PyYAML's C composer, ~10x faster than
    ruamel's pure-Python parser, same node positions); any file libyaml
    rejects, or one with a duplicate key (which libyaml accepts), is parsed
    again by ruamel, whose messages we explain. The result is shared, so
    callers must not modify it (nothing does: pydantic copies).
    """
    unprintable = unprintable_problem(text, display)
    if unprintable is not None:
        raise YamlSyntaxProblem(unprintable)
    fast = _parse_fast(text, display)
    if fast is not None:
        return fast
    return _parse_ruamel(text, display)


def _parse_fast(text: str, display: str) -> tuple[Any, SourceMap] | None:
    """libyaml's node tree copied into plain data with positions; None when ruamel should look.

    libyaml only composes nodes here: plain scalars are typed by YAML 1.2's
    core rules, as ruamel (the reference) types them — `yes`, `no`, `on` stay
    text. Anything ambiguous (tags, merge keys, hex, `1_000`, `.inf`) goes to
    ruamel, so both paths always agree (tests/content/test_content_yaml_paths.py).
    """
    if not getattr(pyyaml, "__with_libyaml__", False) or _TAG_OR_MERGE.search(text):
        return None
    try:
        if guard_events(pyyaml.parse(text, Loader=pyyaml.CSafeLoader), display) is not None:
            return None  # refused: ruamel's path says so, with the same words
        node = pyyaml.compose(text, Loader=pyyaml.CSafeLoader)
    except pyyaml.YAMLError:
        return None
    if node is None:
        return None  # an empty file: ruamel's path reports it the usual way
    smap = SourceMap(display)
    smap.values[()] = (1, 1)
    smap.lines = text.splitlines()
    try:
        return _plain_node(node, (), smap), smap
    except _Ambiguous:
        return None


class _Ambiguous(Exception):
    """Internal: something the fast path leaves to ruamel (a duplicate key, an unusual scalar)."""


_TAG_OR_MERGE = re.compile(r"(?:^|\s)!|<<\s*:")
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")  # after _INT
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}(?:-[0-9]{1,2})?")  # kept as text: pydantic parses and locates bad dates
_NUMBERISH = re.compile(r"[-+.0-9][0-9a-fA-FxXoO_:.+-]*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)")
_CONSTANTS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
}


def _scalar(value: str) -> Any:
    """A plain scalar by YAML 1.2's core schema; ``_Ambiguous`` for the rare forms ruamel should judge."""
    if value in _CONSTANTS:
        return _CONSTANTS[value]
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _DATE.match(value):
        return value
    if _NUMBERISH.fullmatch(value):
        raise _Ambiguous(value)
    return value


def _plain_node(node: Any, path: FieldPath, smap: SourceMap) -> Any:
    """Like ``_plain``, for libyaml's nodes (0-based marks)."""
    if isinstance(node, pyyaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, pyyaml.ScalarNode) or key_node.value in out or not isinstance(_scalar(key_node.value), str):
                raise _Ambiguous("complex, typed or duplicate key")
            key = key_node.value
            child = (*path, key)
            smap.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            smap.values[child] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            if isinstance(value_node, pyyaml.SequenceNode):
                smap.values[child] = smap.keys[child]  # a list is best named by its `key:` line
            out[key] = _plain_node(value_node, child, smap)
        return out
    if isinstance(node, pyyaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            smap.values[child] = smap.keys[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_plain_node(item, child, smap))
        return items
    style = {None: "plain", "": "plain", "|": "literal", ">": "folded"}.get(node.style, "quoted")
    value = _scalar(node.value) if style == "plain" else node.value
    if isinstance(value, str):
        smap.styles[path] = style
    return value


def _parse_ruamel(text: str, display: str) -> tuple[Any, SourceMap]:
    """ruamel's round-trip parse: slower, and the source of our syntax-error messages."""
    smap = SourceMap(display)
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True  # so that SourceMap knows which values were quoted
    try:
        refused = guard_events(YAML(typ="rt").parse(text), display)
        if refused is not None:
            raise YamlSyntaxProblem(refused)
        node = yaml.load(text)
    except YamlSyntaxProblem:
        raise
    except MarkedYAMLError as exc:
        raise YamlSyntaxProblem(_syntax_problem(exc, display)) from None
    except Exception as exc:  # unmarked errors are rare (the guard refuses what causes them); still never a traceback
        raise YamlSyntaxProblem(Problem(display, None, None, "", f"not valid YAML: {exc}", "check the line the error names, or undo the last change", code="file.syntax")) from None
    smap.values[()] = (1, 1)
    smap.lines = text.splitlines()
    try:
        return _plain(node, (), smap), smap
    except _Unlocatable as exc:
        line, col = smap.locate(exc.path)
        hint = "write plain fields, lists and text, as in the other issue files (see docs/format.md)"
        raise YamlSyntaxProblem(Problem(display, line, col, format_path(exc.path), "a YAML construct issue files do not use", hint, code="file.construct")) from None


class _Constructor(RoundTripConstructor):
    """Keeps dates as the text written; pydantic parses them and reports bad ones with a location.

    ruamel's own timestamp constructor raises a bare ValueError, with no
    line, for a date such as 2026-04-31.
    """


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


class YamlSyntaxProblem(Exception):
    """Internal: a file that could not be parsed; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _syntax_problem(exc: MarkedYAMLError, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    if "quoted scalar" in str(exc.context) and exc.context_mark is not None:
        mark = exc.context_mark  # the unclosed quote, not the end of the file where YAML noticed
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    message, hint = _explain(exc)
    return Problem(display, line, col, "", f"not valid YAML: {message}", hint, code="file.syntax")


def _explain(exc: MarkedYAMLError) -> tuple[str, str]:
    """YAML's parser words turned into what the writer did, for the common mistakes."""
    what = exc.problem or exc.context or "syntax error"
    start = exc.context_mark
    started = f"line {start.line + 1}, column {start.column + 1}" if start is not None else "above"
    if "quoted scalar" in str(exc.context):
        return "this quote is never closed", "close the quote, or remove it if the text needs none"
    if "duplicate key" in what:
        return what, "each field may appear only once in the same place; remove or rename one"
    if "\\t" in what or "tab" in what:
        return what, "indent with spaces, not tabs"
    if "mapping values are not allowed" in what:
        return "a ': ' inside a value", "put the whole value in quotes, e.g. title: \"Kick-off: Murcia\""
    if "block end" in what or "block mapping" in what or "block collection" in what:
        return "this line is not indented like the lines around it", f"line up the fields of one item (the item starts at {started})"
    return what, "check the indentation and that text containing ': ' or starting with a quote is quoted"


def _plain(node: Any, path: FieldPath, smap: SourceMap) -> Any:
    """Copy ruamel's round-trip nodes into plain dicts, lists and scalars, recording positions."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            child = (*path, str(key))
            kline, kcol = _position(node.lc.key(key), path)
            vline, vcol = _position(node.lc.value(key), path)
            smap.keys[child] = (kline + 1, kcol + 1)
            smap.values[child] = (vline + 1, vcol + 1)
            if isinstance(node[key], CommentedSeq):
                smap.values[child] = smap.keys[child]  # a list is best named by its `key:` line
            elif isinstance(node[key], CommentedMap) and node[key].lc.line is not None:
                # A nested mapping "starts" at its first key, which is where people look.
                smap.values[child] = (node[key].lc.line + 1, node[key].lc.col + 1)
            out[str(key)] = _plain(node[key], child, smap)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            child = (*path, index)
            line, col = _position(node.lc.item(index), path)
            smap.values[child] = (line + 1, col + 1)
            smap.keys[child] = (line + 1, col + 1)
            items.append(_plain(item, child, smap))
        return items
    if isinstance(node, str):
        smap.styles[path] = _style(node)
        return str(node)  # drop ruamel's ScalarString subclasses
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


class _Unlocatable(Exception):
    """Internal: a node whose position ruamel did not record (a construct the guard should have refused)."""

    def __init__(self, path: FieldPath) -> None:
        super().__init__(format_path(path))
        self.path = path


def _position(mark: Any, parent: FieldPath) -> tuple[int, int]:
    """ruamel's ``(line, col)`` for a key or item; ``_Unlocatable`` (pointing at ``parent``) when it has none."""
    if not isinstance(mark, (tuple, list)) or len(mark) < 2 or not all(isinstance(v, int) for v in mark[:2]):
        raise _Unlocatable(parent)
    return mark[0], mark[1]


def _style(node: str) -> str:
    if isinstance(node, LiteralScalarString):
        return "literal"
    if isinstance(node, FoldedScalarString):
        return "folded"
    return "quoted" if type(node) is not str else "plain"
