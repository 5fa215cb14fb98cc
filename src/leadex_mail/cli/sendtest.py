"""CLI command ``send-test``: real [TEST] messages to a few addresses."""

from __future__ import annotations

import click

from leadex_mail.cli._common import audit, edition_language_option, get_settings


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(send_test_command)


@click.command("send-test")
@click.argument("issue")
@click.option("--to", "to", multiple=True, metavar="ADDR", help="Send to this address (repeatable; default: test_recipients from the configuration).")
@click.option("--lang", "language", default=None, help="Edition to send (default: the issue's default language).", callback=edition_language_option)
def send_test_command(issue: str, to: tuple[str, ...], language: str | None) -> None:
    """Send ISSUE with the subject prefixed [TEST] through the configured transport.

    Logged as test sends, not counted as deliveries. Exit 1 when any address failed.
    """
    from pathlib import Path

    from leadex_mail.delivery.testsend import send_test
    from leadex_mail.store.db import open_store

    settings = get_settings()
    results = send_test(settings, issue, to, language)
    for r in results:
        click.echo(f"{'sent  ' if r.ok else 'FAILED'}  {r.recipient}  [{r.language}]  {r.reply}")
        if r.hint:
            click.echo(f"        hint: {r.hint}")
    failed = sum(1 for r in results if not r.ok)
    click.echo(f"{len(results) - failed} sent, {failed} failed via {settings.effective_transport}")
    if results:  # then in the audit log, as the studio's test sends (how many addresses, never which)
        with open_store(settings, create=False) as store:
            audit(store, "send_test", Path(issue).name, detail={"to": len(results), "language": results[0].language, "failed": failed})
    if failed:
        click.get_current_context().exit(1)
