"""``ready_to_send``: the one place that decides whether an issue may go to a list.

It runs what ``check`` runs (``render.check.check_issue``: lint, render,
size, brand contrast) and, unless turned off, what ``check --deep`` runs on
the sample message (``gates.deep``). Any error-level finding refuses the
issue unless ``force``. It lives here, above delivery, because the deep
checks need delivery's message building; ``render.check`` keeps the plain
checks, which need only the files and the render.

Deep checks by default: ``send`` is the last moment to catch a message
that fails contrast in dark mode, scores as spam or will be clipped, and an
officer who skipped ``check --deep`` is exactly who needs it. It costs
seconds (a browser and SpamAssassin start) once per ``send``, nothing
against a campaign. ``send --no-deep`` or ``send_deep_check = false`` turn
it off; on a machine without Chromium or SpamAssassin the parts that cannot
run are skipped with a notice rather than blocking a send the plain checks
allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.content.linkpurpose import CODE as LINK_SAYS_NOTHING
from leadex_mail.content.linkpurpose import NO_LABEL, PICTURE_LINK_NO_ALT
from leadex_mail.content.linktext import normalise
from leadex_mail.errors import IssueNotReady, Problem
from leadex_mail.gates.findings import DeepReport, Finding
from leadex_mail.render import i18n
from leadex_mail.render.check import check_issue, summary


@dataclass(frozen=True)
class Readiness:
    """What the checks found in an issue that is about to be sent.

    ``errors`` are what ``send`` refuses (non-empty only when the send was
    forced); ``warnings`` are shown before the confirmation; ``notices``
    say what could not be checked (SpamAssassin missing, ...) or is left
    to others (DKIM signing by the relay).
    """

    slug: str
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    notices: tuple[str, ...] = ()  # the command line's words
    notice_facts: tuple[Notice, ...] = ()  # the same notices as facts, for a face that says them in its own words


@dataclass(frozen=True)
class Notice:
    """One notice of the checks as facts: ``code`` (the finding's ``check.rule``: ``conformance.dkim``,
    ``spam.spamassassin``, ``accessibility.chromium``, ``setup.render``, ...), the edition's ``language`` (None: the
    whole issue) and the core's own words (``text``: message and hint, English, for the person who runs leadex-mail)."""

    code: str
    language: str | None
    text: str


def ready_to_send(issue: Issue, settings: Settings, *, force: bool = False, deep: bool | None = None) -> Readiness:
    """Run the checks of ``check`` (and of ``check --deep`` unless ``deep`` is False) on ``issue``; refuse it on any error.

    ``deep`` None follows ``settings.send_deep_check``. Raises
    ``IssueNotReady`` carrying every finding (errors and warnings, each with
    its file and a hint) unless ``force``. Test sends do not call this:
    sending a draft to oneself is what they are for.
    """
    deep = settings.send_deep_check if deep is None else deep
    problems = check_issue(issue, settings)
    notices: list[str] = []
    facts: list[Notice] = []
    if deep:
        from leadex_mail.gates.deep import deep_check

        report = deep_check(issue, settings, require_browser=False)
        problems += deep_problems_beyond(report, problems)
        notices += [_notice(n.message, n.hint) for n in report.notices]
        notices += [_notice(f"{e.language}: {f.message}", f.hint) for e in report.editions for f in e.findings if f.severity == "notice"]
        facts += [Notice(n.code, _render_language(n), _notice(n.message, n.hint)) for n in report.notices]
        facts += [Notice(f.code, e.language, _notice(f.message, f.hint)) for e in report.editions for f in e.findings if f.severity == "notice"]
    errors = tuple(p for p in problems if p.severity == "error")
    warnings = tuple(p for p in problems if p.severity != "error")
    if errors and not force:
        again = f"leadex-mail check {issue.slug}" + (" --deep" if deep else "")
        raise IssueNotReady(
            f"{issue.slug} is not ready to send: {summary(problems)}",
            problems,
            hint=f"correct the errors above (`{again}` lists them again); a test send still works; to send anyway, add --force",
        )
    return Readiness(issue.slug, errors, warnings, tuple(dict.fromkeys(notices)), tuple(dict.fromkeys(facts)))


def deep_problems_beyond(report: DeepReport, problems: list[Problem]) -> list[Problem]:
    """The deep check's problems, less the link texts ``problems`` (the content check's) already placed at their field.

    The content check applies the gate's link-text rule to each link of the
    edition (``content.linkpurpose``) and names its field; the same link found
    again in the rendered HTML would be a second error without a field (a13c
    F4: "Review the send" showed only that one). A link text the content
    check did not find (one of the templates' or the brand's) stays.
    """
    said: dict[Path, set[str]] = {}
    codes: dict[Path, set[str]] = {}
    defaults = {normalise(i18n.catalog(lang).get("more_here", "")) for lang in i18n.available_languages()}
    for problem in problems:
        file = Path(problem.file).resolve()
        codes.setdefault(file, set()).add(problem.code)
        if problem.code in (LINK_SAYS_NOTHING, NO_LABEL):
            labels = said.setdefault(file, set())
            labels.update({normalise(dict(problem.args).get("value", ""))} if problem.code == LINK_SAYS_NOTHING else defaults)
    kept = []
    for edition in report.editions:
        file = Path(edition.file).resolve()
        labels, placed = said.get(file, set()), codes.get(file, set())

        def again(found: Finding) -> bool:
            if found.rule == "link-text":
                return normalise(found.where) in labels
            return bool(placed.intersection(PLACED_BY_CONTENT.get(found.rule, ())))

        kept += [f.to_problem(edition.file) for f in edition.findings if f.severity != "notice" and not again(f)]
    return kept


# The gate's rules the content check also decides (``content.mailrules``), by the code it reports them with.
PLACED_BY_CONTENT: dict[str, tuple[str, ...]] = {
    "link-name": ("link.no_text", PICTURE_LINK_NO_ALT),
    "heading-order": ("text.heading_skips",),
    "image-of-text": ("picture.maybe_text",),
}


def _render_language(notice: Finding) -> str | None:
    """The edition a notice of the whole report is about: the one that does not render names its file (``where``)."""
    return Path(notice.where).stem if notice.rule == "render" and notice.where else None


def _notice(message: str, hint: str | None) -> str:
    return f"{message} ({hint})" if hint else message
