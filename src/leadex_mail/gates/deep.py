"""``check --deep``: every gate on every edition's sample message, with one browser.

Per edition, on the exact bytes ``send`` would send (``sample``):
conformance and size (``conformance``), what axe cannot see (``markup``),
axe at 375 and 600 px in light and dark (``accessibility``) and SpamAssassin
(``spam``). SpamAssassin runs in the background (it is Perl loading its
rules: seconds) while the browser works; the browser is started once for
the whole issue, or passed in by a caller that checks several issues.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from leadex_mail.config import Settings
from leadex_mail.content.loader import issue_edition_path
from leadex_mail.content.model import Issue
from leadex_mail.errors import RenderError
from leadex_mail.gates import accessibility, conformance, markup, spam
from leadex_mail.gates.browser import Browser, DeepCheckUnavailable, MessageView, ensure_available
from leadex_mail.gates.findings import DeepReport, EditionReport, Finding, SpamResult
from leadex_mail.gates.sample import SampleMessage, build_sample, sample_recipient
from leadex_mail.render import i18n

WIDTHS = (375, 600)
SCHEMES = ("light", "dark")


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
    samples: list[SampleMessage] = []
    for language in languages or sorted(issue.editions, key=lambda lang: (lang != issue.default_language, lang)):
        try:
            samples.append(build_sample(issue, language, settings))
        except RenderError as err:
            file = str(issue_edition_path(issue, language))
            report.notices.append(Finding("setup", "notice", f"the {language} edition was not checked: it does not render ({err.message})", err.hint, "render", file))
    with ThreadPoolExecutor(max_workers=max(1, len(samples))) as pool:
        scores = {s.language: spam.start(pool, s.data) for s in samples}  # first: the slowest, and needs no browser
        with _browser_or_none(browser, settings, require_browser, report) as shown:
            for sample in samples:
                report.editions.append(check_edition(sample, settings, shown, scores[sample.language]))
    report.seconds = time.monotonic() - started
    return report


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


def check_edition(
    sample: SampleMessage, settings: Settings, browser: Browser | None = None, score: Future[tuple[SpamResult | None, list[Finding]]] | None = None
) -> EditionReport:
    """Every gate on one sample message: the browser's only with ``browser``, SpamAssassin's only with ``score`` (its future)."""
    started = time.monotonic()
    edition = EditionReport(sample.language, sample.file, findings=list(sample.findings))
    edition.findings += conformance.check_conformance(sample, settings)
    edition.sizes = conformance.measure_sizes(sample)
    edition.findings += conformance.size_findings(edition.sizes)
    if sample.html is not None:
        labels = tuple(i18n.catalog(lang).get("more_here", "") for lang in i18n.available_languages())
        edition.findings += markup.check_markup(sample.html, sample.language, image_size=markup.image_sizes(sample.resources), more_labels=labels)
        if browser is not None:
            results, refused = browser_results(browser, sample)
            edition.axe = accessibility.violation_counts(results)
            edition.findings += accessibility.axe_findings(results)
            if refused:
                edition.findings.append(_refused_notice(refused))
    edition.seconds = time.monotonic() - started
    if score is not None:
        edition.spam, found = score.result()
        edition.findings += found
    return edition


def browser_results(browser: Browser, sample: SampleMessage) -> tuple[dict[str, dict], list[str]]:
    """axe's results for the four views of ``sample`` (light and dark side by side, then each width), and the refused URLs."""
    assert sample.html is not None
    views: list[MessageView] = [browser.show(sample.html, sample.resources, width=WIDTHS[0], scheme=s) for s in SCHEMES]
    try:
        results: dict[str, dict] = {}
        for width in WIDTHS:
            for view in views:
                if view.width != width:
                    view.set_width(width)
            results.update(accessibility.run_axe(views))
        return results, sorted({url for v in views for url in v.refused})
    finally:
        for view in views:
            view.close()


def _refused_notice(refused: list[str]) -> Finding:
    shown = ", ".join(refused[:3]) + (f" and {len(refused) - 3} more" if len(refused) > 3 else "")
    return Finding(
        "accessibility", "notice",
        f"{len(refused)} resource(s) were not loaded (the check never goes online): {shown}",
        "pictures from other sites are missing in the check; what is drawn over them was not checked for contrast", "offline",
    )  # fmt: skip
