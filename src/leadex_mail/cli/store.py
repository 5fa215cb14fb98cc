"""CLI commands of the subscriber store: ``subscribers``, ``lists`` and ``db``.

Thin: each command opens the store, calls one core function and prints the
result. Errors are LeadexError from the core; the root group prints them.
Each change to subscribers or lists is written in the audit log as the
studio writes the same change (same action, target and details), by
``cli:<os user>``: after the change and what it did is printed (a log that
cannot be written is then an error beside it), except an erasure, logged
first and not made when it cannot be, and an export, logged before it is
given out.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from leadex_mail.cli._common import audit, get_settings
from leadex_mail.config import redact_url
from leadex_mail.errors import NotFound
from leadex_mail.files import write_atomic
from leadex_mail.store import db, gdpr, importer, lists, subscribers
from leadex_mail.store.models import SUBSCRIBER_STATUSES


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    for group in (subscribers_group, lists_group, db_group):
        main.add_command(group)


def _store() -> db.Store:
    return db.open_store(get_settings(), create=False)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"  # type: ignore[attr-defined]


@click.group("subscribers")
def subscribers_group() -> None:
    """Add, list, import, export and erase subscribers."""


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", help="Display name (used in the To: header).")
@click.option("--lang", "language", help="Language of the editions they get (default: default_language).")
@click.option("--list", "list_names", multiple=True, help="List to subscribe them to (repeatable).")
def add_command(email: str, name: str | None, language: str | None, list_names: tuple[str, ...]) -> None:
    """Add EMAIL as an active subscriber (the operator vouches for consent)."""
    settings = get_settings()
    with db.open_store(settings) as store:
        sub = subscribers.add_subscriber(
            store, email, name=name, language=language or settings.default_language, lists=list_names, allow_smtputf8=settings.smtputf8
        )
        on = f" on {', '.join(list_names)}" if list_names else ""
        click.echo(f"{sub.email}: {sub.status}, language {sub.language}{on}")
        audit(store, "subscriber_add", f"subscriber {sub.id}", subscriber_id=sub.id, detail={"lists": list(list_names), "language": sub.language})


@subscribers_group.command("list")
@click.option("--list", "list_name", help="Only subscribers of this list.")
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES), help="Only this status.")
@click.option("--lang", "language", help="Only this language.")
def list_command(list_name: str | None, status: str | None, language: str | None) -> None:
    """List subscribers (address, status, language, name)."""
    with _store() as store:
        found = subscribers.list_subscribers(store, list_name=list_name, status=status, language=language)
    for sub in found:
        click.echo(f"{sub.email}\t{sub.status}\t{sub.language}\t{sub.name or ''}")
    click.echo(f"{len(found)} subscriber{'s' if len(found) != 1 else ''}", err=True)


@subscribers_group.command("show")
@click.argument("email")
def show_command(email: str) -> None:
    """Show one subscriber with lists and the full event log."""
    with _store() as store:
        sub = subscribers.get_subscriber(store, email)
        memberships = subscribers.subscriber_lists(store, sub.id)  # type: ignore[arg-type]
        events = subscribers.subscriber_events(store, sub.id)  # type: ignore[arg-type]
    click.echo(f"email:        {sub.email}")
    click.echo(f"name:         {sub.name or '-'}")
    click.echo(f"language:     {sub.language}")
    click.echo(f"status:       {sub.status}")
    click.echo(f"created:      {_when(sub.created_at)}")
    click.echo(f"confirmed:    {_when(sub.confirmed_at)}")
    click.echo(f"unsubscribed: {_when(sub.unsubscribed_at)}")
    for key, value in sorted(sub.attributes.items()):
        click.echo(f"{key + ':':<13} {value}")
    click.echo("lists:        " + (", ".join(f"{n} ({st})" for n, st in memberships) or "-"))
    click.echo("events:")
    for e in events:
        reason = (e.detail or {}).get("reason") if e.kind == "reactivated" else None
        pairs = (
            ("ip", e.ip), ("consent", e.consent_version), ("notice", e.notice_version), ("agent", e.user_agent),
            ("campaign", (e.detail or {}).get("campaign")),
        )  # fmt: skip
        extra = " ".join(f"{k}={_visible(v)}" for k, v in pairs if v and (k != "campaign" or reason))
        extra += f" reason: {_visible(reason)}" if reason else ""
        kind = "soft-bounce" if e.kind == "bounced" and (e.detail or {}).get("hard") is False else e.kind
        click.echo(f"  {_when(e.at)}  {kind:<12} {e.source:<10} {extra.strip()}".rstrip())
        if e.source == "bounce-mail" and e.detail:
            click.echo(f"      {_evidence(e.detail)}")


def _visible(value: object) -> str:
    """Stored text as one line, control characters shown as escapes (never sent to the terminal)."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in str(value))


