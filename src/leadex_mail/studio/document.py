"""One edition file opened for editing: ruamel's round trip, so untouched lines stay as written.

    doc = EditionDoc.open(Path("newsletters/2026-09-leadex-02/sl.yaml"))
    doc.set(("sections", 1, "heading"), "Uvodni sestanek", spec)
    doc.move_item(("sections",), 1, 3)
    doc.save()                      # EditConflict if the file changed on disk meanwhile

The file is parsed once with ruamel's round-trip loader (comments, key
order, quoting and block styles are kept) after the same guards the loader
applies (size, anchors, nesting). Changes are made on that tree; ``text()``
is the file's own text with the edit's lines applied (``yamlmerge``): a file
nobody edited comes back byte for byte, and an edit changes only the lines
of the values edited (and those of an item added, moved or removed) --
whatever the writer's indentation, quoting, escapes or spacing elsewhere.
How single values are typed and styled is ``yamlvalues``.

Comments that stand *between* items of a list belong, in ruamel's tree, to
the last value of the item above. Moving, adding or deleting an item would
leave such a comment (and the blank line before a section) in the wrong
place, so list changes carry each item's leading comment and blank lines
with it (``yamlcomments``).

Saving is atomic (a temporary file renamed over the old one) and refused
with ``EditConflict`` when the file on disk is no longer the one opened:
the studio never silently overwrites someone else's change.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from leadex_mail.content.yamlsource import MAX_FILE_BYTES, format_path, guard_events
from leadex_mail.counts import counted
from leadex_mail.errors import ContentError, EditConflict, Problem
from leadex_mail.files import replace_atomic
from leadex_mail.studio.formschema import FieldPath, Spec, shape_problems
from leadex_mail.studio.textlayout import Layout
from leadex_mail.studio.yamlcomments import delete_key, keep_comment_gap, last_slot, leads_of, parts, set_leads, token_of, usual_lead, write
from leadex_mail.studio.yamlmerge import merge
from leadex_mail.studio.yamltabs import restore_tabs
from leadex_mail.studio.yamlvalues import WrittenNull, dump, indent_of, position, same, styled, to_yaml, yaml_for


def file_stamp(data: bytes) -> str:
    """The version of a file's contents: sha256 hex of its bytes."""
    return hashlib.sha256(data).hexdigest()


def read_stamp(path: Path) -> str | None:
    """The stamp of the file at ``path`` now; None when it is gone."""
    try:
        return file_stamp(path.read_bytes())
    except FileNotFoundError:
        return None


