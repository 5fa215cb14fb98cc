"""Where each issue stands: draft, problems, checked, test sent, scheduled, sending or sent.

    for row in issue_overview(settings, store):
        row.slug, row.state, row.editions[0].complete

Read from the same places the CLI reads: the issue files (``check``'s
findings), the store's test sends and campaigns. One function for the
studio's issue list (and any other face that wants it).

States, first that applies:

- ``sent`` / ``sending`` / ``paused`` / ``interrupted``: a campaign exists (done / running /
  paused / stored as running but no sender works on it: ``runner.shown_status``);
- ``scheduled``: a send is scheduled and not started (``store.schedule.waiting``; held when the check refused it at its time);
- ``test sent``: checked, and a test went out after the files last changed;
- ``checked``: ``check`` finds no error (warnings may remain);
- ``draft``: text is still marked ✎ (or left from the example);
- ``problems``: any other error, or files that do not load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select

from leadex_mail.config import Settings
from leadex_mail.content.model import Edition, Issue
from leadex_mail.errors import ContentError, LeadexError, Problem

if TYPE_CHECKING:
    from leadex_mail.store.schedule import Held

class CampaignState(NamedTuple):
    """One campaign of an issue as the issue list says it: its list, its state (``runner.shown_status``) and its outcome."""

    list_name: str
    status: str  # running, paused, done, interrupted
    sent: int = 0
    total: int = 0  # deliveries (skipped ones too)
    failed: int = 0  # could not be delivered: "done" with failures is said as such, never just "sent"


STATES = ("draft", "problems", "checked", "test sent", "scheduled", "sending", "interrupted", "paused", "sent")


@dataclass(frozen=True)
class EditionState:
    """One language edition: how much of its text is written (not marked ✎), and its errors."""

    language: str
    texts: int
    marked: int
    errors: int
    missing: int = 0  # texts of the default edition's sections this edition lacks

    @property
    def complete(self) -> int:
        """Percent of its texts written (100 when none is marked and no section of the default edition is missing)."""
        texts = self.texts + self.missing
        written = round(100 * (texts - self.marked - self.missing) / texts) if texts else 100
        return min(written, 99) if self.marked or self.missing else written  # "100%" only when nothing is left to write


@dataclass(frozen=True)
class IssueState:
    """One issue as the issue list shows it."""

    slug: str
    title: str
    number: int | None
    date: str
    state: str
    default_language: str = ""
    editions: tuple[EditionState, ...] = ()
    errors: int = 0
    warnings: int = 0
    campaigns: tuple[CampaignState, ...] = ()
    scheduled: tuple[tuple[str, dt.datetime, Held | None], ...] = ()  # (list name, send_at in UTC, why it is held) not started yet
    problem: str | None = None  # why the files do not load
    changed: dt.datetime | None = None
    first_sent: dt.datetime | None = None  # when its first campaign started (UTC): changes after it reach nobody who got it

    @property
    def changed_since_sent(self) -> bool:
        """True when the issue's files changed after its first campaign started."""
        return self.first_sent is not None and self.changed is not None and self.changed > _aware(self.first_sent)


@dataclass(frozen=True)
class SentRecord:
    """What the store knows of an issue: campaigns, the last test send, sends scheduled and not started."""

    campaigns: tuple[CampaignState, ...] = ()
    last_test: dt.datetime | None = None
    scheduled: tuple[tuple[str, dt.datetime, Held | None], ...] = ()  # (list name, send_at in UTC, why it is held at its time)
    first_sent: dt.datetime | None = None  # when the first campaign started (UTC)


def issue_overview(settings: Settings, records: Callable[[str], SentRecord] | None = None) -> list[IssueState]:
    """Every issue under ``newsletters_dir``, newest first, with its state.

    ``records(slug)`` says what the store knows (``store_records`` gives one
    over a store); without it, no issue counts as test-sent or sent.
    """
    from leadex_mail.content.loader import issue_slugs

    found = [_one(slug, settings, (records or _nothing)(slug)) for slug in issue_slugs(settings)]
    return sorted(found, key=lambda s: (s.date, s.number or 0, s.slug), reverse=True)


def _nothing(slug: str) -> SentRecord:
    return SentRecord()


