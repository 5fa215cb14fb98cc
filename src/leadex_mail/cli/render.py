"""CLI commands for the render layer and its gates: ``render`` (``--screenshots``) and ``check`` (``--deep``)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from leadex_mail.cli._common import edition_language_option, get_settings
from leadex_mail.gates.findings import VIEWS, view_name

if TYPE_CHECKING:
    from leadex_mail.errors import Problem
    from leadex_mail.gates.findings import DeepReport, EditionReport


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(render)
    main.add_command(check)


@click.command()
@click.argument("issue")
@click.option("--lang", "language", default=None, help="Only this edition (default: every edition).", callback=edition_language_option)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder to write to (default: out/<slug>/)."
)
@click.option("--screenshots", is_flag=True, help="Also write <lang>-375.png, <lang>-600.png and <lang>-375-dark.png (headless Chromium).")
def render(issue: str, language: str | None, out_dir: Path | None, screenshots: bool) -> None:
    """Write <lang>.html, <lang>.txt and a preview <lang>.eml for each edition of ISSUE.

    The .html file opens in a browser: its images are in images/ beside it,
    and its view, unsubscribe and preferences links lead to <lang>-links.html,
    which says what they do in the sent newsletter. With --screenshots, each
    edition's message as subscribers see it: on a phone (375 px), at its own
    width (600 px) and on a phone in dark mode.
    """
    from functools import partial

    from leadex_mail.content.loader import load_issue
    from leadex_mail.delivery.message import build_preview
    from leadex_mail.render.output import write_editions

    settings = get_settings()
    loaded = load_issue(issue, settings)
    target = out_dir or Path("out") / loaded.slug
    # The .eml is assembled by delivery, a layer above render.
    message = partial(build_preview, settings=settings, brand=loaded.brand)
    written = write_editions(loaded, settings, target, language, message=message)
    for edition in written:
        for path in filter(None, (edition.html, edition.text, edition.eml, edition.links)):
            _echo_file(path)
        if edition.images:
            size = sum(p.stat().st_size for p in edition.images) / 1024
            click.echo(f"{edition.images[0].parent}/  {len(edition.images)} images, {size:.1f} KB")
    if screenshots:
        from leadex_mail.gates.screenshots import write_screenshots

        for path in write_screenshots(loaded, settings, target, [e.language for e in written]):
            _echo_file(path)


def _echo_file(path: Path) -> None:
    click.echo(f"{path}  {path.stat().st_size / 1024:.1f} KB")


@click.command()
@click.argument("issue")
@click.option("--deep", is_flag=True, help="Also check each edition's message as sent: accessibility in Chromium, spam score, conformance, size.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (for scripts and CI).")
def check(issue: str, deep: bool, as_json: bool) -> None:
    """Validate and lint ISSUE; exit 0 when clean, 1 when there are problems.

    With --deep, each edition's message is built for a sample recipient
    exactly as `send` builds it and checked too: axe-core's WCAG 2.x A/AA
    rules in headless Chromium at 375 and 600 px, light and dark; what axe
    cannot see (lang, title, heading order, layout tables, link texts such as
    a bare "here", images of text); SpamAssassin's local rules; RFC
    conformance and DKIM; Gmail's clipping size. A table sums it up.
    """
    from leadex_mail.content.loader import load_issue
    from leadex_mail.render.check import check_issue

    settings = get_settings()
    loaded = load_issue(issue, settings)
    problems = check_issue(loaded, settings)
    report = None
    if deep:
        from leadex_mail.gates.deep import deep_check

        report = deep_check(loaded, settings)
        problems += report.problems()
    if as_json:
        _print_json(loaded.slug, problems, report)
    else:
        _print_check(issue, problems, report)
    if problems:
        sys.stdout.flush()
        click.get_current_context().exit(1)


def _print_check(issue: str, problems: list[Problem], report: DeepReport | None) -> None:
    from leadex_mail.render.check import summary

    for problem in problems:
        click.echo(problem.format())
    if report is not None:
        notices = [(n.where or report.slug, n) for n in report.notices]
        notices += [(e.file, f) for e in report.editions for f in e.findings if f.severity == "notice"]
        for where, notice in notices:
            hint = f"\n    hint: {notice.hint}" if notice.hint else ""
            click.echo(f"{where}: notice: {notice.check}: {notice.message}{hint}")
        click.echo("")
        click.echo(f"Deep check of the message `send` builds, for {report.sample_recipient}:")
        for line in deep_table(report):
            click.echo("  " + line)
        click.echo(f"  {report.seconds:.1f} s in all")
    click.echo(f"{issue}: {summary(problems)}" if problems else f"{issue}: no problems found")


def deep_table(report: DeepReport) -> list[str]:
    """The summary table: one row per edition, columns aligned."""
    views = [view_name(w, s) for w, s in VIEWS]
    head = ["edition", *(f"axe {v.replace(' px', '')}" for v in views), "markup", "conformance", "spam", "HTML (to 102 KB)", "message", "time"]
    rows = [head]
    for e in report.editions:
        axe = [str(e.axe[v]) if v in e.axe else "-" for v in views]
        spam = "-" if e.spam is None else f"{e.spam.score:g}" + "".join(f" {n}" for n, p, _ in e.spam.rules if p > 0)
        sizes = e.sizes
        html = "-" if sizes is None else f"{sizes.html_bytes / 1000:.1f} KB ({sizes.margin_bytes / 1000:+.1f})"
        message = "-" if sizes is None else f"{sizes.message_bytes / 1000:.0f} KB"
        rows.append([e.language, *axe, _counts(e, "markup"), _counts(e, "conformance"), spam, html, message, f"{e.seconds:.1f} s"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _counts(e: EditionReport, check: str) -> str:
    errors, warnings = e.count("error", check), e.count("warning", check)
    if not errors and not warnings:
        return "ok"
    return ", ".join(x for x in (f"{errors} error{'s' * (errors != 1)}" if errors else "", f"{warnings} warning{'s' * (warnings != 1)}" if warnings else "") if x)


def _print_json(slug: str, problems: list[Problem], report: DeepReport | None) -> None:
    data = {
        "issue": slug,
        "clean": not problems,
        "errors": sum(1 for p in problems if p.severity == "error"),
        "warnings": sum(1 for p in problems if p.severity != "error"),
        "problems": [{**dataclasses.asdict(p), "args": dict(p.args), "location": p.location()} for p in problems],
        "deep": report.to_dict() if report is not None else None,
    }
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
