"""CLI commands for the content layer: ``new`` and ``schema``."""

from __future__ import annotations

from pathlib import Path

import click

from leadex_mail.cli._common import get_settings


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(new)
    main.add_command(schema)


@click.command()
@click.argument("slug")
@click.option("--lang", "language", default="sl", show_default=True, help="Language of the edition to create.")
def new(slug: str, language: str) -> None:
    """Create the issue SLUG with one example of every section type.

    Writes newsletters/SLUG/LANG.yaml and an images/ folder. Refuses to
    overwrite; with --lang it adds another language to an existing issue.
    """
    from leadex_mail.content.scaffold import new_issue

    path = new_issue(slug, get_settings(), language)
    click.echo(f"Created {path}")
    click.echo(f"Next: edit it, then run `leadex-mail check {slug}` and `leadex-mail preview {slug}`.")


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
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}")
