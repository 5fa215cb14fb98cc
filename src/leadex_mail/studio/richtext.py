"""Rich-text fields: the editor's document in, the format's Markdown out.

The browser edits a Markdown field with ProseMirror over a schema that has
only what the format allows -- paragraphs, **bold**, *italics*, links,
bullet and numbered lists (nested), line breaks -- so pasting from Word or
a web page keeps only those (ProseMirror parses the pasted HTML against the
schema). The editor is loaded with the field's HTML as ``render`` makes it
(``editor_html``: the email's parser, each link's address as written) and sends back
its document as JSON; ``to_markdown`` writes that as the Markdown a person
would write, escaping only what the parser would otherwise read as syntax.
Doing both ends in Python keeps one Markdown dialect (ours) in one place.
"""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it import helpers as link_helpers
from markdown_it.token import Token

from leadex_mail.errors import LeadexError

NODES = frozenset({"doc", "paragraph", "bullet_list", "ordered_list", "list_item", "text", "hard_break"})
MARKS = ("link", "strong", "em")  # outermost first
LINK_SCHEMES = ("https://", "http://", "mailto:")
MAX_NODES = 20_000


class RichTextError(LeadexError):
    """The editor sent a document the format cannot hold (a node or mark it does not allow).

    ``reason`` names the kind, for the studio to say in the officer's words
    (catalog key ``rt_refused_<reason>``): ``"too_long"``, ``"not_document"``,
    ``"not_allowed"`` (a node), ``"not_text"``, ``"list_start"``,
    ``"formatting"`` (a mark), ``"link_not_text"``; ``message`` is the
    English of a log.
    """

    def __init__(self, message: str, *, reason: str = "not_document") -> None:
        super().__init__(message)
        self.reason = reason


def to_markdown(doc: Any) -> str:
    """The Markdown of a ProseMirror document (``{"type": "doc", "content": [...]}``).

    Raises ``RichTextError`` for a node or mark outside the format's subset.
    """
    _check(doc, [0])
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise RichTextError("the text is not an editor document", reason="not_document")
    return "\n\n".join(text for _, text in _blocks(doc.get("content", []), "")).strip("\n")


def _blocks(nodes: list[dict[str, Any]], indent: str) -> list[tuple[str, str]]:
    """The Markdown of each block that has any text (an empty paragraph has no Markdown).

    Two lists of one kind side by side would read back as one list, so the
    second is written with the other marker CommonMark offers (``*`` for ``-``,
    ``1)`` for ``1.``), and so on alternately.
    """
    out: list[tuple[str, str]] = []  # (node type, Markdown)
    previous, other = None, False
    for node in nodes:
        kind = node["type"]
        if kind == "ordered_list" and not _read_as_list(node):
            out.extend(_numbered_paragraphs(node, indent))
            previous = "paragraph"
            continue
        alternate = not other if kind == previous and kind in ("bullet_list", "ordered_list") else False
        text = _block(node, indent, alternate)
        if not text:
            continue
        out.append((kind, text))
        previous, other = kind, alternate
    return out


def _read_as_list(node: dict[str, Any]) -> bool:
    """Whether the format reads a numbered list back as one: from 1, with an item 2 (render.markdown's "15." rule)."""
    return int((node.get("attrs") or {}).get("order") or 1) == 1 and len(node.get("content", [])) >= 2


def _numbered_paragraphs(node: dict[str, Any], indent: str) -> list[tuple[str, str]]:
    """A numbered list the format would read as text (one item, or from 3: Word continuing its numbering).

    Written as one paragraph per item, its number first ("3. tri"), so the
    email shows what the editor showed; written as a list, its lines would
    run together into one paragraph.
    """
    start = int((node.get("attrs") or {}).get("order") or 1)
    out: list[tuple[str, str]] = []
    for index, item in enumerate(node.get("content", [])):
        children = item.get("content", [])
        own_line = bool(children) and children[0]["type"] == "paragraph"
        head = (_block(children[0], indent) or "") if own_line else ""
        out.append(("paragraph", f"{start + index}. {head}".rstrip()))
        out.extend(_blocks(children[1:] if own_line else children, indent))
    return out