def _evidence(detail: dict[str, object]) -> str:
    """A bounce or complaint event's evidence on one line: what the report said, how it was matched, where it is."""
    d = detail
    said = " ".join(str(d[k]) for k in ("status", "feedback_type") if d.get(k))
    words = str(d.get("diagnostic") or "")
    parts = [said + (f" {words[:100]!r}" if words else "") if said or words else None]
    if d.get("soft_failures"):
        parts.append(f"soft bounces: {d['soft_failures']}")
    if d.get("reporting_mta") or d.get("user_agent"):
        parts.append(f"from {d.get('reporting_mta') or d.get('user_agent')}")
    match = f"matched by {d.get('match')}" + (" (unverified: may be lifted with `subscribers reactivate`)" if d.get("verified") is False else "")
    parts.append(match)
    if d.get("campaign"):
        parts.append(f"campaign {d['campaign']}, delivery {d.get('delivery')}")
    if d.get("report"):
        parts.append(f"report {d['report']}")
    return "; ".join(p for p in parts if p)


@subscribers_group.command("unsubscribe")
@click.argument("email")
@click.option("--list", "list_name", help="Only from this list (default: from everything).")
def unsubscribe_command(email: str, list_name: str | None) -> None:
    """Unsubscribe EMAIL (recorded as done by the operator)."""
    with _store() as store:
        sub = subscribers.get_subscriber(store, email)
        list_id = lists.get_list(store, list_name).id if list_name else None
        changed = subscribers.unsubscribe(store, sub.id, source="cli", list_id=list_id)  # type: ignore[arg-type]
        click.echo(f"{sub.email}: {'unsubscribed' if changed else 'was already unsubscribed'}{f' from {list_name}' if list_name else ''}")
        detail = {"changed": changed, **({"list": list_name} if list_name else {})}
        audit(store, "subscriber_unsubscribe", f"subscriber {sub.id}", subscriber_id=sub.id, detail=detail)


