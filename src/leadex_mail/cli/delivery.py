"""CLI commands of the campaign engine: ``send``, ``status``, ``retry`` and ``demo``.

Thin: parse, call the runner, print. Plans and summaries go to stdout, the
progress bar to stderr (so ``send ... > log`` keeps a clean log).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from leadex_mail.cli._common import cli_actor, command_prefix, echo_error, edition_language_option, get_settings

if TYPE_CHECKING:  # the engine's imports (SQLAlchemy, rendering) load only when a command runs
    from leadex_mail.campaign.runner import CampaignPlan, CampaignReport, CampaignSummary, Progress
    from leadex_mail.config import Settings
    from leadex_mail.delivery.replies import Classification
    from leadex_mail.store import campaigns
    from leadex_mail.store.overlap import OtherList
    from leadex_mail.errors import Problem
    from leadex_mail.gates.readiness import Readiness
    from leadex_mail.store.db import Store

# Exit codes of ``send`` (documented in its help, hence in docs/cli.md).
EXIT_ALL_SENT = 0
EXIT_FAILURES = 3  # the run ended; some deliveries failed
EXIT_PAUSED = 4
EXIT_INTERRUPTED = 128  # + the signal's number, as shells report it (130 Ctrl-C, 143 SIGTERM)


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (send_command, status_command, retry_command, demo_command):
        main.add_command(command)


class ProgressBar:
    """A one-line progress display on stderr: count, rate, ETA, failures.

    Redrawn in place at most five times a second on a terminal; elsewhere a
    plain line every ten seconds, so logs stay readable.
    """

    def __init__(self) -> None:
        self.stream = click.get_text_stream("stderr")
        self.tty = self.stream.isatty()
        self.last = 0.0
        self.drawn = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 10.0) and p.done < p.total:
            return
        self.last = now
        rate = p.done / p.elapsed if p.elapsed > 0 else 0.0
        eta = (p.total - p.done) / rate if rate > 0 else 0.0
        width = 24
        filled = int(width * p.done / p.total) if p.total else width
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {p.done}/{p.total}  {rate:6.1f} msg/s  "
            f"ETA {int(eta) // 60}:{int(eta) % 60:02d}  failed {p.failed}  retrying {p.retrying}"
        )
        if self.tty:
            self.stream.write("\r" + line)
            self.drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the in-place line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _print_plan(plan: CampaignPlan) -> None:
    if plan.campaign_status is None:
        state = "new campaign"
    elif plan.campaign_status == "done" and not plan.total:
        state = f"already done ({plan.already_sent} sent)"
    else:
        state = f"resuming a {plan.campaign_status} campaign ({plan.already_sent} already sent)"
    click.echo(f"Issue {plan.issue_slug} to list {plan.list_name!r}: {state}")
    for language, n in plan.per_language.items():
        click.echo(f"  {language}: {n} recipient{'s' if n != 1 else ''}")
    _print_other_lists(plan.other_lists, plan.issue_slug)
    click.echo(f"  total: {plan.total}")
    if plan.campaign_status is not None and plan.total:  # a resume sends to the list as it is now (docs/decisions.md)
        click.echo(f"  of them joined the list since the campaign started: {plan.joined} (they get it too; people who left since do not)")
    click.echo(f"  transport: {plan.transport}")
    click.echo(f"  rate: {plan.rate}; {plan.concurrency} connection{'s' if plan.concurrency != 1 else ''}")


def _print_replaced_schedule(store: Store, settings: Settings, plan: CampaignPlan) -> None:
    """Sending now replaces the issue's schedule to this list (``send_campaign``'s ``by_hand``): said first, as the studio does."""
    from leadex_mail.cli.schedule import when
    from leadex_mail.store.schedule import waiting

    for s in (s for s in waiting(store) if (s.issue_slug, s.list_name) == (plan.issue_slug, plan.list_name)):
        click.echo(f"  scheduled: this issue is scheduled to go to this list at {when(s.send_at, settings)};"
                   " sending now replaces that: the schedule is removed and the issue goes now")


def _print_other_lists(others: Sequence[OtherList], slug: str) -> None:
    """Who on the list is left to the issue's campaign to another list: one delivery per person per issue."""
    for e in others:
        name = repr(e.list_name)
        if e.received:
            click.echo(f"  {_people(e.received)} on this list already received this issue through the list {name} and will not get it again")
        if e.pending:
            verb = "is" if e.pending == 1 else "are"
            click.echo(f"  {_people(e.pending)} on this list {verb} getting this issue through the list {name} (not finished there)"
                       " and will not get it from this list")
        if e.not_sent:
            verb = "was" if e.not_sent == 1 else "were"
            click.echo(
                f"  {_people(e.not_sent)} on this list {verb} not reached by the send of this issue to the list {name} (failed or skipped there;"
                f" `{command_prefix()} retry {slug} --list {e.list_name}` tries the failures again) and will not get it from this list"
            )


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _print_readiness(readiness: Readiness) -> None:
    """What `check` found that did not stop the send, shown before the confirmation."""
    if readiness.errors:
        click.echo(f"  check: {_plural(len(readiness.errors), 'error')}, sending anyway (--force):")
        _print_problems(readiness.errors)
    if readiness.warnings:
        click.echo(f"  check: {_plural(len(readiness.warnings), 'warning')}:")
        _print_problems(readiness.warnings)
    for notice in readiness.notices:
        click.echo(f"  check: note: {notice}")


