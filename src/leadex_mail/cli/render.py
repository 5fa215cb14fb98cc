"""CLI commands for the render layer: ``render`` and ``check``."""

from __future__ import annotations

from pathlib import Path

import click

from leadex_mail.cli._common import get_settings


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(render)
    main.add_command(check)


@click.command()
@click.argument("issue")
@click.option("--lang", "language", default=None, help="Only this edition (default: every edition).")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder to write to (default: out/<slug>/)."
)
def render(issue: str, language: str | None, out_dir: Path | None) -> None:
    """Write <lang>.html, <lang>.txt and a preview <lang>.eml for each edition of ISSUE.

    The .html file opens in a browser: its images are in images/ beside it,
    and its view, unsubscribe and preferences links lead to <lang>-links.html,
    which says what they do in the sent newsletter.
    """
    from leadex_mail.content.loader import load_issue
    from leadex_mail.render.output import write_editions

    settings = get_settings()
    loaded = load_issue(issue, settings)
    target = out_dir or Path("out") / loaded.slug
    for written in write_editions(loaded, settings, target, language):
        for path in (written.html, written.text, written.eml, written.links):
            click.echo(f"{path}  {path.stat().st_size / 1024:.1f} KB")
        if written.images:
            size = sum(p.stat().st_size for p in written.images) / 1024
            click.echo(f"{written.images[0].parent}/  {len(written.images)} images, {size:.1f} KB")


@click.command()
@click.argument("issue")
def check(issue: str) -> None:
    """Validate and lint ISSUE; exit 0 when clean, 1 when there are problems."""
    from leadex_mail.content.loader import load_issue
    from leadex_mail.render.check import check_issue, summary

    settings = get_settings()
    problems = check_issue(load_issue(issue, settings), settings)
    for problem in problems:
        click.echo(problem.format())
    if not problems:
        click.echo(f"{issue}: no problems found")
        return
    click.echo(f"{issue}: {summary(problems)}")
    click.get_current_context().exit(1)
