"""``check --deep``: every gate on every edition's sample message, with one browser.

Per edition, on the exact bytes ``send`` would send (``sample``):
conformance and size (``conformance``), what axe cannot see (``markup``),
axe at 375 and 600 px in light and dark (``accessibility``) and SpamAssassin
(``spam``). One SpamAssassin process scores every edition in the background
(it is Perl loading its rules: seconds) while the browser works; the
browser is started once for the whole issue, or passed in by a caller that
checks several issues, and shows the editions side by side.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from leadex_mail.config import Settings
from leadex_mail.content.loader import issue_edition_path
from leadex_mail.counts import counted, were
from leadex_mail.content.model import Issue
from leadex_mail.errors import DeepCheckUnavailable, RenderError
from leadex_mail.gates import accessibility, conformance, markup, spam
from leadex_mail.gates.browser import Browser, ensure_available
from leadex_mail.gates.findings import VIEWS as TABLE_VIEWS
from leadex_mail.gates.findings import DeepReport, EditionReport, Finding, view_name
from leadex_mail.gates.sample import SampleMessage, build_sample, sample_recipient
from leadex_mail.render import i18n

# The order the views are visited in: one change (scheme or width) at a time.
VIEWS = ((375, "light"), (375, "dark"), (600, "dark"), (600, "light"))


def deep_check(
    issue: Issue,
    settings: Settings,
    *,
    browser: Browser | None = None,
    require_browser: bool = True,
    languages: Sequence[str] | None = None,
) -> DeepReport:
    """Run every gate on each edition of ``issue`` (or on ``languages``) and report.

    With ``browser`` None one is started here and closed at the end. When
    Chromium or Playwright is missing, ``require_browser`` raises
    ``DeepCheckUnavailable`` (``check --deep`` asked for it); otherwise the
    browser checks are skipped with a notice (``send``'s safety net).
    """
    started = time.monotonic()
    if browser is None and require_browser:
        ensure_available(settings)  # before anything else starts: a missing browser is the answer
    report = DeepReport(issue.slug, sample_recipient=sample_recipient())
    samples = _samples(issue, settings, languages, report)
    with ThreadPoolExecutor(max_workers=1) as pool:
        scores = spam.start(pool, [s.data for s in samples])  # first: the slowest, and needs no browser
        report.editions = [check_edition(sample, settings) for sample in samples]
        with _browser_or_none(browser, settings, require_browser, report) as shown:
            if shown is not None:
                _browser_checks(shown, samples, report, require_browser)
        for edition, (result, found) in zip(report.editions, scores.result(), strict=True):
            edition.spam = result
            edition.findings += found
    report.seconds = time.monotonic() - started
    return report


def _samples(issue: Issue, settings: Settings, languages: Sequence[str] | None, report: DeepReport) -> list[SampleMessage]:
    """The sample message of each edition (default first); one that does not render is a notice (``check`` reports why)."""
    samples = []
    for language in languages or sorted(issue.editions, key=lambda lang: (lang != issue.default_language, lang)):
        try:
            samples.append(build_sample(issue, language, settings))
        except RenderError as err:
            file = str(issue_edition_path(issue, language))
            report.notices.append(Finding("setup", "notice", f"the {language} edition was not checked: it does not render ({err.message})", err.hint, "render", file))
    return samples


def _browser_checks(browser: Browser, samples: list[SampleMessage], report: DeepReport, required: bool) -> None:
    try:
        add_browser_findings(browser, samples, report.editions)
    except DeepCheckUnavailable as err:  # Chromium failed midway
        if required:
            raise
        report.notices.append(Finding("accessibility", "notice", f"not checked in a browser: {err.message}", err.hint, "chromium"))


@contextlib.contextmanager
def _browser_or_none(browser: Browser | None, settings: Settings, required: bool, report: DeepReport) -> Iterator[Browser | None]:
    if browser is not None:
        yield browser
        return
    try:
        own = Browser(settings).__enter__()
    except DeepCheckUnavailable as err:
        if required:
            raise
        report.notices.append(Finding("accessibility", "notice", f"not checked in a browser: {err.message}", err.hint, "chromium"))
        yield None
        return
    try:
        yield own
    finally:
        own.__exit__(None, None, None)


def check_edition(sample: SampleMessage, settings: Settings) -> EditionReport:
    """The gates that need neither a browser nor SpamAssassin: conformance, size, markup (milliseconds)."""
    started = time.monotonic()
    edition = EditionReport(sample.language, sample.file, findings=list(sample.findings))
    edition.findings += conformance.check_conformance(sample, settings)
    edition.sizes = conformance.measure_sizes(sample)
    edition.findings += conformance.size_findings(edition.sizes)
    if sample.html is not None:
        labels = tuple(i18n.catalog(lang).get("more_here", "") for lang in i18n.available_languages())
        edition.findings += markup.check_markup(sample.html, sample.language, image_size=markup.image_sizes(sample.resources), more_labels=labels)
    edition.seconds = time.monotonic() - started
    return edition


def add_browser_findings(browser: Browser, samples: Sequence[SampleMessage], reports: Sequence[EditionReport]) -> None:
    """axe in the four views of each sample, the editions side by side; adds counts, findings and time to ``reports``.

    One page per edition, each in its own renderer process (two cores check
    two editions at once), switched through the views instead of loaded
    again: loading a page costs more than an axe run.
    """
    started = time.monotonic()
    shown = [(s, r) for s, r in zip(samples, reports, strict=True) if s.html is not None]
    views = [browser.show(s.html or "", s.resources, width=VIEWS[0][0], scheme=VIEWS[0][1]) for s, _ in shown]
    try:
        results: list[dict[str, dict]] = [{} for _ in views]
        for width, scheme in VIEWS:
            for view in views:
                if view.scheme != scheme:
                    view.set_scheme(scheme)
                if view.width != width:
                    view.set_width(width)
            for found, result in zip(results, accessibility.run_axe(views), strict=True):
                found[view_name(width, scheme)] = result
        elapsed = time.monotonic() - started
        for (_, edition), view, result in zip(shown, views, results, strict=True):
            counts = accessibility.violation_counts(result)
            edition.axe = {name: counts[name] for name in (view_name(w, s) for w, s in TABLE_VIEWS) if name in counts}  # the table's order
            edition.findings += accessibility.axe_findings(result)
            if view.refused:
                edition.findings.append(_refused_notice(sorted(set(view.refused))))
            edition.seconds += elapsed
    finally:
        for view in views:
            view.close()


def _refused_notice(refused: list[str]) -> Finding:
    shown = ", ".join(refused[:3]) + (f" and {len(refused) - 3} more" if len(refused) > 3 else "")
    return Finding(
        "accessibility", "notice",
        f"{counted(len(refused), 'resource')} {were(len(refused))} not loaded (the check never goes online): {shown}",
        "pictures from other sites are missing in the check; what is drawn over them was not checked for contrast", "offline",
    )  # fmt: skip
