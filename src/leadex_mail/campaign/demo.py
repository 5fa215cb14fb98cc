"""``leadex-mail demo``: the whole job on embedded defaults, nothing leaving the machine.

Creates (or opens) ``subscribers.db`` in the working directory, adds a few
example.org subscribers in Slovenian and English to the public list
``newsletter`` when they are missing, and sends issue No. 1 to them through the outbox
transport, whatever transport is configured: the demo never reaches an SMTP
server. Running it again finds the campaign done and sends nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import leadex_mail
from leadex_mail.campaign.audit import record_finished, record_send
from leadex_mail.campaign.runner import CampaignReport, Progress, plan_campaign, send_campaign
from leadex_mail.config import Settings, redact_url
from leadex_mail.content.loader import load_issue
from leadex_mail.errors import NotFound
from leadex_mail.store import campaigns
from leadex_mail.store.accounts import record
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list, get_list
from leadex_mail.store.subscribers import add_subscriber, get_subscriber

DEMO_ISSUE = "2026-04-leadex-01"
DEMO_LIST = "newsletter"
DEMO_SUBSCRIBERS: tuple[tuple[str, str, str], ...] = (
    ("ana.novak@example.org", "Ana Novak", "sl"),
    ("ziga.ceh@example.org", "Žiga Čeh", "sl"),
    ("masa.kovac@example.org", "Maša Kovač", "sl"),
    ("helen.tamm@example.org", "Helen Tamm", "en"),
    ("juan.garcia@example.org", "Juan García", "en"),
    ("lena.weber@example.org", "Lena Weber", "en"),
)


@dataclass(frozen=True)
class DemoReport:
    """What the demo did: who it added, the send report, and whether it had been sent before."""

    database: str
    added: tuple[str, ...]
    report: CampaignReport
    already_sent: bool


def demo_settings(settings: Settings) -> Settings:
    """The settings with the outbox transport forced, and issue No. 1 found even outside the repo."""
    newsletters = settings.newsletters_dir
    if not (newsletters / DEMO_ISSUE).is_dir():
        # An editable install run from another folder: use the checkout's issues.
        checkout = Path(leadex_mail.__file__).resolve().parents[2] / "newsletters"
        if (checkout / DEMO_ISSUE).is_dir():
            newsletters = checkout
    return dataclasses.replace(settings, transport="outbox", newsletters_dir=newsletters)


def _ensure_subscribers(store, list_name: str, actor: str) -> tuple[str, ...]:  # noqa: ANN001 (Store)
    """Create the list and add the example subscribers missing from it, each in the audit log as the studio writes it."""
    try:
        get_list(store, list_name)
    except NotFound:
        item = create_list(store, list_name, title="LeadEx novice", public=True)  # the newsletter itself: on the sign-up form and in the archive
        record(store, actor, "list_create", item.name, detail={"public": item.public})
    added = []
    for email, name, language in DEMO_SUBSCRIBERS:
        try:
            get_subscriber(store, email)
        except NotFound:
            sub = add_subscriber(store, email, name=name, language=language, lists=(list_name,), source="cli")
            record(store, actor, "subscriber_add", f"subscriber {sub.id}", subscriber_id=sub.id, detail={"lists": [list_name], "language": sub.language})
            added.append(email)
    return tuple(added)


def run_demo(settings: Settings, *, actor: str, progress: Callable[[Progress], None] | None = None) -> DemoReport:
    """Set up the example store and send issue No. 1 through the outbox (idempotent); ``actor`` is who the audit log names."""
    settings = demo_settings(settings)
    store = open_store(settings)
    try:
        added = _ensure_subscribers(store, DEMO_LIST, actor)
        issue = load_issue(DEMO_ISSUE, settings)
        try:
            before = campaigns.state_counts(store, campaigns.find_campaign(store, DEMO_ISSUE, DEMO_LIST).id)  # type: ignore[arg-type]
        except NotFound:
            before = None
        record_send(store, actor, plan_campaign(store, issue, settings, list_name=DEMO_LIST))
        report = send_campaign(store, issue, settings, list_name=DEMO_LIST, progress=progress)
        record_finished(store, actor, DEMO_ISSUE, DEMO_LIST, report)
    finally:
        store.close()
    already = before is not None and before["sent"] > 0 and report.sent_now == 0
    return DemoReport(redact_url(settings.database_url), added, report, already)