@subscribers_group.command("reactivate")
@click.argument("email", required=False)
@click.option("--reason", required=True, help="Why the bounce was wrong (kept in the event log).")
@click.option("--campaign", "issue", metavar="ISSUE", help="Instead of EMAIL: every hard bounce of this issue's campaign (a wrong wave).")
@click.option("--list", "list_name", help="With --campaign: only its campaign to this list.")
@click.option("--reply", "reply_contains", metavar="WORDS", help="With --campaign: only bounces whose server reply holds these words.")
@click.option("--dry-run", is_flag=True, help="With --campaign: list who would be reactivated; change nothing.")
def reactivate_command(
    email: str | None, reason: str, issue: str | None, list_name: str | None, reply_contains: str | None, dry_run: bool,
) -> None:
    """Lift EMAIL's bounce suppression when it was wrong (never an erasure, unsubscribe or complaint).

    With --campaign ISSUE instead of EMAIL, lift every hard bounce recorded
    against that issue's deliveries in one go (e.g. a relay whose refusal of
    the sender was taken for "no such mailbox"); --reply narrows it to the
    bounces whose server reply holds some words, --dry-run shows who first.
    """
    from leadex_mail.store.reactivation import reactivate_bounced, reactivate_campaign_bounces

    if (email is None) == (issue is None):
        raise click.UsageError("give either EMAIL or --campaign ISSUE")
    if email is not None and (list_name or reply_contains or dry_run):
        raise click.UsageError("--list, --reply and --dry-run go with --campaign ISSUE")
    with _store() as store:
        if email is not None:
            sub = reactivate_bounced(store, email, reason=reason)
            click.echo(f"{sub.email}: active again; the bounce suppression is lifted and the reason logged")
            audit(store, "subscriber_reactivate", f"subscriber {sub.id}", subscriber_id=sub.id)  # the reason is in the person's event log
            return
        wave = reactivate_campaign_bounces(store, issue, reason=reason, list_name=list_name, reply_contains=reply_contains, dry_run=dry_run)
        for address in wave.reactivated:
            click.echo(f"{address}: {'would be active again' if dry_run else 'active again'}")
        for address, why in wave.kept:
            click.echo(f"{address}: kept suppressed ({why})")
        done = "would be reactivated (dry run: nothing changed)" if dry_run else "reactivated; their bounce suppressions are lifted and the reason logged"
        click.echo(f"{len(wave.reactivated)} {done}" + (f"; {len(wave.kept)} kept" if wave.kept else ""))
        if not dry_run:
            audit(store, "subscriber_reactivate", f"bounces of {issue}", detail={"reactivated": len(wave.reactivated), "kept": len(wave.kept), "list": list_name})


