"""CLI command for the preview server: ``leadex-mail preview ISSUE``."""

from __future__ import annotations

import logging
import webbrowser

import click

from leadex_mail.cli._common import edition_language_option, get_settings


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(preview)


@click.command()
@click.argument("issue")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port on 127.0.0.1; 0 picks a free one.")
@click.option("--lang", "language", default=None, help="Edition to show first (default: the issue's default language).", callback=edition_language_option)
@click.option("--no-open", is_flag=True, help="Do not open a browser; only print the URL.")
@click.option("--deep", is_flag=True, help="Also run `check --deep` after every save and show its results (a browser and SpamAssassin each time).")
def preview(issue: str, port: int, language: str | None, no_open: bool, deep: bool) -> None:
    """Serve ISSUE on 127.0.0.1 with live reload: desktop, mobile and dark views, text part, checks.

    ISSUE is a folder under the newsletters directory (its slug) or a path.
    Saving any of the issue's files, brand.yaml or a template reloads the page.
    """
    from leadex_mail.preview.server import serve

    # The watcher says which file changed; uvicorn's own logs stay at warnings.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)

    def ready(url: str) -> None:
        click.echo(f"Preview of {issue}: {url}  (Ctrl-C to stop)")
        if not no_open:
            webbrowser.open(url)

    try:
        serve(issue, get_settings(), port=port, language=language, on_ready=ready, deep=deep)
    except KeyboardInterrupt:  # Ctrl-C is how a preview ends, not a failure
        pass
    # Reached whether uvicorn re-raised the Ctrl-C it caught or simply
    # returned after it (which one depends on where the signal landed).
    click.echo("Preview stopped.")
