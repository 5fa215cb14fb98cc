"""``render --out``: an edition written as files to open and inspect.

``<lang>.html`` must open in a browser straight from the disk, so its
``cid:`` image references (which only mean something inside a message) are
replaced by relative ``images/<file>`` paths and the processed images are
written to ``images/``. With ``images_url`` set, the HTML keeps the absolute
URLs and ``images/`` holds exactly the files to publish under
``{images_url}/{slug}/``. ``<lang>.eml`` is the complete preview message,
with its images embedded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.errors import IssueNotFound
from leadex_mail.render.pipeline import render_edition
from leadex_mail.render.result import RenderedEdition


@dataclass(frozen=True)
class WrittenEdition:
    """The files written for one edition."""

    language: str
    html: Path
    text: Path
    eml: Path
    images: tuple[Path, ...]


def browser_html(rendered: RenderedEdition) -> str:
    """The edition's HTML with ``cid:`` references turned into ``images/<file>`` paths."""
    html = rendered.html
    for image in rendered.inline_images:
        html = html.replace(f"cid:{image.cid}", f"images/{image.filename}")
    return html


def write_edition(issue: Issue, language: str, settings: Settings, out_dir: Path) -> WrittenEdition:
    """Render one edition and write ``<lang>.html``, ``<lang>.txt``, ``<lang>.eml`` and ``images/``."""
    from leadex_mail.delivery.message import build_preview

    rendered = render_edition(issue, language, settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, text_path = rendered.write(out_dir)
    html_path.write_text(browser_html(rendered), encoding="utf-8")
    eml_path = out_dir / f"{rendered.language}.eml"
    eml_path.write_bytes(build_preview(rendered, settings, issue.brand))
    images = _write_images(issue, rendered, settings, out_dir / "images")
    return WrittenEdition(rendered.language, html_path, text_path, eml_path, images)


def _write_images(issue: Issue, rendered: RenderedEdition, settings: Settings, folder: Path) -> tuple[Path, ...]:
    if rendered.inline_images:
        files = {image.filename: image.data for image in rendered.inline_images}
    else:
        files = _published_images(issue, rendered.language, settings)
    if files:
        folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return tuple(written)


def _published_images(issue: Issue, language: str, settings: Settings) -> dict[str, bytes]:
    """The processed images an edition shows by URL: the same edition compiled with them embedded."""
    embedded = render_edition(issue, language, dataclasses.replace(settings, images_url=None))
    return {image.filename: image.data for image in embedded.inline_images}


def write_editions(issue: Issue, settings: Settings, out_dir: Path, language: str | None = None) -> list[WrittenEdition]:
    """Write every edition of ``issue`` (or only ``language``'s) into ``out_dir``."""
    if language and language not in issue.editions:
        raise IssueNotFound(
            f"issue {issue.slug} has no {language!r} edition",
            hint=f"its editions are: {', '.join(sorted(issue.editions))}",
        )
    languages = [language] if language else list(issue.editions)
    return [write_edition(issue, lang, settings, out_dir) for lang in languages]
