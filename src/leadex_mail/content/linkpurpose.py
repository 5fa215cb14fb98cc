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
- a button (``button:``, ``buttons:``): nothing but its own label;
- a partner's name when the partner has an address: the line "Country –
  Organisation" it stands in;
- an interview's name (``person, role (organisation)``): the interview's
  line, with the words before it and the summary after it;
- a picture that is a link (``link:`` of a picture, an interview's picture,
  which leads to the interview): its alt text alone, in a cell of its own.
  A picture link without an alt text (one marked decorative) has no name
  at all: a screen reader reads its bare address (axe's ``link-name``).

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
from leadex_mail.content.model import Edition, Image, Interview, Link, Partner
from leadex_mail.content.walk import FieldPath, leaves
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

CODE = "link.says_nothing"
NO_LABEL = "link.no_label"  # a "more here" link without a label of its own, where nothing around it names the target
PICTURE_LINK_NO_ALT = "picture.link_no_alt"  # a picture that is a link, with no alt text: the link has no name
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
    for path, label, url, context in _named_links(edition, ()):
        if is_generic(label, _PHRASES) and context_words(context, label) < MIN_CONTEXT_WORDS:
            message = f"the link {label!r} (to {url[:80]}) says nothing about where it leads, and nothing around it does"
            problems.append(smap.problem(path, message, HINT, code=CODE, args={"value": label}))
    for path, image, url in _picture_links(edition, ()):
        if image.decorative and not (image.alt or "").strip():  # not decorative: lint says "no alt text" (picture.no_alt)
            message = f"the picture {image.src!r} is a link (to {url[:80]}) without an alt text: a screen reader reads the bare address"
            hint = "write what the link leads to as the picture's alt text (and untick decorative)"
            problems.append(smap.problem((*path, "alt"), message, hint, code=PICTURE_LINK_NO_ALT, args={"value": image.src}))
        elif is_generic(image.alt, _PHRASES):  # the alt text is the link's whole text, alone in its cell
            message = f"the link {image.alt!r} (the picture {image.src!r}, to {url[:80]}) says nothing about where it leads"
            problems.append(smap.problem((*path, "alt"), message, HINT, code=CODE, args={"value": image.alt}))
    return problems


def interview_name(item: Interview) -> str:
    """``person, role (organisation)`` as far as given: the interview's link text.

    The one definition: ``render.context`` draws the link with it, so the text
    judged here is the text the reader gets.
    """
    name = item.person
    if item.role:
        name += f", {item.role}"
    if item.organisation:
        name += f" ({item.organisation})"
    return name


def _named_links(model: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, str, str]]:
    """``(field to correct, link text, address, context)`` of each link whose text is another field's value.

    A partner with an address links its name (context: its line "Country –
    Organisation"); an interview links its name (context: the interview's
    line, the words before the name and the summary after it).
    """
    for where, item in _models(model, path):
        if isinstance(item, Partner) and item.url:
            yield (*where, "organisation"), item.organisation, item.url, f"{item.country} {item.organisation}"
        elif isinstance(item, Interview):
            name = interview_name(item)
            summary = _words([t for b in _MD.parse(parse_source(item.summary)) for t in (b.children or [])])
            yield (*where, "person"), name, item.url, f"{item.lead or ''} {name} {summary}"


def _picture_links(model: Any, path: FieldPath) -> Iterator[tuple[FieldPath, Image, str]]:
    """``(path, picture, address)`` of each picture drawn as a link: its own ``link``, or an interview's picture.

    An interview's picture leads to the interview (the template draws it so, whatever its own ``link``).
    """
    theirs = {id(item.image) for _, item in _models(model, path) if isinstance(item, Interview)}
    for where, item in _models(model, path):
        if isinstance(item, Interview) and item.image is not None:
            yield (*where, "image"), item.image, item.url
        elif isinstance(item, Image) and item.link and id(item) not in theirs:
            yield where, item, item.link


def _models(model: Any, path: FieldPath) -> Iterator[tuple[FieldPath, BaseModel]]:
    """Every model object under ``model`` (itself included) with its path, depth first."""
    if isinstance(model, list):
        for index, item in enumerate(model):
            yield from _models(item, (*path, index))
        return
    if not isinstance(model, BaseModel):
        return
    yield path, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, (BaseModel, list)):
            yield from _models(value, (*path, name))


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
