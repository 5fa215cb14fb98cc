"""The ``leadex-mail`` command line: a thin face over the core.

Each command parses its arguments, calls one core function and prints the
result. ``LeadexError`` from the core becomes a plain message and a non-zero
exit here, and only here; a user mistake never shows a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from leadex_mail import __version__
from leadex_mail.cli import config_cmd, content, delivery, preview, render, sendtest, store, web
from leadex_mail.cli._common import AppContext, LeadexGroup


@click.group(cls=LeadexGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


for _module in (content, render, preview, store, sendtest, delivery, web, config_cmd):
    _module.register(main)
