"""RFC 3464 fields as real generators write them, and the soft-bounce window dated by the reports (tester's findings 4, 11, 12, 13)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bounce_helpers import add_campaign, message_id, seed

from leadex_mail.bounces.classification import classify_finding
from leadex_mail.bounces.model import Finding
from leadex_mail.bounces.parse import parse_message
from leadex_mail.bounces.service import import_paths
from leadex_mail.store.models import BounceReport, Subscriber

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("name", ["action_comment.eml", "status_comment.eml"])
def test_field_comments_are_not_part_of_the_value(name) -> None:
    # "Action: failed (permanent)" was read as a delay; "Status: 5.1.1 (bad destination mailbox address)" kept its words.
    report = parse_message((FIXTURES / "fields" / name).read_bytes())
    assert report.kind.value == "bounce"
    assert [(f.action, f.status, f.recipient) for f in report.findings] == [("failed", "5.1.1", "other-n4@example.net")]


@pytest.mark.parametrize("name,recipient", [("global_ascii.eml", "other-n4@example.net"), ("global_dsn.eml", "žiga.čeh@example.org")])
def test_rfc6533_global_delivery_status_is_read_block_by_block(name, recipient) -> None:
    # The stdlib parses message/global-delivery-status as one message: only its first block was seen.
    report = parse_message((FIXTURES / "fields" / name).read_bytes())
    assert report.kind.value == "bounce", report.reason
    assert [(f.action, f.status, f.recipient) for f in report.findings] == [("failed", "5.1.1", recipient)]


@pytest.mark.parametrize("status,words", [
    ("5.4.4", "smtp; 550 5.4.4 <person4@example.com>: Host or domain name not found. Name service error for name=example.com type=A: Host not found"),
    ("5.4.1", "smtp; 550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM0PR01MB1234]"),
])
def test_a_recipients_host_that_cannot_be_reached_is_a_soft_bounce(status, words) -> None:
    verdict = classify_finding(Finding("person4@example.com", status=status, diagnostic=words, action="failed"))
    assert verdict.effect == "soft"
    # Other routing refusals stay about the message, not the person.
    assert classify_finding(Finding("person4@example.com", status="5.4.6", diagnostic="smtp; 554 5.4.6 Too many hops", action="failed")).effect == "rejected"


def _soft_reports(store, tmp_path: Path, dates: list[str] | None = None) -> list[Path]:
    """The tester's three 5.2.2 reports (5 Jan, 1 Apr, 1 Jul 2026), made about corpus person 4's deliveries in campaigns 1-3."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    deliveries = [(1, 4), (2, add_campaign(store, 2, "c2", [4], first_delivery=100, at=at)[4]), (3, add_campaign(store, 3, "c3", [4], first_delivery=200, at=at)[4])]
    paths = []
    for n, (campaign, delivery) in enumerate(deliveries):
        raw = (FIXTURES / "softwindow" / f"soft{n}.eml").read_text()
        raw = re.sub(r"<lx\.\d+\.\d+\.[0-9a-f]+@example\.org>", message_id(campaign, delivery), raw).replace("soft1@example.net", "person4@example.com")
        if dates:
            raw = re.sub(r"(Date: ).*", lambda m: m.group(1) + dates[n], raw)  # noqa: B023
        path = tmp_path / f"soft{n}.eml"
        path.write_text(raw)
        paths.append(path)
    return paths


def test_old_soft_bounces_are_counted_in_their_own_windows(store, settings, tmp_path) -> None:
    # Importing an archive once: three soft bounces months apart must not suppress (they were counted at import time).
    seed(store)
    paths = _soft_reports(store, tmp_path)
    summary = import_paths(store, settings, paths, now=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    assert [o.action for o in summary.outcomes] == ["soft", "soft", "soft"]
    with store.session(write=False) as session:
        assert session.get(Subscriber, 4).status == "active"
        counts = [session.get(BounceReport, o.report_id).evidence["soft_failures"] for o in summary.outcomes]
    assert counts == [1, 1, 1]


def test_soft_bounces_within_the_window_still_suppress_and_future_dates_count_as_now(store, settings, tmp_path) -> None:
    seed(store)
    dates = ["Wed, 10 Jun 2026 10:00:00 +0000", "Sat, 20 Jun 2026 10:00:00 +0200", "Fri, 01 Jan 2100 10:00:00 +0000"]
    paths = _soft_reports(store, tmp_path, dates)
    summary = import_paths(store, settings, paths, now=lambda: datetime(2026, 7, 1, tzinfo=UTC))
    assert [o.action for o in summary.outcomes] == ["soft", "soft", "suppressed"]
    with store.session(write=False) as session:
        assert session.get(Subscriber, 4).status == "bounced"
        assert session.get(BounceReport, summary.outcomes[-1].report_id).evidence["soft_failures"] == 3
