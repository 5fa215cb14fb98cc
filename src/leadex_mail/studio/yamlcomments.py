"""Comments and blank lines between items, kept in place when a list changes.

ruamel keeps what follows a value up to the next token -- the rest of its
line, then any blank and comment lines -- on the *last* value before it.
For the items of a list that text is: the end of item i's last line, then
item i+1's "lead" (the blank line and comments above it). ``leads`` splits
those, ``set_leads`` writes them back after a change, so a section moved,
added or deleted takes its own comment and blank line with it, and a list
whose sections are spaced out stays spaced out.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken


def last_slot(node: Any) -> tuple[Any, Any] | None:
    """``(container, key)`` of the deepest last value of ``node``, where ruamel keeps what follows it."""
    while True:
        if isinstance(node, CommentedMap) and len(node):
            key = list(node)[-1]
            value = node[key]
            if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
                node = value
                continue
            return node, key
        if isinstance(node, CommentedSeq) and len(node):
            index = len(node) - 1
            value = node[index]
            if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
                node = value
                continue
            return node, index
        return None


def token_of(slot: tuple[Any, Any]) -> CommentToken | None:
    container, key = slot
    entry = container.ca.items.get(key)
    position = 0 if isinstance(container, CommentedSeq) else 2
    if entry and len(entry) > position and isinstance(entry[position], CommentToken):
        return entry[position]
    return None


def split(value: str) -> tuple[str, str]:
    """A trailing comment's text as (the rest of its own line, the lines below it)."""
    cut = value.find("\n")
    return (value, "") if cut < 0 else (value[: cut + 1], value[cut + 1 :])


def is_block(value: Any) -> bool:
    return isinstance(value, (LiteralScalarString, FoldedScalarString))


def parts(slot: tuple[Any, Any]) -> tuple[str, str]:
    """``(own, lead)`` of a value: the end of its own line, and the blank/comment lines after it.

    A block scalar (``|-``) ends its own lines, so all that follows it is lead.
    """
    container, key = slot
    token = token_of(slot)
    if is_block(container[key]):
        return "", token.value if token else ""
    return split(token.value) if token else ("\n", "")


def write(slot: tuple[Any, Any], own: str, lead: str) -> None:
    container, key = slot
    token = token_of(slot)
    if not lead and own in ("", "\n"):  # nothing but the end of the line: no comment needed
        if token is not None:
            _drop_token(container, key)
        return
    if is_block(container[key]):
        own = ""
    if token is not None:
        token.value = own + lead
        return
    position = 0 if isinstance(container, CommentedSeq) else 2
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= position:
        entry.append(None)
    entry[position] = CommentToken(own + lead, _Mark(), None)


def leads_of(seq: CommentedSeq) -> tuple[list[str], str]:
    """``(leads, trail)``: what stands above each item (blank lines, comments) and what follows the last.

    The first item's lead is always "": what stands above it belongs to the
    list (ruamel keeps it on the list) and never moves.
    """
    leads = [""]
    for index in range(1, len(seq)):
        leads.append(_after(seq[index - 1]))
    return leads, _after(seq[-1]) if len(seq) else ""


def _after(item: Any) -> str:
    slot = last_slot(item)
    return parts(slot)[1] if slot else ""


def set_leads(seq: CommentedSeq, leads: list[str], trail: str) -> None:
    """Write ``leads`` (one per item) and ``trail`` back onto the items' last values."""
    slots = [last_slot(item) for item in seq]
    owns = [parts(slot)[0] if slot else "\n" for slot in slots]
    for index, slot in enumerate(slots):
        if slot is not None:
            write(slot, owns[index], leads[index + 1] if index + 1 < len(seq) else trail)


def _drop_token(container: Any, key: Any) -> None:
    position = 0 if isinstance(container, CommentedSeq) else 2
    entry = container.ca.items.get(key)
    if entry:
        entry[position] = None
        if not any(entry):
            del container.ca.items[key]


class _Mark:
    """A start mark for a comment made here (ruamel reads only its column)."""

    line = 0
    column = 0


def usual_lead(leads: list[str]) -> str:
    """The blank lines most items of the list have above them (one when sections are spaced out)."""
    counts = [len(lead) - len(lead.lstrip("\n")) for lead in leads[1:] if lead]
    if not counts:
        return ""
    return "\n" * max(set(counts), key=counts.count)


def keep_comment_gap(token: CommentToken | None, old: Any, new: Any) -> None:
    """Keep a comment after a value as far from it as the writer put it (ruamel keeps its column)."""
    if token is None or is_block(old) or not token.value.lstrip(" ").startswith("#"):
        return
    delta = len(str(new)) - len(str(old))
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        delta = len(str(new)) - len(str(old))  # the quotes stay: the same difference
    try:
        token.column = max(0, token.column + delta)
    except AttributeError:  # an older ruamel without a settable column: one space then
        pass


def delete_key(node: CommentedMap, key: str, after: str = "") -> None:
    """Remove ``key`` but keep the comment lines that lead into the next key.

    ``after``: such lines its value no longer holds (a list whose last item was removed).
    """
    keys = list(node)
    index = keys.index(key)
    slot = _slot_of(node, key)
    lead = (parts(slot)[1] if slot else "") + after
    del node[key]
    if lead and index > 0:
        prev = _slot_of(node, keys[index - 1])
        if prev:
            write(prev, parts(prev)[0], parts(prev)[1] + lead)


def _slot_of(node: CommentedMap, key: str) -> tuple[Any, Any] | None:
    value = node[key]
    return last_slot(value) if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) else (node, key)
