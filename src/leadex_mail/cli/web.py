"""CLI commands for the web layer: ``serve``, ``archive build`` and ``confirmations``."""

from __future__ import annotations

from pathlib import Path

import click

from leadex_mail.cli._common import get_settings
from leadex_mail.config import Settings


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(serve)
    main.add_command(archive)
    main.add_command(confirmations)


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: web_host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: web_port, 8000; 0 picks a free one).")
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies whose X-Forwarded-For/-Proto are trusted (default: 127.0.0.1, or $FORWARDED_ALLOW_IPS).",
)
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log every request (its URLs carry personal link tokens; the proxy usually logs anyway).")
def serve(host: str | None, port: int | None, forwarded_allow_ips: str | None, access_log: bool) -> None:
    """Serve the subscriber pages: subscribe, confirm, unsubscribe (RFC 8058), preferences, archive.

    Links in mail point at the public URL (LEADEX_PUBLIC_URL); put a
    reverse proxy with HTTPS in front and let it forward to this address.
    Serving others (beyond loopback, with a public URL, or mailing over SMTP)
    needs an https:// public URL and LEADEX_SECRET_KEY; it refuses otherwise.
    """
    import logging

    from leadex_mail.web.server import serve as run

    # Sign-ups not recorded and confirmation mails not sent are logged, not shown to visitors.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("leadex_mail.web").setLevel(logging.INFO)

    def ready(url: str) -> None:
        click.echo(f"leadex-mail web on {url}  (public URL: {settings.public_url or 'not set'}; Ctrl-C to stop)")

    settings = get_settings()
    _warn_without_public_lists(settings)
    _warn_incomplete_notice(settings)
    run(settings, host=host, port=port, forwarded_allow_ips=forwarded_allow_ips, access_log=access_log, on_ready=ready)


def _warn_without_public_lists(settings: Settings) -> None:
    """Say so when the sign-up form would offer no list (new lists are private)."""
    from leadex_mail.store.db import open_store
    from leadex_mail.store.lists import list_lists

    with open_store(settings) as store:
        if list_lists(store, public=True):
            return
    click.echo("warning: no list is public, so the sign-up form offers none; make one public: leadex-mail lists update NAME --public", err=True)


def _warn_incomplete_notice(settings: Settings) -> None:
    """Say so when the privacy notice at /privacy cannot name the controller (brand file, `privacy:`)."""
    from leadex_mail.content.lint import PRIVACY_FIELDS
    from leadex_mail.web.notice import build_notice
    from leadex_mail.web.service import sender_brand

    missing = build_notice(settings, sender_brand(settings)).facts.missing
    if missing:
        fields = ", ".join(f"privacy.{name}" for name in missing)
        what = "; ".join(PRIVACY_FIELDS[name][0] for name in missing)
        click.echo(f"warning: the privacy notice at /privacy does not say {what}: fill in {fields} in the brand file", err=True)


@click.group()
def archive() -> None:
    """The public archive of the issues sent to public lists."""


@archive.command("build")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
def archive_build(outdir: Path) -> None:
    """Write the archive (index and the web version of every edition sent to a public list) as a static site in OUTDIR."""
    from leadex_mail.store.db import open_store
    from leadex_mail.web.archive import build_static_archive

    settings = get_settings()
    with open_store(settings, create=False) as store:
        written = build_static_archive(store, settings, outdir)
    pages = [p for p in written if p.suffix == ".html"]
    click.echo(f"wrote {len(pages)} pages and {len(written) - len(pages)} other files to {outdir}")
    click.echo(f"open {outdir / 'index.html'}")


_SHOWN_STATES = (("queued", "queued"), ("waiting", "waiting to retry"), ("sending", "being sent"), ("sent", "sent"), ("failed", "failed"), ("skipped", "skipped"))


def confirmation_counts(summary: object) -> str:
    """``2 queued, 1 waiting to retry, ...`` for the states present in a ``QueueSummary``."""
    counts = summary.counts  # type: ignore[attr-defined]
    return ", ".join(f"{counts[key]} {label}" for key, label in _SHOWN_STATES if counts.get(key))


@click.command()
@click.option("--retry", is_flag=True, help="Queue the failed ones again first (after fixing the relay or the sender address).")
def confirmations(retry: bool) -> None:
    """Show the mails `serve` sends (sign-up confirmations, data exports, erasure links): counts, retries and failures."""
    from datetime import UTC, datetime

    from leadex_mail.store import outgoing
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        if retry:
            n = outgoing.retry_failed(store, datetime.now(UTC))
            click.echo(f"Queued {n} failed confirmation mail{'' if n == 1 else 's'} again; a running `leadex-mail serve` sends {'it' if n == 1 else 'them'} within a minute.")
        summary = outgoing.queue_summary(store)
    if not summary.counts:
        click.echo("No confirmation mails yet: one is queued for each sign-up on `leadex-mail serve`.")
        return
    click.echo(f"Confirmation mails: {confirmation_counts(summary)}")
    for entry in summary.attention:
        when = f"  next try {entry.next_attempt_at:%Y-%m-%d %H:%M} UTC" if entry.next_attempt_at else ""
        kind = "" if entry.kind == "confirmation" else f" ({entry.kind.replace('_', ' ')})"
        click.echo(f"  {entry.state}{kind}: {entry.email or '(erased)'}  attempts {entry.attempts}{when}  {entry.last_reply or ''}")
    if summary.counts.get("failed"):
        click.echo("Queue the failed ones again with: leadex-mail confirmations --retry")
