"""What the templates see: the edition plus helpers bound to one render.

The templates do layout only. Everything that needs code (Markdown, image
processing, catalogs, dates, link numbering in the text part) is a helper
here, created per render so that the collected inline images and the link
numbers belong to exactly one compile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from pydantic import BaseModel

from leadex_mail.config import Settings
from leadex_mail.content.linkpurpose import interview_name
from leadex_mail.content.model import Edition, Image, Interview, Issue, Link
from leadex_mail.render import i18n, markdown, styles
from leadex_mail.render.images import BODY_WIDTH, ProcessedImage, process_image
from leadex_mail.render.palette import DarkPalette, Palette, dark_palette, palette
from leadex_mail.render.result import PLACEHOLDERS

PREHEADER_FILLER = 40  # repetitions; ~0.7 KB, enough for the longest preview lines
_CLOSING = (",", ".", ";", ":", "!", "?", ")")


@dataclass(frozen=True)
class ImageView:
    """An image as the template places it: final ``src``, alt text, display width."""

    src: str
    alt: str
    width: int | None
    link: str | None


def is_remote(src: str) -> bool:
    """True for images given by URL rather than as a file of the issue."""
    return src.startswith(("https://", "http://"))


def local_image_paths(issue: Issue, edition: Edition) -> list[Path]:
    """Files of the issue folder that ``edition`` (and the brand) show."""
    return [Path(issue.folder) / img.src for img in _images_of(edition, issue) if not is_remote(img.src)]


def _images_of(edition: Edition, issue: Issue) -> list[Image]:
    """Every Image object reachable from the edition and the brand."""
    found: list[Image] = []

    def walk(value: Any) -> None:
        if isinstance(value, Image):
            found.append(value)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(edition)
    walk(issue.brand)
    return found


@dataclass
class RenderHelpers:
    """Helpers for one compile of one edition (HTML and text templates)."""

    issue: Issue
    edition: Edition
    settings: Settings
    images: dict[str, ProcessedImage] = field(default_factory=dict)
    links: markdown.LinkCollector = field(default_factory=markdown.LinkCollector)
    colors: Palette = field(init=False)
    dark: DarkPalette = field(init=False)
    strings: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.colors = palette(self.issue.brand)
        self.dark = dark_palette(self.issue.brand)
        self.strings = i18n.catalog(self.edition.language)

    # -- strings and dates -------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """The catalog string ``key`` in the edition's language, formatted with ``values``."""
        text = self.strings[key]
        return text.format(**values) if values else text

    def month_year(self) -> str:
        """The edition's month and year, e.g. 'april 2026'."""
        return i18n.month_year(self.edition.date, self.edition.language)

    def when(self, item: Any) -> str:
        """An event's day or range of days in the edition's locale."""
        return i18n.date_range(item.date, item.end_date, self.edition.language)

    def label(self, link: Link) -> str:
        """A link's label, or the catalog's "more here"."""
        return link.label or self.t("more_here")

    def funding(self) -> str:
        """The brand's funding statement in this language (English, then any, as fallback)."""
        funding = self.issue.brand.funding
        return funding.get(self.edition.language) or funding.get("en") or next(iter(funding.values()), "")

    # -- HTML --------------------------------------------------------------
    def preheader_filler(self) -> Markup:
        """Invisible characters to pad the inbox preview line after the preheader."""
        return Markup("&#847;&zwnj;&nbsp;" * PREHEADER_FILLER)

    def styled(self, html: str) -> Markup:
        """Rich-text HTML with the content stylesheet inlined (links, paragraphs, lists)."""
        return Markup(styles.inline(html, self.colors))

    def md(self, text: str) -> Markup:
        """Markdown to sanitised, styled HTML."""
        return self.styled(markdown.to_html(text))

    def md_more(self, text: str, more: Link | None) -> Markup:
        """Markdown with the "more here" link closing its last paragraph."""
        html = markdown.to_html(text)
        if more is None:
            return self.styled(html)
        label = self.label(more)
        stop = "" if label.endswith(_CLOSING) else "."
        link = f'<a href="{escape(more.url)}"><strong>{escape(label)}</strong></a><strong>{stop}</strong>'
        return self.styled(markdown.append_inline(html, link))

    def interview_html(self, item: Interview) -> Markup:
        """``{lead} <a>{person}, {role} ({organisation})</a> {summary}`` as HTML."""
        link = Markup('<a href="{}"><strong>{}</strong></a>').format(item.url, interview_name(item))
        summary = Markup(markdown.to_inline_html(item.summary))
        # _join works on plain str: mixing str and Markup would escape the HTML twice
        return self.styled(_join(str(escape(item.lead or "")), str(link), str(summary)))

    def img(self, image: Image, slot: int = BODY_WIDTH) -> ImageView:
        """Where ``image`` is fetched from and how wide it is drawn in a ``slot`` px column."""
        alt = "" if image.decorative and not image.alt else image.alt
        if is_remote(image.src):
            return ImageView(image.src, alt, None, image.link)
        processed = process_image(Path(self.issue.folder) / image.src, slot)
        width = min(slot, processed.width)
        if self.settings.images_url:
            src = f"{self.settings.images_url.rstrip('/')}/{self.issue.slug}/{processed.filename}"
        else:
            self.images[processed.cid] = processed
            src = f"cid:{processed.cid}"
        return ImageView(src, alt, width, image.link)

    # -- text --------------------------------------------------------------
    def md_text(self, text: str, more: Link | None = None) -> str:
        """Markdown to plain text with numbered links, "more here" appended."""
        plain = markdown.to_text(text, self.links)
        if more is not None:
            label = self.label(more)
            stop = "" if label.endswith(_CLOSING) else "."
            plain += f" {label} {self.links.ref(more.url)}{stop}"
        return plain

    def interview_text(self, item: Interview) -> str:
        """The interview line of the text part."""
        name = f"{interview_name(item)} {self.links.ref(item.url)}"
        return _join(item.lead or "", name, markdown.to_text(item.summary, self.links))

    def ref(self, url: str) -> str:
        """``[n]`` for a link of the text part."""
        return self.links.ref(url)

    def section_links(self) -> list[tuple[int, str]]:
        """Links first used since the previous call (listed under each section)."""
        return self.links.flush()

    def context(self) -> dict[str, Any]:
        """The variables both templates render with."""
        return {
            "edition": self.edition,
            "brand": self.issue.brand,
            "lang": self.edition.language,
            "colors": self.colors,
            "dark": self.dark,
            "ph": PLACEHOLDERS,
            "h": self,
        }


def _join(lead: str, name: str, summary: str) -> str:
    """Words around a name, with no space before closing punctuation."""
    text = f"{lead} {name}" if lead else name
    if summary:
        text += summary if summary.startswith(_CLOSING) else f" {summary}"
    return text