def _check(node: Any, count: list[int]) -> None:
    """Every node, mark and value of the document of the kind ProseMirror's schema gives it, else ``RichTextError``.

    A text is text, a list of nodes or marks a list, a link's address text,
    a numbered list's first number a whole number CommonMark can write (at
    most nine digits): nothing else reaches the Markdown as Python's
    spelling of it (a13d #14, the class at the rich-text field).
    """
    count[0] += 1
    if count[0] > MAX_NODES:
        raise RichTextError("the text is too long", reason="too_long")
    if not isinstance(node, dict) or node.get("type") not in NODES:
        raise RichTextError(f"the text holds something the format does not allow ({node.get('type') if isinstance(node, dict) else type(node).__name__})", reason="not_allowed")
    marks, content, attrs = node.get("marks") or [], node.get("content") or [], node.get("attrs") or {}
    if not isinstance(marks, list) or not isinstance(content, list) or not isinstance(attrs, dict):
        raise RichTextError("the text is not an editor document", reason="not_document")
    if node["type"] == "text" and not isinstance(node.get("text", ""), str):
        raise RichTextError("the text holds something that is not text", reason="not_text")
    order = attrs.get("order", 1)
    if node["type"] == "ordered_list" and (order is not None and (type(order) is not int or not 0 <= order <= 999_999_999)):
        raise RichTextError("a numbered list starts at a number the format cannot write", reason="list_start")
    for mark in marks:
        if not isinstance(mark, dict) or mark.get("type") not in MARKS:
            raise RichTextError("the text holds formatting the format does not allow", reason="formatting")
        mark_attrs = mark.get("attrs") or {}
        if not isinstance(mark_attrs, dict) or not isinstance(mark_attrs.get("href", ""), str | None):
            raise RichTextError("a link's address is not text", reason="link_not_text")
    for child in content:
        _check(child, count)


def _block(node: dict[str, Any], indent: str, alternate: bool = False) -> str | None:
    kind = node["type"]
    if kind == "paragraph":
        return _escape_block_start(_inline(node.get("content", [])))
    if kind in ("bullet_list", "ordered_list"):
        start = int((node.get("attrs") or {}).get("order") or 1)
        lines = []
        for index, item in enumerate(node.get("content", [])):
            marker = ("* " if alternate else "- ") if kind == "bullet_list" else f"{start + index}{')' if alternate else '.'} "
            lines.append(_item(item, marker, indent))
        return "\n".join(lines)
    return None


def _item(item: dict[str, Any], marker: str, indent: str) -> str:
    inner = indent + " " * len(marker)
    children = item.get("content", [])
    head = ""
    if children and children[0]["type"] == "paragraph":  # the item's own line, even when empty
        head = _block(children[0], inner) or ""
        children = children[1:]
    parts = [indent + marker + head.replace("\n", "\n" + inner) if head else indent + marker.rstrip()]
    for kind, text in _blocks(children, inner):
        # A later paragraph is indented under the marker; a nested list's lines carry their own indent.
        parts.append("\n" + inner + text.replace("\n", "\n" + inner) if kind == "paragraph" else text)
    return "\n".join(parts)


# Characters the inline parser reads as syntax; "<" would start raw HTML, which `check` refuses.
_INLINE_SPECIAL = re.compile(r"([\\*_\[\]`<])")


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def _escape_block_start(text: str) -> str:
    """Escape a line start that would make a heading, quote, rule or bullet (a number is the parser's business)."""
    return re.sub(r"^(\s*)([#>+\-])(?=\s|$)", r"\1\\\2", text, flags=re.MULTILINE) if text else text


def _href(mark: dict[str, Any]) -> str | None:
    href = str((mark.get("attrs") or {}).get("href") or "").strip()
    if href == "#" or href.lower().startswith(LINK_SCHEMES):
        return destination(href)
    return None


