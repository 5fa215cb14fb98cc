"""Sends from the command line and the worker are in the audit log, as the studio's are (issue 13 point 8).

`leadex-mail send`, `retry`, `send --at`, `unschedule`, `send-test`, `demo`
and `worker` wrote no audit entry: the log promised "who sent what to which
list" only for the studio. Each now writes the studio's entries (``send``,
``send_finished``, ``send_retry``, ``send_schedule``, ``send_unschedule``,
``send_test``) by ``cli:<os user>``, or ``worker:<os user>`` for what a
worker sends; a schedule, its cancellation and a retry in the transaction
of the change (a refused one leaves no entry). Through the real CLI on
SQLite and PostgreSQL, the outbox transport, a real SMTP server for the
relay refusing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign_helpers import ISSUE

from leadex_mail.campaign.scheduler import schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.models import utcnow

OPS = {"LOGNAME": "ops", "USER": "ops"}  # getpass.getuser() reads these first
TARGET = f"{ISSUE} -> newsletter"
SOON = f"{datetime.now(UTC) + timedelta(days=30):%Y-%m-%d} 09:00"  # typed times must be within a year


def _entries(store) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(actor, action, target, detail) of every entry, oldest first."""
    return [(e.actor, e.action, e.target, e.detail) for e in reversed(audit_log(store))]


def test_a_send_from_the_command_line_is_in_the_audit_log_before_and_after_as_the_studios(cli, store, people) -> None:
    people(3)
    assert cli("send", ISSUE, "--list", "newsletter", "--dry-run", "--yes", **OPS).exit_code == 0
    assert _entries(store) == []  # a dry run sends nothing and logs nothing
    sent = cli("send", ISSUE, "--list", "newsletter", "--yes", "--limit", "2", **OPS)
    assert sent.exit_code == 0, sent.output
    again = cli("send", ISSUE, "--list", "newsletter", "--yes", "--resume", **OPS)
    assert again.exit_code == 0, again.output

    (start, end, resumed, resumed_end) = _entries(store)
    assert start == ("cli:ops", "send", TARGET, {"recipients": 3, "per_language": {"en": 1, "sl": 2}, "limit": 2})
    assert end[:3] == ("cli:ops", "send_finished", TARGET)
    assert end[3]["status"] == "running" and end[3]["counts"]["sent"] == 2 and end[3]["error"] is None
    assert resumed[:3] == ("cli:ops", "send", TARGET) and resumed[3]["recipients"] == 1 and set(resumed[3]) == {"recipients", "per_language"}
    # The resume's own figures (it sent the 1 left), never the campaign's 3: the first run's 2 are in its own entry.
    assert resumed_end[3]["status"] == "done" and resumed_end[3]["counts"] == {"sent": 1, "failed": 0, "skipped": 0}


def test_a_retry_is_logged_with_the_requeue_and_only_when_anything_is_left_to_send(cli, store, people) -> None:
    people(2)
    assert cli("send", ISSUE, "--list", "newsletter", "--yes", **OPS).exit_code == 0
    campaign = campaigns.find_campaign(store, ISSUE, "newsletter")
    nothing = cli("retry", ISSUE, "--list", "newsletter", **OPS)
    assert nothing.exit_code == 0 and "Re-queued 0" in nothing.output
    assert [e.action for e in reversed(audit_log(store))] == ["send", "send_finished"]  # nothing to send: nothing logged
    with store.begin() as conn:  # one delivery failed for a while (the relay said 451)
        conn.exec_driver_sql("UPDATE delivery SET state = 'failed', error_kind = 'temporary' WHERE id = (SELECT MIN(id) FROM delivery)")
    retried = cli("retry", ISSUE, "--list", "newsletter", **OPS)
    assert retried.exit_code == 0 and "Re-queued 1 failed delivery" in retried.output
    assert _entries(store)[-1] == ("cli:ops", "send_retry", TARGET, {"to_retry": 1})
    assert campaigns.state_counts(store, campaign.id)["queued"] == 1  # type: ignore[arg-type]


def test_scheduling_moving_and_cancelling_are_logged_in_the_changes_transaction(cli, store, people) -> None:
    people(2)
    first = cli("send", ISSUE, "--list", "newsletter", "--at", SOON, **OPS)
    assert first.exit_code == 0, first.output
    moved = cli("send", ISSUE, "--list", "newsletter", "--at", SOON.replace("09:00", "10:00"), "--lang", "sl", **OPS)
    assert moved.exit_code == 0, moved.output
    refused = cli("unschedule", ISSUE, "--list", "partners", **OPS)  # no such list: refused, nothing logged
    assert refused.exit_code != 0
    cancelled = cli("unschedule", ISSUE, "--list", "newsletter", **OPS)
    assert cancelled.exit_code == 0, cancelled.output

    (scheduled, again, gone) = _entries(store)
    assert scheduled[:3] == ("cli:ops", "send_schedule", TARGET) and scheduled[3]["moved"] is False
    assert again[:3] == ("cli:ops", "send_schedule", TARGET) and again[3]["moved"] is True and again[3]["language"] == "sl"
    at = datetime.fromisoformat(again[3]["send_at"])
    assert at.utcoffset() == timedelta(0) and at > datetime.now(UTC)
    assert gone == ("cli:ops", "send_unschedule", TARGET, {"send_at": again[3]["send_at"]})
    assert schedule.waiting(store) == []


def test_a_schedule_the_store_refuses_leaves_no_entry(cli, store, people) -> None:
    """The campaign started already: the schedule is refused at the store, and its entry goes with it."""
    people(1)
    assert cli("send", ISSUE, "--list", "newsletter", "--yes", "--limit", "1", **OPS).exit_code == 0
    before = _entries(store)
    refused = cli("send", ISSUE, "--list", "newsletter", "--at", SOON, **OPS)
    assert refused.exit_code != 0 and "already started" in refused.output
    assert _entries(store) == before


def test_what_the_worker_sends_is_logged_by_the_worker(cli, store, people, settings) -> None:
    people(2)
    long_ago = utcnow() - timedelta(days=2)
    schedule_campaign(store, load_issue(ISSUE, settings), "newsletter", long_ago + timedelta(minutes=1), now=long_ago, actor="maja")
    ran = cli("worker", "--once", **OPS)
    assert ran.exit_code == 0, ran.output
    (scheduled, start, end) = _entries(store)
    assert scheduled[:3] == ("maja", "send_schedule", TARGET)
    assert start == ("worker:ops", "send", TARGET, {"recipients": 2, "per_language": {"en": 1, "sl": 1}})
    assert end[:3] == ("worker:ops", "send_finished", TARGET) and end[3]["status"] == "done" and end[3]["counts"]["sent"] == 2


def test_test_sends_and_the_demo_are_logged_too(cli, store) -> None:
    tested = cli("send-test", ISSUE, "--to", "editor@example.org", "--to", "second@example.org", "--lang", "en", **OPS)
    assert tested.exit_code == 0, tested.output
    assert _entries(store) == [("cli:ops", "send_test", ISSUE, {"to": 2, "language": "en", "failed": 0})]
    demo = cli("demo", **OPS)
    assert demo.exit_code == 0, demo.output
    actions = [(e.actor, e.action) for e in reversed(audit_log(store))][1:]
    assert actions[0] == ("cli:ops", "list_create") and actions[1:7] == [("cli:ops", "subscriber_add")] * 6
    assert actions[7:] == [("cli:ops", "send"), ("cli:ops", "send_finished")]
    assert "example.org" not in repr(_entries(store))  # never an address
