"""The ``leadex-mail`` command line: a thin face over the core.

Each command parses its arguments, calls one core function and prints the
result. ``LeadexError`` from the core becomes a plain message and a non-zero
exit here, and only here; a user mistake never shows a traceback.

Command modules are imported only when one of their commands runs: the store
layer (SQLAlchemy, alembic) costs most of a second to import, and `render`
or `check` should not pay for it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from leadex_mail import __version__
from leadex_mail.cli._common import AppContext, LeadexGroup

# command name -> the module under leadex_mail.cli whose register() adds it
COMMANDS: dict[str, str] = {
    "new": "content",
    "schema": "content",
    "check": "render",
    "render": "render",
    "preview": "preview",
    "subscribers": "store",
    "lists": "store",
    "db": "store",
    "send-test": "sendtest",
    "send": "delivery",
    "status": "delivery",
    "retry": "delivery",
    "demo": "delivery",
    "unschedule": "schedule",
    "worker": "schedule",
    "serve": "web",
    "archive": "web",
    "confirmations": "web",
    "config": "config_cmd",
    "bounces": "bounces",
    "studio": "studio",
    "users": "studio",
    "maintenance": "maintenance",
}


class LazyLeadexGroup(LeadexGroup):
    """The root group: knows its commands by name, imports their module on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(f"leadex_mail.cli.{COMMANDS[cmd_name]}")
            module.register(self)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyLeadexGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="LEADEX_CONFIG",
    help="Configuration file (default: ./leadex-mail.toml if present).",
)
@click.version_option(__version__, prog_name="leadex-mail")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Compose, check, preview and send the LeadEx newsletter."""
    ctx.obj = AppContext(config_path=config_path)
