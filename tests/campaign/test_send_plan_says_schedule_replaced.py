"""``send`` without ``--yes`` says, before asking, that sending now replaces the issue's schedule to that list.

The studio's review said it ("Sending now replaces that"); the command line's plan did not, and a
confirmed send removed the schedule silently (s8 tester). Declined, the schedule stays.
"""

from __future__ import annotations

from campaign_helpers import ISSUE
from test_schedule import SOON

from leadex_mail.store import campaigns, schedule


def test_the_plan_says_sending_now_replaces_the_schedule_and_declining_keeps_it(cli, store, people) -> None:
    people(2)
    scheduled = cli("send", ISSUE, "--list", "newsletter", "--at", SOON, "--no-deep", LEADEX_TIMEZONE="Europe/Ljubljana")
    assert scheduled.exit_code == 0, scheduled.output
    [waiting] = schedule.waiting(store)
    declined = cli("send", ISSUE, "--list", "newsletter", "--no-deep", input="n\n", LEADEX_TIMEZONE="Europe/Ljubljana")
    assert declined.exit_code == 1, declined.output  # click's abort
    plan, _, question = declined.output.partition("Send 2 messages now?")
    assert question, declined.output
    assert "scheduled: this issue is scheduled to go to this list at " in plan, plan
    assert f"{waiting.send_at:%Y-%m-%d}" in plan and "UTC)" in plan, plan  # when, as `send --at` said it
    assert "sending now replaces that: the schedule is removed and the issue goes now" in plan, plan
    assert [s.id for s in schedule.waiting(store)] == [waiting.id] and campaigns.list_campaigns(store) == []  # declined: kept


def test_the_plan_of_an_issue_not_scheduled_says_nothing_of_a_schedule(cli, store, people) -> None:
    people(1)
    declined = cli("send", ISSUE, "--list", "newsletter", "--no-deep", input="n\n")
    assert "Send 1 message now?" in declined.output, declined.output
    assert "scheduled:" not in declined.output, declined.output


def test_a_dry_run_replaces_nothing_and_says_nothing_of_it(cli, store, people) -> None:
    people(1)
    assert cli("send", ISSUE, "--list", "newsletter", "--at", SOON, "--no-deep").exit_code == 0
    dry = cli("send", ISSUE, "--list", "newsletter", "--no-deep", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "sending now replaces" not in dry.output, dry.output
    assert len(schedule.waiting(store)) == 1