# What a plain link destination cannot hold as typed: whitespace and control characters
# (CommonMark ends the destination there) and "<", ">" (not URL characters; "<" would start
# an <...> destination). Written percent-encoded, as a browser sends them.
_MUST_ENCODE = re.compile(r"[\x00-\x20\x7f<>\s]")
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def destination(href: str) -> str:
    """How the address ``href`` is written as a Markdown link destination (the canonical form).

    What a person writes: the address as typed -- letters such as "č" kept
    readable (an IRI, RFC 3987; the renderer percent-encodes them in the
    email's href, as a browser does), percent-encodings, "&", "=", "?", "#"
    and balanced parentheses kept as they are -- with only what CommonMark
    cannot hold in a plain destination percent-encoded (RFC 3986): spaces,
    control characters, "<" and ">". An address whose parentheses do not
    pair ("a)b") is written in CommonMark's ``<...>`` form, which holds them
    as they are. A backslash before punctuation and a "&" that would read as
    an HTML entity are backslash-escaped. So the renderer makes of the
    written form the href it makes of ``href`` itself (markdown-it's
    normalizeLink), and the parser reads back ``href`` but for the encodings.
    """
    written = _MUST_ENCODE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), href)
    written = _ENTITY.sub(r"\\&", re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", written))
    return written if _balanced(written) else f"<{written}>"


def _balanced(text: str) -> bool:
    """Whether the parentheses of ``text`` nest as CommonMark's plain destination needs (at most 32 deep)."""
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0 or depth > 32:
            return False
    return depth == 0


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


# What the editor cannot show, by the parser's token: the key names it for the note (catalog rt_what_<key>).
_OUTSIDE = {
    "blockquote_open": "quote",
    "heading_open": "heading",
    "lheading_open": "heading",
    "image": "picture",
    "fence": "code",
    "code_block": "code",
    "code_inline": "code",
    "hr": "rule",
    "html_block": "html",
    "html_inline": "html",
}


def _as_written(url: str) -> str:
    """A link's address as the text writes it (after CommonMark's escapes), not percent-encoded.

    markdown-it's default normalizeLink percent-encodes "č" and punycodes a
    host, which is right for the email's href but would make the editor write
    ``Poro%C4%8Dilo`` where the officer wrote ``Poročilo``: the editor keeps
    the written address, and the renderer encodes it when the email is made.
    """
    return url


def _recording(found: list[tuple[str, str]]) -> SimpleNamespace:
    """markdown-it's link helpers, noting each destination as written and as read (``(written, read)``)."""

    def parse_destination(string: str, pos: int, maximum: int) -> Any:
        result = link_helpers.parseLinkDestination(string, pos, maximum)
        if result.ok:
            found.append((string[pos : result.pos], result.str))
        return result

    return SimpleNamespace(
        parseLinkLabel=link_helpers.parseLinkLabel,
        parseLinkDestination=parse_destination,
        parseLinkTitle=link_helpers.parseLinkTitle,
    )


_MD = MarkdownIt("commonmark")  # images and raw HTML on: they must be seen to be named
_MD.normalizeLink = _as_written  # type: ignore[method-assign]
_DESTINATIONS: list[tuple[str, str]] = []  # filled by each _MD.parse, one parse at a time (_PARSING)
_PARSING = threading.Lock()
_MD.helpers = _recording(_DESTINATIONS)  # type: ignore[assignment]
_EDITOR_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")
_EDITOR_MD.normalizeLink = _as_written  # type: ignore[method-assign]


def editor_html(text: str) -> str:
    """The HTML a rich-text editor starts from: ``render.markdown.to_html`` with each address as written.

    The same parser options, the same "15." rule and the same sanitiser as the
    email; only a link's href keeps the written form (see ``_as_written``), so
    the editor writes back what the officer wrote.
    """
    from leadex_mail.render.markdown import _parse_source, sanitise

    return sanitise(_EDITOR_MD.render(_parse_source(text or ""))).strip()


def round_trip_trouble(text: str) -> str | None:
    """Why ``text`` cannot be edited in the rich view unchanged; None when it can.

    The editor is loaded with ``to_html(text)`` and saves ``to_markdown`` of its
    document, so a text is safe there only when that round trip gives it back
    exactly. The document the editor would make is built here from the same
    parser's tokens (the editor's schema keeps paragraphs, lists, bold, italics,
    links, line breaks). Returns a key naming the first construct the editor
    would drop or change: ``quote``, ``heading``, ``picture``, ``code``, ``rule``,
    ``html``, ``underscore`` (_x_ or __x__, written back as *x* / **x**),
    ``soft_break`` (a line break the editor would merge), or ``rewrite``
    (anything else it would write differently, e.g. an escape or entity).
    """
    text = (text or "").strip()
    if not text:
        return None
    from leadex_mail.render.markdown import _parse_source  # the editor's HTML is render's: the same "15." rule

    with _PARSING:
        _DESTINATIONS.clear()
        tokens = _MD.parse(_parse_source(text))
        written = list(_DESTINATIONS)
    for token in tokens:
        for t in (token, *(token.children or ())):
            if t.type in _OUTSIDE:
                return _OUTSIDE[t.type]
    for token in tokens:
        for t in token.children or ():
            if t.type in ("em_open", "strong_open") and t.markup.startswith("_"):
                return "underscore"
            if t.type == "softbreak":
                return "soft_break"
    try:
        again = to_markdown(_doc(tokens))
    except (RichTextError, ValueError):
        return "rewrite"
    return None if again in (text, _canonical_links(text, written, tokens)) else "rewrite"


def _canonical_links(text: str, found: list[tuple[str, str]], tokens: list[Token]) -> str:
    """``text`` with each link written as the editor writes it (``destination``, ``[...](...)``).

    An address hand-written another way that reads the same -- ``<...>``, a
    backslash escape, an entity, spaces inside the brackets, an autolink
    ``<https://...>`` -- is still a link the editor shows; saving the field
    writes it in the canonical form, which makes the same href.
    """
    spans: list[tuple[int, int, str, str]] = []  # (start, end, as the editor writes it, kind) in ``text``
    for as_written, read in found:  # each destination, in the order of the text
        pattern = re.compile(r"\(\s*" + re.escape(as_written) + r"\s*(?=[)\s\"'(])")
        _next_span(text, pattern, spans, "(" + destination(read), "destination")
    for token in tokens:
        children = token.children or []
        for i, t in enumerate(children[:-1]):
            if t.type == "link_open" and t.markup == "autolink" and children[i + 1].type == "text":
                href, shown = str(t.attrs.get("href", "")), children[i + 1].content
                written = href[len("mailto:") :] if href.startswith("mailto:") and not shown.startswith("mailto:") else href
                as_editor = _inline([{"type": "text", "text": shown, "marks": [{"type": "link", "attrs": {"href": href}}]}])
                _next_span(text, re.compile("<" + re.escape(written) + ">"), spans, as_editor, "autolink")
    out, cursor = [], 0
    for begin, finish, by, _ in sorted(spans):
        out.append(text[cursor:begin] + by)
        cursor = finish
    return "".join(out) + text[cursor:]


def _next_span(text: str, pattern: re.Pattern[str], spans: list[tuple[int, int, str, str]], by: str, kind: str) -> None:
    """Add the first match of ``pattern`` after the spans of ``kind`` found so far that overlaps no other span."""
    after = max((end for _, end, _, k in spans if k == kind), default=0)
    for found in pattern.finditer(text, after):
        if not any(start < found.end() and found.start() < end for start, end, _, _ in spans):
            spans.append((found.start(), found.end(), by, kind))
            return
def _doc(tokens: list[Token]) -> dict[str, Any]:
    """The ProseMirror document (as JSON) the editor builds from the HTML of ``tokens``."""
    root: dict[str, Any] = {"type": "doc", "content": []}
    stack = [root]
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open", "list_item_open"):
            node: dict[str, Any] = {"type": token.type[: -len("_open")], "content": []}
            if token.type == "ordered_list_open":
                node["attrs"] = {"order": int(token.attrs.get("start", 1) or 1)}
            stack[-1]["content"].append(node)
            stack.append(node)
        elif token.type in ("bullet_list_close", "ordered_list_close", "list_item_close"):
            stack.pop()
        elif token.type == "inline":
            stack[-1]["content"].append({"type": "paragraph", "content": _inline_nodes(token.children or [])})
    return root


def _inline_nodes(children: list[Token]) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for t in children:
        if t.type in ("strong_open", "em_open"):
            marks.append({"type": t.type[: -len("_open")]})
        elif t.type == "link_open":
            marks.append({"type": "link", "attrs": {"href": str(t.attrs.get("href", ""))}})
        elif t.type in ("strong_close", "em_close", "link_close"):
            kind = t.type[: -len("_close")]
            for i in range(len(marks) - 1, -1, -1):
                if marks[i]["type"] == kind:
                    del marks[i]
                    break
        elif t.type == "hardbreak":
            nodes.append({"type": "hard_break"})
        elif t.type == "text" and t.content:
            node: dict[str, Any] = {"type": "text", "text": t.content}
            if marks:
                node["marks"] = [dict(m) for m in marks]
            nodes.append(node)
    return nodes
