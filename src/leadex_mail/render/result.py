"""What rendering produces: one compiled edition, personalised cheaply per recipient.

The render layer compiles an edition once (Jinja2 -> MJML -> HTML, and the
text template). Values that differ per recipient appear in the output as
placeholders and are filled in by ``personalise`` with plain string
replacement, never by compiling again.
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

# Placeholders per recipient. They are plain ASCII, contain nothing that HTML
# escaping, CSS inlining or URL quoting would change, and the content loader
# refuses them in issue files.
PLACEHOLDERS: dict[str, str] = {
    "name": "[[LX:NAME]]",
    "unsubscribe_url": "[[LX:UNSUBSCRIBE_URL]]",
    "preferences_url": "[[LX:PREFERENCES_URL]]",
    "view_url": "[[LX:VIEW_URL]]",
    # Not personal, but it follows public_url, which the render cache does not key on.
    "privacy_url": "[[LX:PRIVACY_URL]]",
}


@dataclass(frozen=True)
class InlineImage:
    """An image to embed as a ``multipart/related`` part, referenced as ``cid:<cid>``."""

    cid: str
    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class RenderedEdition:
    """One edition of an issue, compiled: HTML and text with placeholders in them."""

    slug: str
    language: str
    subject: str
    preheader: str
    html: str
    text: str
    content_hash: str
    inline_images: tuple[InlineImage, ...] = field(default=())

    def personalise(self, values: Mapping[str, str]) -> tuple[str, str]:
        """Return ``(html, text)`` with every placeholder replaced by its value.

        Values are HTML-escaped for the HTML part; missing values become "".
        """
        html, text = self.html, self.text
        for key, marker in PLACEHOLDERS.items():
            value = values.get(key, "")
            html = html.replace(marker, _html.escape(value, quote=True))
            text = text.replace(marker, value)
        return html, text

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write ``<lang>.html`` and ``<lang>.txt`` into ``out_dir``; return both paths."""
        from leadex_mail.files import make_folder, write_atomic

        make_folder(out_dir)
        return write_atomic(out_dir / f"{self.language}.html", self.html), write_atomic(out_dir / f"{self.language}.txt", self.text)
