"""The content stylesheet, inlined into rich-text fragments with css-inline.

MJML writes its layout styles inline itself and keeps media queries and
Outlook fixes in ``<style>`` blocks that must stay as they are. What it
cannot style is the HTML we put inside ``<mj-text>`` (Markdown output:
links, paragraphs, lists). Only those fragments go through css-inline, one
by one, before MJML sees them: the document is never re-parsed, so the
doctype, conditional comments and ``[[LX:...]]`` placeholders are left
exactly as MJML wrote them, and each fragment is inlined once per process.
"""

from __future__ import annotations

from functools import lru_cache

import css_inline

from leadex_mail.errors import RenderError
from leadex_mail.render.palette import Palette


def content_css(colors: Palette) -> str:
    """The stylesheet for rich text drawn in ``colors``."""
    return (
        f"a {{ color: {colors.link}; text-decoration: underline; }}"
        "p { margin: 0 0 12px 0; }"
        "p:last-child { margin-bottom: 0; }"
        "ul, ol { margin: 0 0 12px 0; padding-left: 22px; }"
        "li { margin: 0 0 4px 0; }"
    )


def inline(fragment: str, colors: Palette) -> str:
    """``fragment`` with the content stylesheet written into its ``style`` attributes."""
    return _inline(fragment, content_css(colors))


@lru_cache(maxsize=4096)
def _inline(fragment: str, css: str) -> str:
    try:
        return css_inline.inline_fragment(fragment, css)
    except css_inline.InlineError as exc:
        raise RenderError(f"CSS inlining failed: {exc}", hint="check the content stylesheet in render/styles.py") from None
