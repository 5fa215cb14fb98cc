"""Rich-text fields: the editor's document in, the format's Markdown out.

The browser edits a Markdown field with ProseMirror over a schema that has
only what the format allows -- paragraphs, **bold**, *italics*, links,
bullet and numbered lists (nested), line breaks -- so pasting from Word or
a web page keeps only those (ProseMirror parses the pasted HTML against the
schema). The editor is loaded with the field's HTML as ``render`` makes it
(``render.markdown.to_html``: the same parser as the email) and sends back
its document as JSON; ``to_markdown`` writes that as the Markdown a person
would write, escaping only what the parser would otherwise read as syntax.
Doing both ends in Python keeps one Markdown dialect (ours) in one place.
"""

from __future__ import annotations

import re
from typing import Any

from leadex_mail.errors import LeadexError

NODES = frozenset({"doc", "paragraph", "bullet_list", "ordered_list", "list_item", "text", "hard_break"})
MARKS = ("link", "strong", "em")  # outermost first
LINK_SCHEMES = ("https://", "http://", "mailto:")
MAX_NODES = 20_000


class RichTextError(LeadexError):
    """The editor sent a document the format cannot hold (a node or mark it does not allow)."""


def to_markdown(doc: Any) -> str:
    """The Markdown of a ProseMirror document (``{"type": "doc", "content": [...]}``).

    Raises ``RichTextError`` for a node or mark outside the format's subset.
    """
    _check(doc, [0])
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise RichTextError("the text is not an editor document")
    return "\n\n".join(b for b in (_block(node, "") for node in doc.get("content", [])) if b is not None).strip("\n")


def _check(node: Any, count: list[int]) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise RichTextError("the text is too long")
    if not isinstance(node, dict) or node.get("type") not in NODES:
        raise RichTextError(f"the text holds something the format does not allow ({node.get('type') if isinstance(node, dict) else type(node).__name__})")
    for mark in node.get("marks", []) or []:
        if not isinstance(mark, dict) or mark.get("type") not in MARKS:
            raise RichTextError("the text holds formatting the format does not allow")
    for child in node.get("content", []) or []:
        _check(child, count)


def _block(node: dict[str, Any], indent: str) -> str | None:
    kind = node["type"]
    if kind == "paragraph":
        return _escape_block_start(_inline(node.get("content", [])))
    if kind in ("bullet_list", "ordered_list"):
        start = int((node.get("attrs") or {}).get("order") or 1)
        lines = []
        for index, item in enumerate(node.get("content", [])):
            marker = "- " if kind == "bullet_list" else f"{start + index}. "
            lines.append(_item(item, marker, indent))
        return "\n".join(lines)
    return None


def _item(item: dict[str, Any], marker: str, indent: str) -> str:
    inner = indent + " " * len(marker)
    parts: list[str] = []
    for child in item.get("content", []):
        text = _block(child, inner)
        if text is None:
            continue
        if not parts:
            parts.append(indent + marker + text.replace("\n", "\n" + inner))
        elif child["type"] == "paragraph":
            parts.append("\n" + inner + text.replace("\n", "\n" + inner))
        else:
            parts.append(text)  # a nested list: its lines carry their own indent
    return "\n".join(parts) if parts else indent + marker.rstrip()


# Characters the inline parser reads as syntax; "<" would start raw HTML, which `check` refuses.
_INLINE_SPECIAL = re.compile(r"([\\*_\[\]`<])")


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def _escape_block_start(text: str) -> str:
    """Escape a line start that would make a heading, quote, rule or bullet (a number is the parser's business)."""
    return re.sub(r"^(\s*)([#>+\-])(?=\s|$)", r"\1\\\2", text, flags=re.MULTILINE) if text else text


def _href(mark: dict[str, Any]) -> str | None:
    href = str((mark.get("attrs") or {}).get("href") or "").strip()
    if href == "#" or href.startswith(LINK_SCHEMES):
        return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return None


def _marks(node: dict[str, Any]) -> list[tuple[str, str | None]]:
    found = []
    for mark in node.get("marks", []) or []:
        kind = mark["type"]
        if kind == "link":
            href = _href(mark)
            if href is not None:
                found.append(("link", href))
        else:
            found.append((kind, None))
    return sorted(found, key=lambda m: MARKS.index(m[0]))


def _open(mark: tuple[str, str | None]) -> str:
    return {"link": "[", "strong": "**", "em": "*"}[mark[0]]


def _close(mark: tuple[str, str | None]) -> str:
    return f"]({mark[1]})" if mark[0] == "link" else _open(mark)


def _inline(nodes: list[dict[str, Any]]) -> str:
    """Text with its marks: each mark opened and closed around the words it covers, spaces kept outside."""
    out: list[str] = []
    active: list[tuple[str, str | None]] = []
    pending_space = ""
    for node in nodes:
        if node["type"] == "hard_break":
            out.extend(_close(m) for m in reversed(active))
            active = []
            out.append(pending_space + "\\\n")
            pending_space = ""
            continue
        text = str(node.get("text", ""))
        if not text:
            continue
        wanted = _marks(node)
        keep = 0
        while keep < len(active) and keep < len(wanted) and active[keep] == wanted[keep]:
            keep += 1
        core = text.strip(" ")
        lead, trail = text[: len(text) - len(text.lstrip(" "))], text[len(text.rstrip(" ")) :]
        if not core:  # only spaces: they belong between the marks
            pending_space += text
            continue
        out.extend(_close(m) for m in reversed(active[keep:]))
        out.append(pending_space + lead)
        out.extend(_open(m) for m in wanted[keep:])
        out.append(_escape(core))
        active = wanted
        pending_space = trail
    out.extend(_close(m) for m in reversed(active))
    out.append(pending_space.rstrip(" ") if not out else pending_space)
    return "".join(out).strip(" ")
