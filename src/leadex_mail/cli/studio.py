"""CLI commands of the studio: ``studio`` (serve it) and ``users`` (its accounts)."""

from __future__ import annotations

import logging
import sys
import webbrowser

import click

from leadex_mail.cli._common import cli_actor, get_settings


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(studio_command)
    main.add_command(users_group)


@click.command("studio")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback requires accounts.")
@click.option("--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="Port; 0 picks a free one.")
@click.option("--no-open", is_flag=True, help="Do not open a browser; only print the address.")
@click.option("--require-login", is_flag=True, help="Require accounts on 127.0.0.1 too (a computer several people use).")
@click.option("--forwarded-allow-ips", default=None, metavar="IPS", help="HTTPS proxies whose X-Forwarded-Proto/-For are trusted (default: 127.0.0.1, a proxy on this computer).")
def studio_command(host: str, port: int, no_open: bool, require_login: bool, forwarded_allow_ips: str | None) -> None:
    """Write, check, preview, test and send issues in the browser.

    Served on 127.0.0.1 it is for whoever sits at this computer, like
    `preview`. On any other address it requires accounts (`leadex-mail users
    add`) and must be reached over HTTPS: put a proxy in front that sends
    X-Forwarded-Proto (officers who come over plain HTTP are told so, and so
    are you at start-up). The issue files stay the truth:
    the studio writes the same YAML the other commands read.
    """
    from leadex_mail.studio.server import serve

    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    def ready(url: str, accounts: bool) -> None:
        click.echo(f"LeadEx studio: {url}  ({'sign-in required' if accounts else 'for this computer only'}; Ctrl-C to stop)")
        warning = plain_http_warning(host, accounts=accounts)
        if warning:
            click.echo(warning, err=True)
        if not no_open:
            webbrowser.open(url)

    interrupted: list = []
    try:
        serve(get_settings(), host=host, port=port, require_login=require_login, forwarded_allow_ips=forwarded_allow_ips, on_ready=ready,
              on_stopped=interrupted.extend)
    except KeyboardInterrupt:  # Ctrl-C is how the studio ends, not a failure
        pass
    # Reached whether uvicorn re-raised the Ctrl-C it caught or returned after it.
    click.echo("Studio stopped.")
    for job in interrupted:
        click.echo(interrupted_send_text(job))


def interrupted_send_text(job) -> str:  # noqa: ANN001 (studio.sending.SendJob)
    """What the operator is told of a send the studio's stop interrupted: how far it got, and the two ways to resume it."""
    from leadex_mail.cli.delivery import resume_command

    counts = job.counts or {}
    sent = counts.get("sent", job.done)
    left = sum(counts.get(state, 0) for state in ("queued", "sending", "retry_wait"))
    if job.finished:
        how_far = f"{sent} sent so far, {left} still to send (they wait in the queue; nobody gets it twice)"
    else:  # still busy after the wait (a mail server not answering): its deliveries come back when their leases run out
        how_far = f"{job.done} of {job.total} handled by this studio; the messages it held return to the queue within a few minutes"
    return (
        f"The send of {job.slug} to the list {job.list_name} was interrupted: {how_far}.\n"
        f"  To resume it: {resume_command(job.slug, job.list_name)} --resume\n"
        f"  or start the studio again and press \"Resume the send\" on the issue's Test and send page."
    )


def plain_http_warning(host: str, *, accounts: bool) -> str | None:
    """What the operator is told at start-up when browsers could come over plain HTTP, where sign-in cannot work.

    Beyond loopback the server cannot know before a request whether an HTTPS
    proxy is in front, so it says what sign-in needs (docs/decisions.md).
    """
    from leadex_mail.studio.server import is_loopback

    if not accounts or is_loopback(host):
        return None
    return (
        f"Warning: the studio listens on {host} over plain HTTP, and browsers sign in only over HTTPS "
        "(its cookies are Secure). Put an HTTPS proxy in front that sends X-Forwarded-Proto, give officers its "
        "https:// address, and name the proxy with --forwarded-allow-ips unless it runs on this computer. "
        "Whoever opens the plain http:// address is told it needs HTTPS."
    )


@click.group("users")
def users_group() -> None:
    """Accounts of the studio (needed when it is served beyond 127.0.0.1)."""


def _password(prompt_twice: bool = True) -> str:
    if not sys.stdin.isatty():  # scripts pipe the password in: one line
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=prompt_twice)


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["editor", "sender"]), required=True, help="editor: write, preview, test-send; sender: also send to lists and manage subscribers.")
def users_add(name: str, role: str) -> None:
    """Create the account NAME; the password is asked for (or read from standard input)."""
    from leadex_mail.store.accounts import add_user
    from leadex_mail.store.db import open_store

    password = _password()
    with open_store(get_settings()) as store:
        add_user(store, name, role, password, actor=cli_actor())
    click.echo(f"account {name} created ({role})")


