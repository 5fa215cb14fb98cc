"""``render --out``: an edition written as files to open and inspect.

``<lang>.html`` must open in a browser straight from the disk, so its
``cid:`` image references (which only mean something inside a message) are
replaced by relative ``images/<file>`` paths and the processed images are
written to ``images/``. With ``images_url`` set, the HTML keeps the absolute
URLs and ``images/`` holds exactly the files to publish under
``{images_url}/{slug}/``. ``<lang>.eml`` is the complete preview message,
with its images embedded: built one layer up (``delivery.message.build_preview``)
and passed in as ``message``, so render never imports delivery.

The per-recipient links (view in browser, unsubscribe, preferences) belong
to nobody in a rendered copy. In ``<lang>.html`` and ``<lang>.txt`` they lead
to ``<lang>-links.html``, written beside them, which says in the edition's
language what each does in the sent newsletter (and where the issue will be
on the web); the text file names it by its ``file://`` address, since a
relative path means nothing in a text editor. The ``.eml`` keeps web
addresses, which ``serve`` answers with a page saying it was a preview.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.errors import IssueNotFound
from leadex_mail.files import make_folder, write_atomic
from leadex_mail.render.pipeline import render_edition
from leadex_mail.render.result import RenderedEdition


@dataclass(frozen=True)
class WrittenEdition:
    """The files written for one edition."""

    language: str
    html: Path
    text: Path
    eml: Path | None  # None when no message builder was given
    images: tuple[Path, ...]
    links: Path | None = None  # <lang>-links.html: where the copy's personal links lead


LINKS_PAGE = "{language}-links.html"
LINKS_TEMPLATE = "links.html.j2"


def local_link_values(page: str, privacy_url: str = "") -> dict[str, str]:
    """Placeholder values that send every per-recipient link to the explanatory ``page`` (relative or absolute).

    ``privacy_url`` (the same for everyone, so not personal) stays the real notice.
    """
    values = {"name": "", "view_url": f"{page}#view", "unsubscribe_url": f"{page}#unsubscribe", "preferences_url": f"{page}#preferences"}
    return {**values, "privacy_url": privacy_url}


def browser_html(rendered: RenderedEdition, html: str | None = None) -> str:
    """The edition's HTML (or ``html``, a personalised copy of it) with ``cid:`` references turned into ``images/<file>`` paths."""
    html = rendered.html if html is None else html
    for image in rendered.inline_images:
        html = html.replace(f"cid:{image.cid}", f"images/{image.filename}")
    return html


def write_edition(
    issue: Issue, language: str, settings: Settings, out_dir: Path, *, message: Callable[[RenderedEdition], bytes] | None = None
) -> WrittenEdition:
    """Render one edition and write ``<lang>.html``, ``<lang>.txt``, ``images/`` and, with ``message``, ``<lang>.eml``.

    ``message`` turns the rendered edition into a complete RFC 5322 message
    (``delivery.message.build_preview``).
    """
    from leadex_mail import links

    rendered = render_edition(issue, language, settings)
    make_folder(out_dir)
    page = out_dir / LINKS_PAGE.format(language=rendered.language)
    html_path, text_path = out_dir / f"{rendered.language}.html", out_dir / f"{rendered.language}.txt"
    privacy = links.privacy_url(settings, rendered.language)
    # Each file replaces the old one in one step: a full disk leaves the last complete copy, never half of one.
    write_atomic(html_path, browser_html(rendered, rendered.personalise(local_link_values(page.name, privacy))[0]))
    write_atomic(text_path, rendered.personalise(local_link_values(page.resolve().as_uri(), privacy))[1])
    write_atomic(page, links_page(issue, rendered.language, settings, back=html_path.name))
    eml_path = None
    if message is not None:
        eml_path = out_dir / f"{rendered.language}.eml"
        write_atomic(eml_path, message(rendered))
    images = _write_images(issue, rendered, settings, out_dir / "images")
    return WrittenEdition(rendered.language, html_path, text_path, eml_path, images, page)


def links_page(issue: Issue, language: str, settings: Settings, *, back: str) -> str:
    """The page a rendered copy's personal links lead to, in the edition's language; ``back`` links to the copy."""
    from leadex_mail import links
    from leadex_mail.render.context import RenderHelpers
    from leadex_mail.render.pipeline import environment, templates_dir, templates_version

    edition = issue.edition(language)
    context = RenderHelpers(issue, edition, settings).context()
    template = environment(templates_dir(), templates_version()).get_template(LINKS_TEMPLATE)
    return template.render(**context, archive_url=links.archive_url(settings, issue.slug, edition.language), back=back)


def _write_images(issue: Issue, rendered: RenderedEdition, settings: Settings, folder: Path) -> tuple[Path, ...]:
    if rendered.inline_images:
        files = {image.filename: image.data for image in rendered.inline_images}
    else:
        files = _published_images(issue, rendered.language, settings)
    if files:
        make_folder(folder)
    written = []
    for name, data in sorted(files.items()):
        written.append(write_atomic(folder / name, data))
    return tuple(written)


def _published_images(issue: Issue, language: str, settings: Settings) -> dict[str, bytes]:
    """The processed images an edition shows by URL: the same edition compiled with them embedded."""
    embedded = render_edition(issue, language, dataclasses.replace(settings, images_url=None))
    return {image.filename: image.data for image in embedded.inline_images}


def write_editions(
    issue: Issue, settings: Settings, out_dir: Path, language: str | None = None, *, message: Callable[[RenderedEdition], bytes] | None = None
) -> list[WrittenEdition]:
    """Write every edition of ``issue`` (or only ``language``'s) into ``out_dir`` (``message``: see ``write_edition``)."""
    if language and language not in issue.editions:
        raise IssueNotFound(
            f"issue {issue.slug} has no {language!r} edition",
            hint=f"its editions are: {', '.join(sorted(issue.editions))}",
        )
    languages = [language] if language else list(issue.editions)
    return [write_edition(issue, lang, settings, out_dir, message=message) for lang in languages]
