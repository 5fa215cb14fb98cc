"""Render layer: an issue edition compiled once to HTML and text.

    render_edition(issue, language, settings) -> RenderedEdition
    render_issue(issue, settings)             -> {language: RenderedEdition}
    check_issue(issue, settings)              -> [Problem]   (lint + render checks)

Jinja2 templates (``templates/email``) -> MJML -> mjml-python -> HTML, with
the rich-text fragments styled by css-inline before MJML (targeted inlining:
MJML's own styles, media queries and Outlook comments are never re-parsed).
The text part has its own template.
"""

from __future__ import annotations

from leadex_mail.render.check import check_issue
from leadex_mail.render.pipeline import render_edition, render_issue

__all__ = ["check_issue", "render_edition", "render_issue"]