@users_group.command("list")
def users_list() -> None:
    """Every account with its role."""
    from leadex_mail.store.accounts import list_users
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        users = list_users(store)
    for user in users:
        click.echo(f"{user.name}\t{user.role}\tcreated {user.created_at:%Y-%m-%d}")
    if not users:
        click.echo("no accounts yet; create one with `leadex-mail users add NAME --role sender`", err=True)


@users_group.command("password")
@click.argument("name")
def users_password(name: str) -> None:
    """Give the account NAME a new password.

    Signs NAME out of the studio everywhere: each open session ends at its
    next request (a running studio need not be restarted).
    """
    from leadex_mail.store.accounts import set_password
    from leadex_mail.store.db import open_store

    password = _password()
    with open_store(get_settings(), create=False) as store:
        set_password(store, name, password, actor=cli_actor())
    click.echo(f"password of {name} changed; {name} is signed out of the studio everywhere")


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["editor", "sender"]))
def users_role(name: str, role: str) -> None:
    """Give the account NAME the role ROLE (editor or sender).

    Applies to NAME's open studio sessions at their next request: an editor
    who was a sender can no longer send to lists or manage subscribers.
    """
    from leadex_mail.store.accounts import set_role
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        changed = set_role(store, name, role, actor=cli_actor())
    click.echo(f"{name} is now {role}" if changed else f"{name} was already {role}; nothing changed")


@users_group.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Delete the account NAME.

    Signs NAME out of the studio everywhere: each open session ends at its
    next request (a running studio need not be restarted).
    """
    from leadex_mail.store.accounts import remove_user
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        remove_user(store, name, actor=cli_actor())
    click.echo(f"account {name} removed; {name} is signed out of the studio everywhere")


@users_group.command("audit")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help="How many entries, newest first.")
def users_audit(limit: int) -> None:
    """The audit log: who sent what to which list, who changed or erased subscribers, lists, accounts.

    One line per entry, newest first: time (UTC), who, what, on what, details.
    Who is a studio account, local:USER (the studio on 127.0.0.1 run by the
    computer's user USER), cli:USER (a leadex-mail command run by USER) or
    worker:USER (a leadex-mail worker run by USER, sending what was scheduled).
    Subscribers are named by their id (an erased person's is gone), never by
    address; passwords are never written. Sign-ins are in it too.
    """
    import json

    from leadex_mail.store.accounts import audit_log
    from leadex_mail.store.db import open_store

    with open_store(get_settings(), create=False) as store:
        entries = audit_log(store, limit=limit)
    for e in entries:
        who = f"subscriber {e.subscriber_id}" if e.subscriber_id is not None else ""
        details = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
        click.echo("\t".join([f"{e.at:%Y-%m-%d %H:%M:%S} UTC", e.actor, e.action, e.target or who, details]).rstrip("\t"))
    if not entries:
        click.echo("the audit log is empty: nothing was sent to a list, and no subscriber, list or account was changed yet", err=True)
