"""Link texts that say nothing about where they lead, found in the content at their field (WCAG 2.1 2.4.4).

The rule is ``linktext``'s, the one the send gate applies to the rendered
HTML (``gates.markup``); here it is decided from the edition itself, so
``check`` and the studio's live check report it at the field to correct
instead of the send refusing it later. Each link is judged with the context
the templates give it:

- a link in a text (``[VEČ](https://...)``): the paragraph, list item or
  heading it stands in;
- a "more here" link (``more:`` of a story, a study visit, an event): the
  templates close the text's last paragraph with it, so that paragraph is
  its context -- unless the text ends with a list or a quote, and then the
  link stands alone in a paragraph of its own;
- a button (``button:``, ``buttons:``): nothing but its own label.

A link without a label shows the language's "more here" ("VEČ TUKAJ"),
generic by definition. The phrases are those of every language the tool
knows, whatever the edition's language (an English phrase in a Slovenian
edition says no more).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel

from leadex_mail.content.mdsource import parse_source
from leadex_mail.content.linktext import MIN_CONTEXT_WORDS, context_words, generic_phrases, is_generic
from leadex_mail.content.model import Edition, Link
from leadex_mail.content.walk import FieldPath, leaves
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

CODE = "link.says_nothing"
NO_LABEL = "link.no_label"  # a "more here" link without a label of its own, where nothing around it names the target
HINT = (
    "name the target in the link text (e.g. 'Več o uvodnem sestanku', 'The kick-off meeting in Murcia'), "
    "or put the link at the end of a sentence that names it"
)
_MD = MarkdownIt("commonmark", {"html": False}).disable("image")  # read as render.markdown reads it
_PHRASES = generic_phrases()


def link_purpose_problems(edition: Edition, smap: SourceMap) -> list[Problem]:
    """An error for each link of ``edition`` whose text, with what stands around it, names no target."""
    problems = []
    for leaf in leaves(edition.model_dump(), Edition):
        if leaf.kind == "markdown" and isinstance(leaf.value, str):
            problems.extend(_text_links(leaf.value, leaf.path, smap))
    for path, link, body in _links(edition, ()):
        label = link.label or ""
        if label and not is_generic(label, _PHRASES):
            continue
        context = _closing_paragraph(body) if body is not None else ""
        if context_words(context, label) >= MIN_CONTEXT_WORDS:
            continue
        shown = repr(label) if label else "without a label (it shows the language's 'more here')"
        message = f"the link {shown} (to {link.url[:80]}) says nothing about where it leads, and nothing around it does"
        code, args = (CODE, {"value": label}) if label else (NO_LABEL, {})
        problems.append(smap.problem((*path, "label"), message, HINT, code=code, args=args))
    return problems


def _links(model: Any, path: FieldPath) -> Iterator[tuple[FieldPath, Link, str | None]]:
    """``(path, link, text it closes)`` for each ``Link`` under ``model``; the text is None for a button."""
    if isinstance(model, list):
        for index, item in enumerate(model):
            if isinstance(item, Link):  # a list of buttons: each stands alone
                yield (*path, index), item, None
            else:
                yield from _links(item, (*path, index))
        return
    if not isinstance(model, BaseModel):
        return
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Link):
            body = getattr(model, "body", None) if name == "more" else None
            yield (*path, name), value, (body or "") if name == "more" else None
        elif isinstance(value, (BaseModel, list)):
            yield from _links(value, (*path, name))


def _closing_paragraph(body: str) -> str:
    """The words of ``body``'s last paragraph when the body ends with one (the "more here" link joins it), else ''."""
    tokens = _MD.parse(parse_source(body))
    if len(tokens) < 3 or tokens[-1].type != "paragraph_close" or tokens[-1].level != 0 or tokens[-2].type != "inline":
        return ""  # ends with a list, a quote, a heading, or nothing: the link gets a paragraph of its own
    return _words(tokens[-2].children or [])


def _words(tokens: list[Token]) -> str:
    return " ".join(t.content for t in tokens if t.type in ("text", "code_inline"))


def _text_links(text: str, path: FieldPath, smap: SourceMap) -> Iterator[Problem]:
    """A problem for each generic link of the Markdown ``text`` whose paragraph, item or heading says nothing more."""
    for block in _MD.parse(parse_source(text)):
        children = block.children or []
        if block.type != "inline":
            continue
        for index, token in enumerate(children):
            if token.type != "link_open":
                continue
            label, href = _link_text(children, index), str(token.attrs.get("href", ""))
            if not is_generic(label, _PHRASES) or context_words(_words(children), label) >= MIN_CONTEXT_WORDS:
                continue
            message = f"the link {label!r} (to {href[:80]}) says nothing about where it leads, and nothing around it does"
            yield smap.problem_in(path, text, f"]({href}", message, HINT, code=CODE, args={"value": label})


def _link_text(children: list[Token], start: int) -> str:
    words, depth = [], 0
    for token in children[start + 1 :]:
        if token.type == "link_close" and depth == 0:
            break
        depth += token.type == "link_open"
        depth -= token.type == "link_close"
        if token.type in ("text", "code_inline"):
            words.append(token.content)
    return "".join(words)