@subscribers_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "list_name", help="Put everyone imported on this list.")
@click.option("--lang", "language", help="Language of rows that have none.")
@click.option("--encoding", help="The file's encoding (e.g. windows-1252) when detection cannot tell.")
@click.option("--trust-encoding", is_flag=True, help="Import with --encoding even where the names read as no language spells them.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
def import_command(file: Path, list_name: str | None, language: str | None, encoding: str | None, trust_encoding: bool, dry_run: bool) -> None:
    """Import subscribers from a CSV or Excel text export (docs/import.md).

    The encoding (UTF-8, UTF-16, Windows-1250/1251/1252/1257), the delimiter
    (comma, semicolon, tab, or Excel's sep= line) and the columns (in
    English, Slovenian, Croatian, Spanish, Estonian, Polish, Danish or
    Montenegrin) are recognised; the report says how the file was read.
    """
    from leadex_mail.content.loader import edition_languages
    from leadex_mail.store.importreport import Editions

    settings = get_settings()
    editions = Editions(frozenset(edition_languages(settings)), settings.default_language)
    with db.open_store(settings) as store:
        report = importer.import_csv(
            store, file, list_name=list_name, language=language, dry_run=dry_run, encoding=encoding, trust_encoding=trust_encoding,
            allow_smtputf8=settings.smtputf8, default_language=settings.default_language, editions=editions,
        )
        click.echo(report.format())
        if not dry_run:
            detail = {"imported": report.imported, "updated": report.updated, "rejected": len(report.rejected), "list": list_name}
            audit(store, "subscriber_import", file.name, detail=detail)


@subscribers_group.command("export")
@click.argument("email", required=False)
@click.option("--format", "fmt", type=click.Choice(gdpr.EXPORT_FORMATS), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def export_command(email: str | None, fmt: str, output: Path | None) -> None:
    """Export everything stored about EMAIL, or about everyone (GDPR Art. 15/20).

    CSV is UTF-8 with a byte order mark (so Excel reads č, š, ž); `csv`
    separates cells with commas, `excel` with semicolons, as Excel set to
    Slovenian or another language that writes decimals with a comma expects.

    In CSV, a cell starting with = + - @ (or a tab, CR, LF) gets a leading '
    so spreadsheets show it as text instead of running it (OWASP CSV injection).
    """
    with _store() as store:
        text = gdpr.export_text(store, fmt, email)
        audit(store, "subscriber_export", "one subscriber" if email else "everyone", detail={"format": fmt})  # before it is given out
    if output:
        write_atomic(output, text, private=True)  # personal data: 0600; WriteFailed names a full disk
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)


@subscribers_group.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget_command(email: str, yes: bool) -> None:
    """Erase EMAIL's personal data everywhere and suppress it for good (GDPR Art. 17)."""
    if not yes:
        click.confirm(f"Erase everything about {email}? This cannot be undone", abort=True)
    with _store() as store:
        try:
            sid = subscribers.get_subscriber(store, email).id
        except NotFound:  # the address is suppressed all the same; the log names no address
            sid = None
        # First: an erasure the audit log cannot show is not made (as in the studio).
        audit(store, "subscriber_erase", f"subscriber {sid}" if sid is not None else "an address with no subscriber", subscriber_id=sid)
        done = gdpr.forget(store, email)
    what = "subscriber deleted" if done.subscriber_found else "no subscriber with that address"
    click.echo(
        f"{done.address}: {what}; {done.events_anonymised} events and {done.deliveries_anonymised} deliveries anonymised; "
        f"{done.test_sends_deleted} test sends deleted; {done.reports_scrubbed} bounce reports about or naming it cleaned; address suppressed"
    )


@subscribers_group.command("stats")
def stats_command() -> None:
    """Counts per status, language and list."""
    with _store() as store:
        st = subscribers.stats(store)
    click.echo(f"subscribers: {st.total}")
    for status in SUBSCRIBER_STATUSES:
        click.echo(f"  {status}: {st.by_status.get(status, 0)}")
    click.echo("languages: " + (", ".join(f"{k} {v}" for k, v in sorted(st.by_language.items())) or "-"))
    for info in st.lists:
        click.echo(f"list {info.list.name}: {info.reachable} reachable{_unreachable(info)}, {info.unsubscribed} unsubscribed")
    click.echo(f"suppressed addresses: {st.suppressed}")
    click.echo(f"events: {st.events}")


@subscribers_group.command("purge-pending")
@click.option("--older-than", "days", type=click.IntRange(min=0), help="Days since the sign-up (default: pending_purge_days).")
def purge_pending_command(days: int | None) -> None:
    """Delete sign-ups that were never confirmed."""
    settings = get_settings()
    with db.open_store(settings, create=False) as store:
        older = settings.pending_purge_days if days is None else days
        n = subscribers.purge_pending(store, timedelta(days=older))
        click.echo(f"purged {n} unconfirmed sign-up{'s' if n != 1 else ''}")
        audit(store, "subscriber_purge", "unconfirmed sign-ups", detail={"purged": n, "older_than_days": older})


@click.group("lists")
def lists_group() -> None:
    """Create, change, show and delete mailing lists (public or private)."""


def _visibility(public: bool) -> str:
    return "public (on the sign-up form; its issues in the public archive)" if public else "private (not on the sign-up form; its issues not in the public archive)"


@lists_group.command("create")
@click.argument("name")
@click.option("--title", help="Display name, e.g. 'LeadEx novice'.")
@click.option("--description", help="One line about the list.")
@click.option(
    "--public/--private",
    default=False,
    show_default=True,
    help="Public lists are offered on the sign-up form and their issues shown in the public archive; private ones (internal, tests, partners) never.",
)
def lists_create(name: str, title: str | None, description: str | None, public: bool) -> None:
    """Create the list NAME (a slug such as news-sl); private unless --public."""
    with db.open_store(get_settings()) as store:
        item = lists.create_list(store, name, title=title, description=description, public=public)
        click.echo(f"created list {item.name}: {_visibility(item.public)}")
        audit(store, "list_create", item.name, detail={"public": item.public})
    if not item.public:
        click.echo(f"to offer it on the sign-up form: leadex-mail lists update {item.name} --public", err=True)


@lists_group.command("update")
@click.argument("name")
@click.option("--public/--private", default=None, help="Offer it on the sign-up form and show its issues in the public archive, or stop.")
@click.option("--title", help="New display name.")
@click.option("--description", help="New one-line description.")
def lists_update(name: str, public: bool | None, title: str | None, description: str | None) -> None:
    """Change the list NAME: public or private, title, description."""
    if public is None and title is None and description is None:
        raise click.UsageError("say what to change: --public or --private, --title, --description")
    with _store() as store:
        change = lists.update_list(store, name, public=public, title=title, description=description)
        click.echo(f"list {change.list.name}: {_visibility(change.list.public)}")
        asked = {"public": public, "title": title, "description": description}
        audit(store, "list_update", change.list.name, detail={k: v for k, v in asked.items() if v is not None})
    if change.now_public:
        click.echo(f"now in the public archive: {', '.join(change.now_public)}")
    if change.now_hidden:
        click.echo(f"no longer in the public archive: {', '.join(change.now_hidden)}")


def _unreachable(info: lists.ListInfo) -> str:
    """``", 1 unreachable (bounced 1)"``: who is on the list and not mailed, when anyone is (``ListInfo.not_reachable``)."""
    n = sum(info.not_reachable.values())
    return f", {n} unreachable{_unreachable_why(info)}" if n else ""


def _unreachable_why(info: lists.ListInfo) -> str:
    return f" ({', '.join(f'{status} {n}' for status, n in info.not_reachable.items())})" if info.not_reachable else ""


@lists_group.command("list")
def lists_list() -> None:
    """All lists with their visibility and subscriber counts."""
    with _store() as store:
        infos = lists.list_infos(store)
    for info in infos:
        visibility = "public" if info.list.public else "private"
        click.echo(f"{info.list.name}\t{visibility}\t{info.reachable} reachable{_unreachable(info)}\t{info.unsubscribed} unsubscribed\t{info.list.title}")
    if not infos:
        click.echo("no lists yet; create one with `leadex-mail lists create NAME`", err=True)


@lists_group.command("show")
@click.argument("name")
def lists_show(name: str) -> None:
    """One list's details."""
    with _store() as store:
        info = lists.list_info(store, name)
    click.echo(f"name:         {info.list.name}")
    click.echo(f"title:        {info.list.title or '-'}")
    click.echo(f"description:  {info.list.description or '-'}")
    click.echo(f"visibility:   {_visibility(info.list.public)}")
    click.echo(f"created:      {_when(info.list.created_at)}")
    click.echo(f"reachable:    {info.reachable} (a send mails them)")
    click.echo(f"unreachable:  {sum(info.not_reachable.values())}{_unreachable_why(info)}")
    click.echo(f"unsubscribed: {info.unsubscribed}")


@lists_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def lists_delete(name: str, yes: bool) -> None:
    """Delete the list NAME and its subscriptions (not the subscribers)."""
    if not yes:
        click.confirm(f"Delete list {name} and all its subscriptions?", abort=True)
    with _store() as store:
        lists.delete_list(store, name)
        click.echo(f"deleted list {name}")
        audit(store, "list_delete", name)


@click.group("db")
def db_group() -> None:
    """Schema migrations of the subscriber store."""


@db_group.command("status")
def db_status() -> None:
    """Show the schema revision and pending migrations (changes nothing)."""
    with db.open_store(get_settings(), migrate=False, create=False) as store:
        status = db.migration_status(store)
    click.echo(f"database: {redact_url(store.engine.url.render_as_string(hide_password=False))}")
    click.echo(f"current revision: {status.current or 'none (empty database)'}")
    click.echo(f"newest revision:  {status.head}")
    if status.up_to_date:
        click.echo("up to date")
    for item in status.pending:
        click.echo(f"pending: {item}")


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (also done automatically on first use); starts a new store when there is none."""
    with db.open_store(get_settings(), migrate=False) as store:
        applied = db.upgrade(store)
    click.echo("\n".join(f"applied {item}" for item in applied) if applied else "already up to date")
