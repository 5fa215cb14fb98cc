"""``leadex-mail config show``: the effective settings and where each came from."""

from __future__ import annotations

import click

from leadex_mail.cli._common import LeadexGroup, get_settings


@click.group("config", cls=LeadexGroup)
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
def show() -> None:
    """Print every setting's effective value (secrets masked), its source, and whether sending and serving are ready."""
    from leadex_mail.effective import effective_settings, readiness

    settings = get_settings()
    for line in effective_settings(settings):
        click.echo(f"{line.name:28} {line.value:40} [{line.source}]")
    if settings.smtp_helo_name is None:
        import socket

        from leadex_mail.config import is_host_name

        host = socket.gethostname()
        if not is_host_name(host):
            click.echo(f"warning: smtp_helo_name is not set, so EHLO names this machine {host!r}, which is not a fully qualified host name;")
            click.echo("  many receivers refuse such mail or count it against the sender")
            click.echo('  hint: set smtp_helo_name to the sending host\'s name in DNS, e.g. smtp_helo_name = "mail.news.example.org"')
    click.echo("")
    for action, findings in readiness(settings):
        click.echo(f"{action + ':':28} {'refused' if findings else 'ready'}")
        for finding in findings:
            click.echo(f"  {finding.setting}: {finding.problem}")
            click.echo(f"    hint: {finding.hint}")


def register(main: click.Group) -> None:
    """Add ``config`` to the root group."""
    main.add_command(config_group)
