"""Scheduled campaigns and the long-running worker that sends them.

``send ISSUE --list L --at "2026-05-04 09:00"`` stores the campaign's time
(``store.schedule``): the time is read in the ``timezone`` setting (an IANA
name; unset: this machine's zone) and kept in UTC. ``leadex-mail worker``
(``run_worker``) then runs on any number of machines against one store.
Each round it

1. starts every scheduled campaign that is due (``send_campaign``: its
   insert-or-get makes several workers starting one campaign share it), and
2. resumes every scheduled campaign left ``running`` with deliveries still
   to send (a worker that crashed, was killed or stopped). Campaigns started
   by hand with ``send`` are left to ``send --resume`` (a ``send --limit 5``
   stays at 5), and paused ones wait for the operator, as a pause means a
   person should look.

and then waits ``poll_seconds`` (or until ``stop`` is set: SIGTERM). A stop
during a send ends it as Ctrl-C ends ``send``: the messages in hand are
finished and recorded, the rest stay queued for the next worker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Callable
from zoneinfo import ZoneInfo

from leadex_mail.campaign.runner import CampaignReport, send_campaign
from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.errors import CampaignError, ConfigError, LeadexError
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.db import Store
from leadex_mail.store.models import utcnow


def zone(settings: Settings) -> tzinfo | None:
    """The zone times are typed in: the ``timezone`` setting, or None for this machine's own (with its summer time)."""
    return ZoneInfo(settings.timezone) if settings.timezone else None


def parse_send_time(text: str, settings: Settings) -> datetime:
    """``"2026-05-04 09:00"`` (or ISO 8601, optionally with an offset) as an aware datetime.

    Without an offset the time is read in ``zone(settings)``. Raises
    ``CampaignError`` for text that is not a date and time.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CampaignError(f"cannot read the time {text!r}", hint='write it as YYYY-MM-DD HH:MM, e.g. --at "2026-05-04 09:00"') from None
    if value.tzinfo is not None:
        return value
    where = zone(settings)
    return value.replace(tzinfo=where) if where is not None else value.astimezone()  # astimezone: the machine's rules for that date


def schedule_campaign(store: Store, issue: Issue, list_name: str, send_at: datetime, *, language: str | None = None, now: datetime | None = None) -> schedule.Scheduled:
    """Schedule ``issue`` to ``list_name`` at ``send_at``; a ``worker`` sends it when due. See ``store.schedule.schedule_send``."""
    if language is not None and language not in issue.editions:
        raise CampaignError(f"issue {issue.slug!r} has no {language!r} edition", hint=f"editions: {', '.join(sorted(issue.editions))}")
    return schedule.schedule_send(store, issue.slug, list_name, send_at, language=language, now=now or utcnow())


@dataclass(frozen=True)
class WorkerEvent:
    """What a worker did with one campaign: ``starting`` or ``resuming`` it, then ``sent`` (with the report) or ``failed``."""

    kind: str
    issue_slug: str
    list_name: str
    report: CampaignReport | None = None
    error: LeadexError | None = None


def run_worker(
    store: Store,
    settings: Settings,
    load: Callable[[str], Issue],
    *,
    stop: threading.Event,
    poll_seconds: float = 30.0,
    once: bool = False,
    now: Callable[[], datetime] = utcnow,
    on_event: Callable[[WorkerEvent], None] = lambda e: None,
) -> int:
    """Start due scheduled campaigns and resume unfinished ones until ``stop`` is set; return how many runs it made.

    ``load`` reads an issue by slug. ``once``: one round, then return (cron,
    tests). An error in one campaign (its content, the relay, the store) is
    reported through ``on_event`` and the worker goes on with the others and
    tries again next round; a ``ConfigError`` (the settings may not send at
    all) ends the worker, raised.
    """
    runs = 0
    while not stop.is_set():
        runs += _round(store, settings, load, stop=stop, now=now, on_event=on_event)
        if once:
            break
        stop.wait(poll_seconds)
    return runs


def _round(store: Store, settings: Settings, load: Callable[[str], Issue], *, stop: threading.Event, now: Callable[[], datetime], on_event: Callable[[WorkerEvent], None]) -> int:
    work = [("starting", s.issue_slug, s.list_name, s.language) for s in schedule.waiting(store, due_at=now())]
    for s in schedule.waiting(store, started=True):
        campaign = campaigns.find_campaign(store, s.issue_slug, s.list_name)
        if campaign.status == "running" and campaigns.unfinished(campaigns.state_counts(store, campaign.id)):  # type: ignore[arg-type]
            work.append(("resuming", s.issue_slug, s.list_name, s.language))
    runs = 0
    for kind, slug, list_name, language in work:
        if stop.is_set():
            break
        on_event(WorkerEvent(kind, slug, list_name))
        try:
            report = send_campaign(store, load(slug), settings, list_name=list_name, language=language, now=now, stop=stop)
        except ConfigError:
            raise
        except LeadexError as err:
            on_event(WorkerEvent("failed", slug, list_name, error=err))
            continue
        runs += 1
        on_event(WorkerEvent("sent", slug, list_name, report=report))
    return runs


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC (for showing both the typed and the stored time)."""
    return value.astimezone(UTC)
