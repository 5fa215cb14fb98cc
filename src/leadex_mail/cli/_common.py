"""What every CLI module shares: the app context and error presentation."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from leadex_mail.config import Settings, load_settings
from leadex_mail.errors import ContentError, LeadexError
from leadex_mail.files import DISK_FULL, write_failed

if TYPE_CHECKING:
    from leadex_mail.store.db import Store


@dataclass
class AppContext:
    """Per-invocation state: where the configuration comes from, loaded once."""

    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self, **overrides: Any) -> Settings:
        """The validated settings; flag values in ``overrides`` win (None ignored)."""
        if overrides and any(v is not None for v in overrides.values()):
            return load_settings(self.config_path, overrides=overrides)
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


def get_settings(**overrides: Any) -> Settings:
    """The current command's settings, with flag ``overrides``."""
    ctx = click.get_current_context()
    app = ctx.find_object(AppContext)
    if app is None:  # invoked outside ``main`` (tests calling a subcommand directly)
        app = AppContext()
    return app.settings(**overrides)


def command_prefix() -> str:
    """``leadex-mail`` as it was invoked, with the options every later command needs (``--config PATH``).

    Printed in front of every resume and retry command: run literally, it
    must reach the same store and settings (a relative ``--config`` made
    absolute, quoted for the shell).
    """
    import shlex

    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx is not None else None
    path = getattr(app, "config_path", None)
    return "leadex-mail" + (f" --config {shlex.quote(str(Path(path).resolve()))}" if path else "")


def cli_actor() -> str:
    """How the audit log names whoever runs this command: ``cli:<os user>`` (``store.accounts.os_actor``)."""
    from leadex_mail.store.accounts import CLI, os_actor

    return os_actor(CLI)


def audit(store: Store, action: str, target: str = "", **kwargs: Any) -> None:
    """Write what this command did in the audit log (``store.accounts.record``) by whoever runs it (``cli_actor``).

    ``StoreError`` when it cannot be written.
    """
    from leadex_mail.store.accounts import record

    record(store, cli_actor(), action, target, **kwargs)


def echo_error(err: LeadexError) -> None:
    """Print a LeadexError the way people should read it, on stderr."""
    if isinstance(err, ContentError) and err.problems:
        for problem in err.problems:
            click.echo(problem.format(), err=True)
        click.echo(f"error: {err.message}", err=True)
    else:
        click.echo(f"error: {err.message}", err=True)
    if err.hint:
        click.echo(f"hint: {err.hint}", err=True)


class LeadexGroup(click.Group):
    """A click group that turns LeadexError into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LeadexError as err:
            echo_error(err)
            sys.stdout.flush()
            ctx.exit(err.exit_code)
        except OSError as exc:  # a full disk where no writer wrapped it yet: still words, not a traceback
            if exc.errno not in DISK_FULL:
                raise
            failed = write_failed(exc.filename or "a file", exc)
            echo_error(failed)
            ctx.exit(failed.exit_code)


def edition_language_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--lang`` naming an edition, as its code (``EN`` -> ``en``, ``en_gb`` -> ``en-GB``).

    A value that names no language is passed on as typed: the command then
    says the issue has no such edition and lists the ones it has, or (``new``)
    why it is no language code, with a hint.
    """
    if value is None:
        return None
    from leadex_mail.content.languages import NotALanguage, edition_language

    try:
        return edition_language(value)
    except NotALanguage:
        return value
