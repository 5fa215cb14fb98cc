"""``check``: the content's lint findings plus what only rendering reveals.

Rendering adds: HTML over 90 KB per edition (Gmail clips messages at about
102 KB and hides the rest, unsubscribe link included), brand colours whose
text pairs miss WCAG AA contrast, and any edition that fails to render.
The brand file's missing controller fields (the privacy notice every
footer links to cannot name who keeps the data) are warnings too.

``gates.readiness.ready_to_send`` is the one place that decides whether an
issue may go to a list: these findings plus those of ``check --deep`` (which
needs delivery's message building, so it lives above delivery, in ``gates``).
"""

from __future__ import annotations

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.errors import Problem, RenderError
from leadex_mail.render.palette import AA_TEXT, failing_pairs, palette
from leadex_mail.render.pipeline import render_edition

MAX_HTML_BYTES = 90 * 1024


def check_issue(issue: Issue, settings: Settings) -> list[Problem]:
    """Every problem worth a look before sending ``issue``: lint, size, contrast, render errors."""
    # Imported here: `import leadex_mail.render` stays light for the delivery and web layers.
    from leadex_mail.content.lint import lint_issue, privacy_findings

    problems = list(lint_issue(issue))
    for language in issue.editions:
        problems.extend(_edition_problems(issue, language, settings))
    problems.extend(_contrast_problems(issue))
    problems.extend(privacy_findings(settings))  # the default brand's controller, for the privacy notice at /privacy
    return problems


def _edition_problems(issue: Issue, language: str, settings: Settings) -> list[Problem]:
    from leadex_mail.content.loader import issue_edition_path

    file = str(issue_edition_path(issue, language))
    try:
        rendered = render_edition(issue, language, settings)
    except RenderError as exc:
        return [Problem(file, None, None, "", f"the {language} edition does not render: {exc.message}", exc.hint, code="render.failed")]
    size = len(rendered.html.encode("utf-8"))
    if size <= MAX_HTML_BYTES:
        return []
    return [
        _warning(
            file,
            f"the rendered HTML is {size / 1024:.0f} KB (over {MAX_HTML_BYTES // 1024} KB); Gmail clips messages at about 102 KB",
            "shorten the text or move sections to the website",
            "edition.too_big",
        )
    ]


def _contrast_problems(issue: Issue) -> list[Problem]:
    from leadex_mail.content.loader import issue_locations

    brand_file = issue_locations(issue).brand_file
    file = str(brand_file) if brand_file else "brand.yaml"
    return [
        _warning(
            file,
            f"{what}: contrast {ratio}:1 is under WCAG AA ({AA_TEXT}:1)",
            "choose darker brand colours (primary_color, text_color) or a lighter background_color",
            "brand.contrast",
        )
        for what, ratio in failing_pairs(palette(issue.brand))
    ]


def _warning(file: str, message: str, hint: str, code: str) -> Problem:
    """A warning about a whole file (rendering knows no line numbers)."""
    return Problem(file, None, None, "", message, hint, "warning", code=code)


def summary(problems: list[Problem]) -> str:
    """'3 problems (1 error, 2 warnings)' for the end of ``check``'s report."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    return f"{_count(len(problems), 'problem')} ({_count(errors, 'error')}, {_count(warnings, 'warning')})"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