def _print_problems(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        click.echo("    " + problem.format().replace("\n", "\n    "))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counts_line(counts: dict[str, int]) -> str:
    shown = [f"{state} {n}" for state, n in counts.items() if n and state not in ("uncertain", "held")]
    held = counts.get("held", 0)
    if counts.get("uncertain", 0) > held:
        shown.append(f"(uncertain {counts['uncertain'] - held}: the reply was lost or the send stopped mid-message; may have received it twice)")
    if held:
        shown.append(f"(held {held}: the reply was lost or the send stopped mid-message, and it was not sent again; may have received it once, or not at all)")
    return ", ".join(shown) or "no deliveries"


def resume_command(
    slug: str, list_name: str, *, language: str | None = None, rate: str | None = None, concurrency: int | None = None,
    force: bool = False, deep: bool | None = None,
) -> str:
    """The ``send`` command that continues this one, as it was invoked: ``--config`` and the options that change the send.

    Without ``--resume`` (added where printed). Run literally, it must reach
    the same store at the same pace with the same checks (finding: the
    printed command dropped ``--config`` and ``--rate``, and run as printed
    it said "there is no list" of the default store).
    """
    import shlex

    parts = [command_prefix(), "send", shlex.quote(slug), "--list", shlex.quote(list_name)]
    parts += ["--lang", shlex.quote(language)] if language else []
    parts += ["--rate", shlex.quote(rate)] if rate else []
    parts += ["--concurrency", str(concurrency)] if concurrency else []
    parts += ["--force"] if force else []
    parts += ["--no-deep"] if deep is False else []
    return " ".join(parts)


def _print_report(report: CampaignReport, command: str) -> None:
    prefix = command_prefix()
    if report.status == "dry-run":
        per = ", ".join(f"{lang} {n}" for lang, n in sorted(report.counts.items())) or "none"
        click.echo(f"Dry run: built {report.built} messages ({per}) in {report.elapsed:.1f} s; nothing was sent or recorded.")
        return
    if report.sent_now or report.failed_now or report.skipped_now:
        click.echo(f"Sent {report.sent_now} in {report.elapsed:.1f} s ({report.rate:.1f} msg/s); failed {report.failed_now}, skipped {report.skipped_now}.")
    else:
        click.echo("Nothing was sent in this run.")
    click.echo(f"Campaign {report.status}: {_counts_line(report.counts)}")
    _print_other_lists(report.other_lists, report.issue_slug)
    for f in report.failures[:10]:
        click.echo(f"  {f.state:<10} {f.email or '(erased)'}  attempts {f.attempts}  {f.reply or ''}")
    _print_refusal_hints(report.failures)
    if len(report.failures) > 10:
        click.echo(f"  ... see `leadex-mail status {report.issue_slug}` for all")
    if report.outbox is not None and report.sent_now:
        click.echo(f"Messages are in {report.outbox}/")
    if report.interrupted and report.status != "done":
        click.echo("Interrupted: the messages being sent were finished and recorded; the rest wait in the queue.")
        click.echo(f"To continue: {command} --resume")
    elif report.status == "paused":
        click.echo(f"Paused: {report.paused_reason}")
        click.echo(f"To continue once the server is fine: {command} --resume")
    elif report.status == "running" and report.held_elsewhere:
        # Only a run that stopped early (--limit, --lang) ends with others' rows left: it waits for them otherwise.
        click.echo(
            f"Not finished: another sender, running now, holds {report.held_elsewhere} deliver{'y' if report.held_elsewhere == 1 else 'ies'} of this campaign"
            f" (`{prefix} status {report.issue_slug}` shows how far it got). To send the rest from here too: {command} --resume"
        )
    elif report.status == "running":
        click.echo(f"Not finished. To continue: {command} --resume")
    if report.counts.get("failed", 0) > report.counts.get("held", 0):
        click.echo(f"To try temporary failures, full mailboxes and refusals again: {prefix} retry {report.issue_slug} --list {report.list_name}")
    if report.counts.get("held"):
        click.echo(f"To send the held ones anyway: {prefix} retry {report.issue_slug} --list {report.list_name} --uncertain")


def send_exit_code(report: CampaignReport, signals: list[int]) -> int:
    """0 only when every delivery of the run was sent (or skipped); see the ``send`` help."""
    if report.interrupted and report.status != "done":
        return EXIT_INTERRUPTED + (signals[0] if signals else signal.SIGINT)
    if report.status == "paused":
        return EXIT_PAUSED
    if report.failed_now:
        return EXIT_FAILURES
    return EXIT_ALL_SENT


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """While inside, SIGINT (Ctrl-C) and SIGTERM set ``stop`` instead of killing; yields the signals received.

    The send then finishes the messages in hand and gives the rest back, so
    no delivery is left "sending". Only the main thread can install handlers;
    elsewhere (an embedding program) this does nothing.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame: object) -> None:
        first = not received
        received.append(signum)
        # Set before saying so: os.write lets the workers run, and once
        # "Stopping" is out none of them may start another message.
        stop.set()
        if first:
            # os.write, not click.echo: a handler may run in the middle of the
            # main thread's own buffered write, which must not be re-entered.
            os.write(2, b"\nStopping: finishing the messages being sent; the rest stay in the queue.\n")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command("send")
@click.argument("issue")
@click.option("--list", "list_name", metavar="NAME", help="The list to send to (may be left out with --resume).")
@click.option("--lang", "language", default=None, help="Send only this edition (everyone is still queued).", callback=edition_language_option)
@click.option("--dry-run", is_flag=True, help="Build every message, send and record nothing.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Send at most N messages in this run.")
@click.option("--rate", default=None, metavar="N/min|N/h", help="Sending rate limit for every sender of the store together (default: send_rate setting).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="Parallel SMTP connections (default: send_concurrency).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--resume", is_flag=True, help="Continue an existing campaign (after a crash, pause or --limit), to the list as it is now: people who joined since it started get it too, people who left do not.")
@click.option("--force", is_flag=True, help="Send even though `check` finds errors (placeholder links, draft text, ...).")
@click.option("--deep/--no-deep", default=None, help="Run the checks of `check --deep` first (default: the send_deep_check setting, on).")
@click.option("--at", "at", default=None, metavar="TIME", help='Schedule instead of sending now: "2026-05-04 09:00" in the timezone setting; a `worker` checks the issue again then and sends it (held while the check finds errors, unless --force).')
def send_command(
    issue: str, list_name: str | None, language: str | None, dry_run: bool, limit: int | None, rate: str | None, concurrency: int | None,
    yes: bool, resume: bool, force: bool, deep: bool | None, at: str | None,
) -> None:
    """Send ISSUE to a list, once per subscriber; the same command again resumes it.

    Runs the checks of `leadex-mail check --deep` first (--no-deep: those of
    `check` only) and refuses an issue with errors unless --force; warnings
    are listed before the confirmation.

    Ctrl-C or SIGTERM stops it cleanly: the messages being sent are finished
    and recorded, the rest wait in the queue, and the command to continue is
    printed.

    \b
    Exit codes:
      0    every delivery of this run was sent (or skipped: the person left meanwhile)
      1    an error stopped it (the message says what, and how to continue),
           or `check --deep` found errors in the issue
      2    bad usage or configuration
      3    the run ended, but some deliveries failed (`leadex-mail status ISSUE` lists them)
      4    the campaign paused itself (server failures, or the same refusal many times in a row)
      130  interrupted by Ctrl-C (143: by SIGTERM)
    """
    from leadex_mail.content.loader import load_issue
    from leadex_mail.campaign.audit import record_send
    from leadex_mail.campaign.runner import campaign_list, plan_campaign, send_campaign
    from leadex_mail.errors import SendStopped
    from leadex_mail.gates.readiness import ready_to_send
    from leadex_mail.store.db import open_store

    if not list_name and not resume:
        raise click.UsageError("name the list with --list NAME (or continue a campaign with --resume)")
    if at is not None:
        if dry_run or resume or limit is not None or rate or concurrency:
            raise click.UsageError("--at schedules the whole campaign: --dry-run, --resume, --limit, --rate and --concurrency apply to sending now "
                                   "(a worker sends at the send_rate and send_concurrency settings)")
        from leadex_mail.cli.schedule import schedule_send

        schedule_send(issue, list_name, at, language, force, deep)  # type: ignore[arg-type]
        return
    settings = get_settings()
    store = open_store(settings, create=False)
    loaded = load_issue(issue, settings)
    readiness = ready_to_send(loaded, settings, force=force, deep=deep)
    list_name = campaign_list(store, loaded.slug, list_name)
    plan = plan_campaign(store, loaded, settings, list_name=list_name, language=language, rate=rate, concurrency=concurrency)
    _print_plan(plan)
    if not dry_run and plan.total:
        _print_replaced_schedule(store, settings, plan)
    _print_readiness(readiness)
    if not dry_run and plan.total and not yes:
        count = plan.total if limit is None else min(plan.total, limit)
        click.confirm(f"Send {count} message{'' if count == 1 else 's'} now?", abort=True)
    command = resume_command(loaded.slug, list_name, language=language, rate=rate, concurrency=concurrency, force=force, deep=deep)
    if not dry_run:  # first, as the studio's: a send the audit log cannot show is refused before it starts
        record_send(store, cli_actor(), plan, language=language, limit=limit)
    bar = ProgressBar()
    stop = threading.Event()
    try:
        with stop_on_signals(stop) as received:
            report = send_campaign(
                store, loaded, settings, list_name=list_name, language=language, limit=limit, dry_run=dry_run, resume=resume,
                rate=rate, concurrency=concurrency, progress=bar, stop=stop, by_hand=cli_actor(),
            )
    except SendStopped as err:
        bar.close()
        echo_error(err)
        click.echo(f"Each delivery is recorded as it goes: once that is fixed, continue with: {command} --resume", err=True)
        _record_finished(store, loaded.slug, list_name, None, err.message)
        sys.stdout.flush()
        click.get_current_context().exit(err.exit_code)
    finally:
        bar.close()
    _print_report(report, command)
    code = send_exit_code(report, received)
    if not dry_run and not _record_finished(store, loaded.slug, list_name, report):
        code = code or 1
    sys.stdout.flush()
    click.get_current_context().exit(code)


def _record_finished(store: Store, slug: str, list_name: str, report: CampaignReport | None, error: str | None = None) -> bool:
    """Write the end of the send in the audit log (``send_finished``); False, said on stderr, when it cannot be written.

    The send itself is recorded in its deliveries whatever happens here: the
    report is printed first, and a store that failed the send fails this too.
    """
    from leadex_mail.campaign.audit import record_finished
    from leadex_mail.errors import StoreError

    try:
        record_finished(store, cli_actor(), slug, list_name, report, error)
    except StoreError as err:
        click.echo(f"The end of this send is not in the audit log (its deliveries say how it went): {err.message}", err=True)
        return False
    return True


def _refusal(reply: str | None) -> Classification | None:
    """What a recorded 5xx reply means (``replies.classify``); None for no reply or a temporary one."""
    from leadex_mail.delivery.replies import Kind, classify

    verdict = classify(reply) if reply else None
    # Only a server's own 5xx words: our notes ("not sent again: …", "timeout") are no refusal.
    return verdict if verdict is not None and verdict.kind is Kind.REJECTED and verdict.code is not None else None


def _print_refusal_hints(failures: Sequence[campaigns.Failure]) -> None:
    """One hint per kind of refusal among ``failures`` (a sender refused at MAIL FROM waits as a retry: say why)."""
    seen: set[str] = set()
    for f in failures:
        verdict = _refusal(f.reply)
        if verdict is not None and verdict.hint and verdict.category not in seen:
            seen.add(verdict.category)
            click.echo(f"  hint ({verdict.category}): {verdict.hint}")


def _print_summary(s: CampaignSummary) -> None:
    c = s.campaign
    shown = "interrupted" if s.interrupted else c.status
    if shown == "done" and s.counts.get("failed"):  # never just "done" when some could not be delivered (the studio's words)
        shown = f"done: {s.counts.get('sent', 0)} of {s.total} sent, {s.counts['failed']} could not be delivered"
    click.echo(f"{c.issue_slug} -> {s.list_name}: {shown}  (campaign {c.id}, started {c.created_at:%Y-%m-%d %H:%M} UTC)")
    click.echo(f"  {s.total} deliveries: {_counts_line(s.counts)}")
    if s.interrupted:
        click.echo("  interrupted: no sender is working on it (stopped or killed, and its leases have run out);"
                   f" resume with: {resume_command(c.issue_slug, s.list_name)} --resume")
    for sender in s.live_senders:
        held = f", {sender.leased} claimed" if sender.leased else ""
        waits = ", waiting for the deliveries other senders hold" if sender.waiting else ""
        click.echo(f"  being sent by {sender.where}{held}{waits} (live until at least {sender.until:%Y-%m-%d %H:%M:%S} UTC)")
    if s.rate:
        click.echo(f"  average rate: {s.rate:.1f} msg/s")
    _print_other_lists(s.other_lists, c.issue_slug)
    if c.paused_reason:
        click.echo(f"  paused: {c.paused_reason}")
    for f in s.failures:
        verdict = _refusal(f.reply)
        # A refusal waiting as a retry (the sender refused at MAIL FROM) is not "temporary": say what it is.
        label = f"refused: {verdict.category}" if verdict is not None and f.error_kind in (None, "temporary") else f.error_kind
        kind = f" ({label})" if label else ""
        click.echo(f"  {f.state}{kind}: {f.email or '(erased)'}  [{f.language}]  attempts {f.attempts}  {f.reply or ''}")
    _print_refusal_hints(s.failures)
    for f in s.uncertain:
        click.echo(f"  sent, possibly twice: {f.email or '(erased)'}  [{f.language}]  attempts {f.attempts}  {f.reply or ''}")
    if any(f.error_kind == "uncertain" for f in s.failures):
        click.echo(f"  held (uncertain): not sent again; to send them anyway: {command_prefix()} retry {c.issue_slug} --list {s.list_name} --uncertain")


@click.command("status")
@click.argument("issue", required=False)
def status_command(issue: str | None) -> None:
    """Show campaigns (of ISSUE) with counts per state, rate and failures with reasons."""
    from leadex_mail.campaign.runner import campaign_status
    from leadex_mail.store.db import open_store

    from leadex_mail.cli.schedule import print_scheduled
    from leadex_mail.store.schedule import waiting

    settings = get_settings()
    store = open_store(settings, create=False)
    scheduled = [s for s in waiting(store) if issue in (None, s.issue_slug)]
    summaries = campaign_status(store, issue) if not (issue and scheduled) else [s for s in campaign_status(store) if s.campaign.issue_slug == issue]
    if not summaries and not scheduled:
        click.echo("No campaigns yet. Send one with `leadex-mail send ISSUE --list NAME`.")
    print_scheduled(scheduled, settings)
    for s in summaries:
        _print_summary(s)
    _print_confirmations(store)


def _print_confirmations(store: Store) -> None:
    """One line when sign-up confirmation mails wait or failed (details: ``leadex-mail confirmations``)."""
    from leadex_mail.cli.web import confirmation_counts
    from leadex_mail.store.outgoing import queue_summary

    summary = queue_summary(store, limit=0)
    if summary.unsent or summary.counts.get("failed"):
        click.echo(f"Confirmation mails (sign-ups): {confirmation_counts(summary)}; details: leadex-mail confirmations")


@click.command("retry")
@click.argument("issue")
@click.option("--list", "list_name", metavar="NAME", help="The campaign's list (when the issue went to several).")
@click.option("--uncertain", is_flag=True, help="Also re-send deliveries held after a lost reply (send_uncertain = hold).")
def retry_command(issue: str, list_name: str | None, uncertain: bool) -> None:
    """Re-queue ISSUE's failed deliveries that may succeed now, then send them with `send --resume`.

    Temporary failures, full mailboxes and refusals (policy, content, size)
    are re-queued; addresses that do not exist (hard bounces) never are.
    """
    from leadex_mail.campaign.runner import retry_campaign
    from leadex_mail.store.db import open_store

    # Logged as send_retry in the same transaction (when anything is left to send), as the studio's retry.
    name, n = retry_campaign(open_store(get_settings(), create=False), issue, list_name, uncertain=uncertain, actor=cli_actor())
    click.echo(f"Re-queued {n} failed deliver{'y' if n == 1 else 'ies'} of {issue} to {name!r}.")
    if n:
        click.echo(f"Send them with: {resume_command(issue, name)} --resume")


@click.command("demo", short_help="Send issue No. 1 to example subscribers through the outbox.")
def demo_command() -> None:
    """Send issue No. 1 to a few example subscribers through the outbox (nothing leaves the machine)."""
    from leadex_mail.campaign.demo import DEMO_ISSUE, run_demo

    bar = ProgressBar()
    try:
        result = run_demo(get_settings(), actor=cli_actor(), progress=bar)
    finally:
        bar.close()
    report = result.report
    if result.added:
        click.echo(f"Added {len(result.added)} example subscribers to {result.database}: {', '.join(result.added)}")
    if result.already_sent:
        click.echo(f"Issue {DEMO_ISSUE} was already sent to the list 'newsletter'; nothing sent again (no duplicates).")
    else:
        click.echo(f"Sent issue {DEMO_ISSUE} to {report.sent_now} subscribers through the outbox transport.")
    click.echo(f"Deliveries: {_counts_line(report.counts)}")
    click.echo(f"The messages (.eml files) are in {report.outbox}/")
    click.echo("Next steps:")
    click.echo(f"  leadex-mail preview {DEMO_ISSUE}      # see the issue in a browser, desktop and mobile")
    click.echo(f"  leadex-mail status {DEMO_ISSUE}       # who got it, failures with reasons")
    click.echo("  configure SMTP (LEADEX_SMTP_HOST, LEADEX_SMTP_USER, LEADEX_SMTP_PASSWORD, LEADEX_SECRET_KEY),")
    click.echo(f"  then: leadex-mail send-test {DEMO_ISSUE} --to you@example.org")