def store_records(store: object) -> Callable[[str], SentRecord]:
    """``records`` for ``issue_overview`` read from ``store`` (campaigns, test sends, scheduled sends: one query each)."""
    from leadex_mail.campaign.runner import shown_status
    from leadex_mail.store.campaigns import list_campaigns, state_counts
    from leadex_mail.store.models import TestSend
    from leadex_mail.store.schedule import waiting

    campaigns: dict[str, list[CampaignState]] = {}
    first: dict[str, dt.datetime] = {}
    for campaign, list_name in list_campaigns(store):  # type: ignore[arg-type]
        counts = state_counts(store, campaign.id)  # type: ignore[arg-type]
        total = sum(n for state, n in counts.items() if state not in ("uncertain", "held"))
        status = shown_status(store, campaign.id, campaign.status, counts=counts)  # type: ignore[arg-type]
        campaigns.setdefault(campaign.issue_slug, []).append(CampaignState(list_name, status, counts.get("sent", 0), total, counts.get("failed", 0)))
        first[campaign.issue_slug] = min(first.get(campaign.issue_slug, campaign.created_at), campaign.created_at)
    with store.session(write=False) as session:  # type: ignore[attr-defined]
        tests = dict(session.exec(select(TestSend.issue_slug, func.max(TestSend.at)).group_by(TestSend.issue_slug)).all())
    scheduled: dict[str, list[tuple[str, dt.datetime, Held | None]]] = {}
    for s in waiting(store):  # type: ignore[arg-type]
        scheduled.setdefault(s.issue_slug, []).append((s.list_name, s.send_at, s.held))
    return lambda slug: SentRecord(tuple(campaigns.get(slug, ())), tests.get(slug), tuple(scheduled.get(slug, ())), first.get(slug))


def _one(slug: str, settings: Settings, record: SentRecord) -> IssueState:
    from leadex_mail.content.loader import issue_locations, load_issue
    from leadex_mail.render.check import check_issue

    folder = settings.newsletters_dir / slug
    changed = _last_change(folder)
    try:
        issue = load_issue(slug, settings)
        problems = check_issue(issue, settings)
    except ContentError as err:
        state = _sent_state(record) or "problems"
        return IssueState(slug, slug, None, "", state, errors=len(err.problems) or 1, campaigns=record.campaigns, scheduled=record.scheduled, problem=err.message,
                          changed=changed, first_sent=record.first_sent)
    except LeadexError as err:
        return IssueState(slug, slug, None, "", _sent_state(record) or "problems", errors=1, campaigns=record.campaigns, scheduled=record.scheduled, problem=err.message,
                          changed=changed, first_sent=record.first_sent)
    locations = issue_locations(issue)
    editions = tuple(_edition_state(issue, lang, problems, locations.files.get(lang)) for lang in _ordered(issue))
    errors = sum(1 for p in problems if p.severity == "error")
    default = issue.edition()
    return IssueState(
        slug,
        default.title,
        default.number,
        str(default.date),
        _state(problems, record, changed, drafted=any(e.marked for e in editions)),
        issue.default_language,
        editions,
        errors,
        len(problems) - errors,
        record.campaigns,
        record.scheduled,
        changed=changed,
        first_sent=record.first_sent,
    )


def _state(problems: list[Problem], record: SentRecord, changed: dt.datetime | None, *, drafted: bool) -> str:
    sent = _sent_state(record)
    if sent:
        return sent
    if record.scheduled:
        return "scheduled"
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        tested = record.last_test is not None and (changed is None or record.last_test >= changed)
        return "test sent" if tested else "checked"
    return "draft" if drafted else "problems"


def _sent_state(record: SentRecord) -> str | None:
    statuses = {c.status for c in record.campaigns}
    if "running" in statuses:
        return "sending"
    if "interrupted" in statuses:
        return "interrupted"
    if "paused" in statuses:
        return "paused"
    return "sent" if statuses else None


def _edition_state(issue: Issue, language: str, problems: list[Problem], file: Path | None) -> EditionState:
    from leadex_mail.content.scaffold import DRAFT_MARK

    edition = issue.editions[language]
    texts = marked = missing = 0
    for value in _texts(edition.model_dump()):
        texts += 1
        marked += DRAFT_MARK in value
    if language != issue.default_language:
        # A section the default edition has and this one lacks is text not written yet (a13 finding 21:
        # "100% written" for a translation without its events section). Paired by type, n-th with n-th, as check does.
        have: dict[str, int] = {}
        for section in edition.sections:
            have[section.type] = have.get(section.type, 0) + 1
        for section in issue.edition().sections:
            if have.get(section.type, 0) > 0:
                have[section.type] -= 1
                continue
            missing += max(1, len(_texts({"sections": [section.model_dump()]})))
    errors = sum(1 for p in problems if p.severity == "error" and file is not None and Path(p.file) == file)
    return EditionState(language, texts, marked, errors, missing)


def _texts(data: dict) -> list[str]:
    """The texts a person writes in ``data`` (an edition's, or one section's as ``{"sections": [...]}``)."""
    from leadex_mail.content.walk import leaves

    return [
        leaf.value
        for leaf in leaves(data, Edition)
        if isinstance(leaf.value, str) and leaf.kind != "url" and leaf.path[-1] not in ("type", "style", "language", "src", "date", "end_date")
    ]


def _ordered(issue: Issue) -> list[str]:
    return sorted(issue.editions, key=lambda lang: (lang != issue.default_language, lang))


def _aware(when: dt.datetime) -> dt.datetime:
    """A stored time (naive is UTC) as an aware one."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _last_change(folder: Path) -> dt.datetime | None:
    """When the issue's files (editions, pictures) last changed."""
    stamps = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return dt.datetime.fromtimestamp(max(stamps), dt.UTC) if stamps else None
