"""``leadex-mail config show``: the effective settings and where each came from."""

from __future__ import annotations

import click

from leadex_mail.cli._common import LeadexGroup, get_settings


@click.group("config", cls=LeadexGroup)
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
def show() -> None:
    """Print every setting (secrets masked) and its source."""
    settings = get_settings()
    click.echo(f"{'transport (effective)':28} {settings.effective_transport}")
    for name, (value, source) in settings.masked().items():
        shown = "" if value is None else (", ".join(value) if isinstance(value, tuple) else value)
        click.echo(f"{name:28} {str(shown):40} [{source}]")


def register(main: click.Group) -> None:
    """Add ``config`` to the root group."""
    main.add_command(config_group)