@dataclass
class EditionDoc:
    """An edition file's round-trip tree, the stamp of the file it came from, and how to write it back."""

    path: Path
    stamp: str
    root: CommentedMap
    indent: tuple[int, int, int]  # mapping, sequence, offset (ruamel's names)
    original: str  # the file's text as read (or last saved), in its own layout (``layout``)
    changed: bool = False
    _text: str | None = field(default=None, repr=False)
    _before: str | None = field(default=None, repr=False)  # ruamel's writing of ``original`` (``yamlmerge``)

    @classmethod
    def open(cls, path: Path) -> EditionDoc:
        """Read and parse ``path``; ``ContentError`` (one located problem) when it cannot be edited as a form."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ContentError(f"cannot read {path}: {exc.strerror}", [Problem(str(path), None, None, "", f"cannot read the file: {exc.strerror}", code="file.unreadable")]) from None
        return cls.from_text(path, raw)

    @classmethod
    def from_text(cls, path: Path, raw: bytes) -> EditionDoc:
        """Parse ``raw`` (the file's bytes) as the file at ``path``."""
        display = str(path)
        if len(raw) > MAX_FILE_BYTES:
            raise _unusable(display, f"the file is {len(raw) // 1024} KB; an issue file may be at most {MAX_FILE_BYTES // 1024} KB", "file.too_big")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _unusable(display, "the file is not UTF-8 text", "file.encoding") from None
        plain = Layout.plain(text)  # parsed and written with LF and no mark; ``text()`` puts the file's back
        try:
            refused = guard_events(yaml_for().parse(plain), display)
            if refused is not None:
                raise ContentError(refused.message, [refused])
            _, _, offset = load_yaml_guess_indent(plain, yaml=yaml_for())
            mapping_indent = _mapping_indent(plain)
            root = yaml_for(mapping_indent, offset or 0).load(plain)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
            problem = Problem(display, line, col, "", f"not valid YAML: {exc.problem or exc.context}", _FIX_BY_HAND, code="file.syntax")
            raise ContentError(problem.message, [problem]) from None
        except (YAMLError, ValueError, TypeError) as exc:
            raise _unusable(display, f"not valid YAML: {exc}", "file.syntax") from None
        if not isinstance(root, CommentedMap):
            raise _unusable(display, "the file is not a set of fields (key: value)", "file.not_fields")
        # Judge the shape before any form is built from it: a list where the form shows a group
        # (``sections: 42``, ``image: 5``) would otherwise fail deep inside a template.
        wrong = shape_problems(_plain(root))
        if wrong:
            problems = [
                Problem(display, _line_of(root, where), None, format_path(where), f"{'.'.join(map(str, where)) or 'the file'}: {words}", _FIX_BY_HAND, code=code)
                for where, words, code in wrong
            ]
            raise ContentError(f"{display}: {counted(len(problems), 'field')} of a shape the form cannot show", problems)
        indent = indent_of(mapping_indent, offset or 0)
        return cls(path, file_stamp(raw), root, indent, text)

    # -- reading ---------------------------------------------------------------------------

    @property
    def layout(self) -> Layout:
        """The file's byte-order mark, line endings and last line (``textlayout``), as read or last saved."""
        return Layout.of(self.original)

    def data(self) -> Any:
        """The edition as plain dicts, lists and scalars (for the form)."""
        return _plain(self.root)

    def get(self, path: FieldPath) -> Any:
        """The round-trip value at ``path`` (None when absent)."""
        node: Any = self.root
        for part in path:
            if isinstance(node, CommentedMap) and part in node or isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return None if isinstance(node, WrittenNull) else node

    def preview_text(self) -> str:
        """YAML holding the same data as ``text()``, made fast (libyaml's emitter) for the preview and check.

        Same data, so the same findings at the same fields; only the line
        numbers differ from the saved file's, and the studio places findings
        by field. ``text()`` (ruamel's round trip, ~15x slower) is for saving.
        """
        if not self.changed:
            return self.layout.plain(self.original)
        import yaml as pyyaml

        dumper = getattr(pyyaml, "CSafeDumper", pyyaml.SafeDumper)
        try:
            return pyyaml.dump(_plain(self.root), Dumper=dumper, allow_unicode=True, sort_keys=False, width=1 << 20)
        except pyyaml.YAMLError:  # a value of a type libyaml's representer does not know: the saved form is always right
            return self.text()

    def text(self) -> str:
        """The file as it would be saved now."""
        if self._text is None:
            if not self.changed:
                self._text = self.original
            else:
                plain = self.layout.plain(self.original)
                after = restore_tabs(dump(self.root, self.indent), plain)
                self._text = self.layout.apply(merge(plain, self._ruamel_before(plain), after))
        return self._text

    def _ruamel_before(self, plain: str) -> str:
        """ruamel's writing of the file as read (or last saved): what ``merge`` tells ruamel's spelling from the edit by."""
        if self._before is None:
            tree = yaml_for(self.indent[0], self.indent[2]).load(plain)
            self._before = restore_tabs(dump(tree, self.indent), plain)
        return self._before

    # -- changing --------------------------------------------------------------------------

    def set(self, path: FieldPath, value: Any, spec: Spec, parent: Spec | None = None) -> None:
        """Write ``value`` at ``path`` (``None``: remove the field), in the style its old value was written.

        ``parent`` (the spec of the object holding the field) gives the
        order a new field is put in. Missing groups on the way are created.
        """
        *head, key = path
        container = self._container(tuple(head), create=value is not None, parent=parent)
        if container is None:
            return
        if isinstance(container, CommentedSeq):
            if isinstance(key, int) and 0 <= key < len(container) and value is not None:
                container[key] = styled(container[key], value, spec)
                self._touch()
            return
        if value is None or (spec.kind == "boolean" and not spec.required and value == (spec.default or False)):
            if key in container:
                delete_key(container, str(key))
                self._touch()
            return
        new = styled(container.get(key), value, spec)
        if key in container:
            if same(container[key], new):
                return
            own, lead = parts((container, key))
            keep_comment_gap(token_of((container, key)), container[key], new)
            container[key] = new
            write((container, key), own or "\n", lead)
        else:
            order = [f.name for f in parent.fields] if parent else []
            at = position(container, str(key), order)
            # Added last: what followed the old last value (the blank line before the next section) follows it.
            slot = last_slot(container) if at == len(container) else None
            own, lead = parts(slot) if slot is not None else ("", "")
            container.insert(at, key, new)
            moved = last_slot(container)
            if slot is not None and lead and moved is not None and (moved[0] is not slot[0] or moved[1] != slot[1]):
                write(slot, own, "")
                write(moved, parts(moved)[0], lead)
        self._touch()

    def add_item(self, path: FieldPath, index: int, value: Any) -> None:
        """Insert ``value`` (plain data) as item ``index`` of the list at ``path``."""
        seq = self.get(path)
        if not isinstance(seq, CommentedSeq) or not 0 <= index <= len(seq):
            raise ContentError(f"there is no list at {path}")
        leads, trail = leads_of(seq)
        seq.insert(index, to_yaml(value))
        leads.insert(index, "")
        self._relead(seq, leads, trail, fresh={index, 1} if index == 0 else {index})

    def remove_item(self, path: FieldPath, index: int) -> None:
        """Delete item ``index`` of the list at ``path``, with the comment lines that lead into it."""
        seq = self.get(path)
        if not isinstance(seq, CommentedSeq) or not 0 <= index < len(seq):
            raise ContentError(f"there is no item {index} at {path}")
        leads, trail = leads_of(seq)
        del seq[index]
        del leads[index]
        if not seq:
            self._emptied(path, trail)
            return
        self._relead(seq, leads, trail, fresh=set())

    def _emptied(self, path: FieldPath, trail: str) -> None:
        """A list left without items: its key removed, as a person deletes it (the loader reads no list as an empty one).

        A list the format requires stays, written ``[]``. Either way what
        followed the last item (the blank line and comments before the next
        section) stays where it was: ruamel kept it on that item.
        """
        from leadex_mail.studio.formschema import spec_at

        *head, key = path
        parent = self.get(tuple(head))
        spec = spec_at(path, self.root)
        keys = list(parent) if isinstance(parent, CommentedMap) else []
        if key in keys and keys.index(key) > 0 and not (spec is not None and spec.required):
            delete_key(parent, str(key), after=trail)
        else:
            parent[key] = CommentedSeq()
            parent[key].fa.set_flow_style()
            write((parent, key), "\n", trail)
        self._touch()

    def move_item(self, path: FieldPath, index: int, to: int) -> None:
        """Move item ``index`` of the list at ``path`` to position ``to``, its leading comment with it."""
        seq = self.get(path)
        if not isinstance(seq, CommentedSeq) or not (0 <= index < len(seq) and 0 <= to < len(seq)):
            raise ContentError(f"cannot move item {index} to {to} at {path}")
        if index == to:
            return
        leads, trail = leads_of(seq)
        item, lead = seq[index], leads[index]
        del seq[index]
        del leads[index]
        seq.insert(to, item)
        leads.insert(to, lead)
        # The item that was first had no lead of its own, nor has the one that now leaves first place.
        self._relead(seq, leads, trail, fresh=({to} if index == 0 else set()) | ({1} if to == 0 else set()))

    def _relead(self, seq: CommentedSeq, leads: list[str], trail: str, *, fresh: set[int]) -> None:
        """Write each item's leading lines back after a change.

        Only the ``fresh`` items (added, or no longer first) get new lines
        above them: the blank line most items of the list have, or -- in a
        list of one, with nothing to go by -- one blank line between
        sections, as ``new`` writes them, and none between the items of a
        section. Every other item keeps exactly what it had.
        """
        known = [lead for i, lead in enumerate(leads) if i and i not in fresh]
        blank = usual_lead([""] + known) if known else ("\n" if seq is self.root.get("sections") else "")
        fixed = [""] + [blank if i in fresh and not lead else lead for i, lead in enumerate(leads) if i]
        set_leads(seq, fixed, trail)
        self._touch()

    def _container(self, path: FieldPath, *, create: bool, parent: Spec | None) -> CommentedMap | CommentedSeq | None:
        node: Any = self.root
        for depth, part in enumerate(path):
            child = self.get(path[: depth + 1])
            if child is None:
                if not create or not isinstance(node, CommentedMap):
                    return None
                child = CommentedMap()
                if part in node:  # written as nothing (``image:``): filled in where it stands
                    node[part] = child
                else:
                    node.insert(len(node), part, child)
            node = child
        return node if isinstance(node, (CommentedMap, CommentedSeq)) else None

    def _touch(self) -> None:
        self.changed = True
        self._text = None

    # -- saving ----------------------------------------------------------------------------

    def disk_stamp(self) -> str | None:
        """The stamp of the file on disk now (None when it was deleted)."""
        return read_stamp(self.path)

    def save(self) -> str:
        """Write the file atomically; the new stamp. ``EditConflict`` when the file on disk changed since it was opened."""
        now = self.disk_stamp()
        if now != self.stamp:
            what = "was deleted" if now is None else "was changed by another program or person"
            raise EditConflict(
                f"{self.path.name} {what} since you opened it; your changes were not saved",
                [Problem(str(self.path), None, None, "", f"the file {what} since it was opened", code="file.changed")],
                hint="reload it to see the new version (your unsaved changes are then lost), or copy your changes somewhere first",
            )
        data = self.text().encode("utf-8")
        if len(data) > MAX_FILE_BYTES:  # `check`, `send` and the studio itself would refuse to read it: keep the draft instead
            raise too_big_to_save(self.path.name, len(data))
        _atomicwrite(self.path, data)
        self.stamp = file_stamp(data)
        self.original = self.text()
        self.changed, self._before = False, None
        return self.stamp


def too_big_to_save(name: str, size: int) -> ContentError:
    """The refusal to write an edition of ``size`` bytes (over ``MAX_FILE_BYTES``): code ``file.too_big``, args ``kb``, ``most_kb``."""
    kb, most = str(-(-size // 1024)), str(MAX_FILE_BYTES // 1024)
    message = f"{name} would be {kb} KB; an issue file may be at most {most} KB, so it was not saved"
    hint = "shorten the longest texts (a paste from a web page can bring far more than it shows); the changes stay unsaved"
    return ContentError(message, [Problem(name, None, None, "", message, hint, code="file.too_big", args=(("kb", kb), ("most_kb", most)))], hint=hint)


def _line_of(root: Any, path: FieldPath) -> int | None:
    """The 1-based line of the value at ``path`` (its key's line), as far as ruamel recorded it."""
    node, line = root, None
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
            node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


_FIX_BY_HAND = "correct the file in a text editor, or ask whoever changed it"


def _unusable(display: str, message: str, code: str) -> ContentError:
    return ContentError(message, [Problem(display, None, None, "", message, _FIX_BY_HAND, code=code)])


def _mapping_indent(text: str) -> int:
    """How far the file indents a group of fields under its key (the most common step; 2 when none)."""
    steps: dict[int, int] = {}
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for above, below in itertools.pairwise(lines):
        if not above.rstrip().endswith(":") or below.lstrip().startswith("- "):
            continue
        step = (len(below) - len(below.lstrip(" "))) - (len(above) - len(above.lstrip(" ").lstrip("- ")))
        if step > 0:
            steps[step] = steps.get(step, 0) + 1
    return max(steps, key=lambda s: steps[s]) if steps else 2


def _atomicwrite(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, keeping its permissions; ``OSError`` names ``path`` (``files.replace_atomic``)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    replace_atomic(path, data, mode=mode, sync=True)


def _plain(node: Any) -> Any:
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    if isinstance(node, WrittenNull):
        return None
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):  # ruamel's ScalarFloat remembers its written form; the data is the number
        return float(node)
    return node
