"""The bounce policy through real stores: soft bounces counted in a window, complaints final, rejections harmless.

The clock is injected (``now``), never waited for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from bounce_helpers import CORPUS, add_campaign, address, message_id, seed
from click.testing import CliRunner

from leadex_mail.bounces.policy import Policy
from leadex_mail.bounces.service import process_message
from leadex_mail.cli import main
from leadex_mail.errors import ConfigError
from leadex_mail.store.models import Delivery, Subscriber

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SOFT = (CORPUS / "04_postfix_mailbox_full.eml").read_bytes()


def _soft_report(delivery_id: int, campaign_id: int, n: int, at: datetime) -> bytes:
    """The corpus's mailbox-full DSN, about another delivery of person 4 (and a Message-ID of its own), dated ``at``.

    The soft-bounce window is measured from the report's own date (its Arrival-Date), not from when it is imported.
    """
    raw = SOFT.replace(message_id(1, 4).encode(), message_id(campaign_id, delivery_id).encode())
    raw = raw.replace(b"Arrival-Date: Wed,  6 May 2026 11:40:00 +0200 (CEST)", f"Arrival-Date: {format_datetime(at)}".encode())
    return raw.replace(b"4Xl0Qz2b1Mz7tRc@smtp", f"4Xl0Qz2b1Mz7tRc.{n}@smtp".encode())


def _status(store, person: int) -> str:
    with store.session(write=False) as session:
        return session.get(Subscriber, person).status


def test_soft_bounces_suppress_at_the_limit_within_the_window(store) -> None:
    seed(store)
    later = add_campaign(store, 2, "2026-05-leadex-02", [4], first_delivery=100, at=T0)
    third = add_campaign(store, 3, "2026-06-leadex-03", [4], first_delivery=200, at=T0)
    policy = Policy(soft_limit=3, soft_days=30)
    # Two soft bounces 40 days apart: the first has left the window when the second comes.
    assert process_message(store, _soft_report(4, 1, 1, T0 - timedelta(days=40)), "a", policy=policy, now=T0 - timedelta(days=40)).action == "soft"
    assert process_message(store, _soft_report(later[4], 2, 2, T0), "b", policy=policy, now=T0).action == "soft"
    assert _status(store, 4) == "active"
    # A second report about the same delivery counts once.
    assert process_message(store, _soft_report(later[4], 2, 3, T0 + timedelta(days=1)), "c", policy=policy, now=T0 + timedelta(days=1)).action == "soft"
    assert _status(store, 4) == "active"
    # The third delivery's soft bounce is the third within 30 days only if the first is counted: it is not (40 days old).
    assert process_message(store, _soft_report(third[4], 3, 4, T0 + timedelta(days=2)), "d", policy=policy, now=T0 + timedelta(days=2)).action == "soft"
    assert _status(store, 4) == "active"
    # With a window long enough to hold all three, the same history suppresses.
    wide = Policy(soft_limit=3, soft_days=60)
    assert process_message(store, _soft_report(third[4], 3, 5, T0 + timedelta(days=2)), "e", policy=wide, now=T0 + timedelta(days=2)).action == "suppressed"
    assert _status(store, 4) == "bounced"


def test_policy_values_are_checked() -> None:
    with pytest.raises(ConfigError, match="must be 1 to"):
        Policy(soft_limit=0)


def test_a_rejection_reported_later_is_recorded_on_the_delivery_only(store) -> None:
    seed(store)
    outcome = process_message(store, (CORPUS / "10_microsoft365_spam_rejection.eml").read_bytes(), "x", policy=Policy())
    assert (outcome.action, outcome.category) == ("rejected", "blocklist")
    with store.session(write=False) as session:
        d = session.get(Delivery, 10)
        assert (d.state, d.error_kind) == ("failed", "rejected") and "5.7.350" in d.last_reply
        assert session.get(Subscriber, 10).status == "active"


def test_a_complaint_is_never_undone_by_an_import(store, settings, tmp_path, monkeypatch) -> None:
    seed(store)
    process_message(store, (CORPUS / "16_arf_yahoo_complaint.eml").read_bytes(), "x", policy=Policy())
    csv = tmp_path / "partners.csv"
    csv.write_text(f"email,name\n{address(16)},Oseba 16\n{address(15)},Oseba 15\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = {"LEADEX_DATABASE_URL": settings.database_url}
    CliRunner().invoke(main, ["subscribers", "import", str(csv), "--list", "partners"], env=env)
    added = CliRunner().invoke(main, ["subscribers", "add", address(16), "--list", "newsletter"], env=env)
    assert added.exit_code != 0
    assert _status(store, 16) == "complained"
    # Even a bounce for the same person later does not turn "complained" into something weaker.
    bounce = (CORPUS / "03_postfix_user_unknown.eml").read_bytes().replace(message_id(1, 3).encode(), message_id(1, 16).encode())
    assert process_message(store, bounce, "y", policy=Policy()).action == "suppressed"
    assert _status(store, 16) == "complained"


def test_erasure_removes_what_reports_said_about_the_person(store) -> None:
    from leadex_mail.store.gdpr import forget
    from leadex_mail.store.models import BounceReport

    seed(store)
    outcome = process_message(store, (CORPUS / "03_postfix_user_unknown.eml").read_bytes(), "x", policy=Policy())
    forget(store, address(3))
    with store.session(write=False) as session:
        row = session.get(BounceReport, outcome.report_id)
        # How it was classified stays (the campaign's bounce counts); nothing about whom, nor the server's words.
        assert row.subscriber_id is None and row.raw is None
        assert row.evidence == {"effect": "hard", "format": row.evidence["format"], "removed": "erasure"}
