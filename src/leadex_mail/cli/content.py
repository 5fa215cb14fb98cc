"""CLI commands for the content layer: ``new`` and ``schema``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from leadex_mail.cli._common import edition_language_option, get_settings

if TYPE_CHECKING:
    from leadex_mail.content.scaffold import NewEdition


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(new)
    main.add_command(schema)


@click.command()
@click.argument("slug")
@click.option("--lang", "language", default="sl", show_default=True, help="Language of the edition to create.", callback=edition_language_option)
def new(slug: str, language: str) -> None:
    """Create the issue SLUG, or another language edition of it.

    A new issue gets one example of every section type in
    newsletters/SLUG/LANG.yaml and an images/ folder; its number and date
    come from SLUG (2026-09-leadex-02 is No. 2 of September 2026), else
    from the latest issue (its number + 1) and today. With --lang on an
    existing issue, the new edition copies the default edition's sections,
    pictures, links and dates, its texts marked for translation. Every text
    still to write is marked ✎; `send` refuses the issue while one is left.
    Never overwrites a file.
    """
    from leadex_mail.content.scaffold import new_issue

    made = new_issue(slug, get_settings(), language)
    click.echo(f"Created {made.path}")
    if made.translated_from:
        click.echo(f"  a copy of the {made.translated_from} edition (No. {made.number}, {made.date}): translate every text marked ✎ and delete the mark")
    else:
        click.echo(f"  No. {made.number} ({_number_from(made)}), dated {made.date} ({_date_from(made)})")
        click.echo("  replace every text marked ✎ and images/example.png")
    for warning in made.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"Next: edit it, then run `leadex-mail check {slug}` and `leadex-mail preview {slug}`.")


def _number_from(made: NewEdition) -> str:
    previous = made.previous
    which = "the issue before it" if made.date_from == "slug" else "the latest issue"
    latest = f"{which}, {previous.slug}, is No. {previous.number}" if previous else "no earlier issue"
    if made.number_from == "slug":
        return f"from the name; {latest}"
    return latest if made.number_from == "previous" else "the first issue"


def _date_from(made: NewEdition) -> str:
    return "from the name" if made.date_from == "slug" else "today; the name does not start with YYYY-MM, correct `date:` if needed"


@click.command()
@click.option("--brand", is_flag=True, help="The schema of brand.yaml instead of an edition file.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to this file instead of printing.")
def schema(brand: bool, out: Path | None) -> None:
    """Print the JSON Schema of an edition file (for VS Code YAML validation).

    Start an edition file with `# yaml-language-server: $schema=../schema.json`
    and keep newsletters/schema.json up to date with `--out`.
    """
    from leadex_mail.content.schema import schema_text

    text = schema_text(brand=brand)
    if out is None:
        click.echo(text, nl=False)
    else:
        from leadex_mail.files import write_atomic

        write_atomic(out, text)
        click.echo(f"Wrote {out}")
