"""What axe cannot see in an edition's HTML, read with the standard library's parser.

axe-core judges a page as a web page. In an email these matter too, and axe
does not report them (or only as best practice):

- ``lang`` on ``<html>``, and the edition's language (WCAG 3.1.1): a screen
  reader picks its voice from it. Error when missing or different.
- a non-empty ``<title>`` (WCAG 2.4.2): some mail programs and screen
  readers announce it when the message opens. Error.
- heading order: a level may go deeper by one step only (h2 -> h4 skips
  one), which is how screen reader users move through a newsletter. Warning.
- layout tables carry ``role="presentation"`` (WCAG 1.3.1): otherwise a
  screen reader announces "table with 3 rows" for every section. A table
  with ``<th>`` or ``<caption>`` is a data table and is left alone. Error.
- link texts that say nothing out of context ("here", "tukaj", "VEČ TUKAJ"
  alone): see ``linktext`` for the rule. Error.
- images of text marked decorative (``alt=""``): most mail programs block
  pictures until asked, and then the words in a banner, a logo or a
  button-picture are lost. A picture is taken to be one when it is
  banner-shaped (at least 3:1) or its file name says so (logo, banner,
  title, button, ...). Warning, as a program cannot be sure. An ``alt``
  that is a file name ("IMG_0042.jpg") is a warning too.

The parser builds a small element tree (void elements, implied ``</p>``,
stray end tags tolerated); conditional comments for Outlook stay comments.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

from leadex_mail.content.mailrules import TEXT_IMAGE_NAME, TEXT_IMAGE_RATIO
from leadex_mail.counts import counted
from leadex_mail.gates.findings import Finding
from leadex_mail.gates.linktext import MIN_CONTEXT_WORDS, context_words, generic_phrases, is_generic

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
# Start tags that end an open <p> (HTML's implied end tag).
CLOSES_P = frozenset({"address", "blockquote", "div", "dl", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                      "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul"})  # fmt: skip
# Where a link's context is read: WCAG's "programmatically determined link context".
CONTEXT = frozenset({"p", "li", "td", "th", "dd", "dt", "blockquote", "figcaption", "caption", "h1", "h2", "h3", "h4", "h5", "h6"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}
_TEXT_IMAGE_NAME = TEXT_IMAGE_NAME  # the content check applies the same rule at the picture's field (content.mailrules)
_FILE_NAME = re.compile(r"^\S+\.(png|jpe?g|gif|webp|svg|bmp)$|^(img|dsc|image|photo)[_-]?\d+", re.IGNORECASE)

ImageSize = Callable[[str], tuple[int, int] | None]


@dataclass
class Element:
    """One element of the parsed tree: tag, attributes, children (elements and text)."""

    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def text(self, *, alt: bool = True) -> str:
        """The text inside, with each image's alt text in its place (as a screen reader reads it)."""
        out = io.StringIO()
        self._write_text(out, alt)
        return " ".join(out.getvalue().split())

    def _write_text(self, out: io.StringIO, alt: bool) -> None:
        if self.tag == "img" and alt:
            out.write(" " + self.attrs.get("alt", "") + " ")
        for child in self.children:
            if isinstance(child, str):
                out.write(child)
            else:
                child._write_text(out, alt)

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        """This element and every element below it (of ``tag``), in document order."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(tag)

    def closest(self, tags: frozenset[str]) -> Element | None:
        """The nearest ancestor whose tag is in ``tags``."""
        node = self.parent
        while node is not None and node.tag not in tags:
            node = node.parent
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CLOSES_P and any(e.tag == "p" for e in self.stack):
            self._close("p")
        node = Element(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._close(tag)

    def handle_endtag(self, tag: str) -> None:
        self._close(tag)

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def _close(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return  # an end tag with nothing open to close is ignored, as browsers do


def parse(html: str) -> Element:
    """The element tree of ``html`` (the ``#document`` node)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def check_markup(html: str, language: str, *, image_size: ImageSize | None = None, more_labels: tuple[str, ...] = ()) -> list[Finding]:
    """Every finding of this module in ``html``, the ``language`` edition's HTML.

    ``image_size(src)`` gives a picture's pixel size (None when unknown);
    ``more_labels`` are the catalogs' "more here" texts, generic by definition.
    """
    root = parse(html)
    findings = _lang_findings(root, language)
    findings += _title_findings(root)
    findings += _heading_findings(root)
    findings += _table_findings(root)
    findings += _link_findings(root, generic_phrases(more_labels))
    findings += _image_findings(root, image_size or (lambda src: None))
    return findings


def _lang_findings(root: Element, language: str) -> list[Finding]:
    html = next(root.iter("html"), None)
    lang = (html.attrs.get("lang", "") if html else "").strip()
    if not lang:
        return [Finding("markup", "error", "<html> has no lang attribute: screen readers cannot pick the voice", f'the template sets <html lang="{language}">', "html-lang")]
    if lang.split("-")[0].lower() != language.split("-")[0].lower():
        return [Finding("markup", "error", f'<html lang="{lang}"> but this is the {language} edition', None, "html-lang")]
    return []


def _title_findings(root: Element) -> list[Finding]:
    title = next(root.iter("title"), None)
    if title is None or not title.text():
        return [Finding("markup", "error", "the HTML has no <title> (WCAG 2.4.2)", "the template puts the subject in <title>", "document-title")]
    return []


def _heading_findings(root: Element) -> list[Finding]:
    found, previous = [], 0
    for node in root.iter():
        level = HEADINGS.get(node.tag)
        if level is None:
            continue
        if previous and level > previous + 1:
            found.append(
                Finding(
                    "markup", "warning",
                    f"heading level skips from h{previous} to h{level} at {node.text()[:60]!r}",
                    "screen reader users move by heading level; use the next level down", "heading-order",
                )
            )  # fmt: skip
        previous = level
    return found


def _table_findings(root: Element) -> list[Finding]:
    bad = 0
    for table in root.iter("table"):
        if table.attrs.get("role", "").strip().lower() in ("presentation", "none"):
            continue
        if next(table.iter("th"), None) is not None or next(table.iter("caption"), None) is not None:
            continue  # a data table
        bad += 1
    if not bad:
        return []
    return [
        Finding(
            "markup", "error",
            f"{counted(bad, 'layout table')} without role=\"presentation\": screen readers announce them as data tables (WCAG 1.3.1)",
            "add role=\"presentation\" to every layout <table> in the templates", "layout-table",
        )
    ]  # fmt: skip


def _link_findings(root: Element, phrases: frozenset[str]) -> list[Finding]:
    found = []
    for link in root.iter("a"):
        if not link.attrs.get("href"):
            continue
        label = link.attrs.get("aria-label", "").strip() or link.text()
        if not is_generic(label, phrases):
            continue
        context = link.closest(CONTEXT)
        around = context.text() if context is not None else ""
        if context_words(around, label) >= MIN_CONTEXT_WORDS:
            continue
        found.append(
            Finding(
                "markup", "error",
                f"the link {label!r} (to {link.attrs['href'][:80]}) says nothing about where it leads, and nothing around it does",
                "name the target in the link text (e.g. 'Več o uvodnem sestanku', 'The kick-off meeting in Murcia'), "
                "or put the link at the end of a sentence that names it",
                "link-text", label,
            )
        )  # fmt: skip
    return found


def _image_findings(root: Element, image_size: ImageSize) -> list[Finding]:
    found = []
    for img in root.iter("img"):
        if "alt" not in img.attrs:
            continue  # axe's image-alt reports it
        alt, src = img.attrs["alt"].strip(), img.attrs.get("src", "")
        name = src.rsplit("/", 1)[-1].split("?")[0]
        if not alt and _looks_like_text(name, src, image_size):
            found.append(
                Finding(
                    "markup", "warning",
                    f"the picture {name!r} is marked decorative (empty alt) but looks like an image of text",
                    "if it has words in it, write them as its alt text: most mail programs hide pictures until asked", "image-of-text", name,
                )
            )  # fmt: skip
        elif _FILE_NAME.match(alt):
            found.append(Finding("markup", "warning", f"the alt text of {name!r} is a file name ({alt!r})", "say what the picture shows", "alt-file-name", name))
    return found


def _looks_like_text(name: str, src: str, image_size: ImageSize) -> bool:
    if _TEXT_IMAGE_NAME.search(name):
        return True
    size = image_size(src)
    return bool(size and size[1] and size[0] / size[1] >= TEXT_IMAGE_RATIO)


def image_sizes(resources: Mapping[str, tuple[str, bytes]]) -> ImageSize:
    """An ``ImageSize`` reading pixel sizes from the message's own images (Pillow, header only)."""
    from PIL import Image, UnidentifiedImageError

    def size(src: str) -> tuple[int, int] | None:
        found = resources.get(src)
        if found is None:
            return None
        try:
            with Image.open(io.BytesIO(found[1])) as im:
                return im.size
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            return None

    return size
