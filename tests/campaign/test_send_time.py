"""Typed send times around clock changes and out of range (tester's finding a11 #8), read by one core function.

``send --at`` took 2026-03-29 02:30 in Europe/Ljubljana (skipped: the
clocks go from 02:00 to 03:00), 2026-10-25 02:30 (it happens twice) without
a word, and year 9999. ``campaign.sendtime.read_send_time`` is what the CLI
and the studio's schedule form both call; its clock is injected here. The
CLI runs with the real clock, so its dates are the next clock changes.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from campaign_helpers import ISSUE

from leadex_mail.campaign.sendtime import GRACE, check_ahead, read_send_time
from leadex_mail.config import Settings
from leadex_mail.errors import SendTimeError
from leadex_mail.store import schedule

LJUBLJANA = Settings(timezone="Europe/Ljubljana")
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # 11:00 CET


def refused(text: str, settings: Settings = LJUBLJANA, now: datetime = NOW) -> SendTimeError:
    with pytest.raises(SendTimeError) as err:
        read_send_time(text, settings, now=now)
    return err.value


def test_a_skipped_time_is_refused_saying_which_times_exist() -> None:
    err = refused("2026-03-29 02:30")  # reported
    assert err.reason == "skipped"
    assert err.message == (
        "2026-03-29 02:30 does not exist in Europe/Ljubljana: that night the clocks go forward from 02:00 to 03:00 CEST,"
        " so the times from 02:00 to 02:59 are skipped"
    )
    assert err.hint == 'choose a time before 02:00 or from 03:00, e.g. "2026-03-29 03:00"'
    for edge in ("2026-03-29 02:00", "2026-03-29 02:59"):
        assert refused(edge).reason == "skipped"
    assert read_send_time("2026-03-29 01:59", LJUBLJANA, now=NOW).at.astimezone(UTC) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert read_send_time("2026-03-29 03:00", LJUBLJANA, now=NOW).at.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_repeated_time_is_the_first_of_the_two_said_back_and_either_can_be_asked_for() -> None:
    first = read_send_time("2026-10-25 02:30", LJUBLJANA, now=NOW)  # reported
    assert first.at.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert first.note == (
        "2026-10-25 02:30 happens twice in Europe/Ljubljana (the clocks go back that night): this is 02:30 CEST (00:30 UTC),"
        ' the first of the two; for the other write "2026-10-25 02:30 CET"'
    )
    second = read_send_time("2026-10-25 02:30 CET", LJUBLJANA, now=NOW)
    assert second.at.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC) and "the second of the two" in (second.note or "")
    assert read_send_time("2026-10-25 02:30 cest", LJUBLJANA, now=NOW).at.astimezone(UTC) == first.at.astimezone(UTC)
    assert read_send_time("2026-10-25T02:30+01:00", LJUBLJANA, now=NOW).at.astimezone(UTC) == second.at.astimezone(UTC)
    assert refused("2026-10-25 02:30 EST").reason == "zone"
    assert read_send_time("2026-10-25 03:00", LJUBLJANA, now=NOW).note is None  # once only


@pytest.mark.parametrize(
    ("text", "reason", "words"),
    [
        ("0001-01-01 00:00", "past", "0001-01-01 00:00 is not in the future"),
        ("2026-03-01 10:54", "past", "2026-03-01 10:54 CET is not in the future (now 2026-03-01 11:00 CET)"),
        ("next monday", "unreadable", "cannot read the time 'next monday'"),
        ("2026-02-30 09:00", "unreadable", "cannot read the time"),
    ],
)
def test_absurd_and_unreadable_times_are_refused_in_plain_words(text: str, reason: str, words: str) -> None:
    err = refused(text)
    assert err.reason == reason and words in err.message, err.message
    assert err.hint


@pytest.mark.parametrize("text", ["9999-12-31 23:59", "9999-12-31T23:59-12:00", "2027-03-03 09:00"])
def test_more_than_a_year_ahead_is_refused_when_scheduled(text: str) -> None:
    """Year 9999 (reported): ``check_ahead``, which ``schedule_campaign`` calls for both faces once the issue is checked."""
    with pytest.raises(SendTimeError) as err:
        check_ahead(read_send_time(text, LJUBLJANA, now=NOW).at, NOW)
    assert err.value.reason == "far" and "is more than a year ahead (today is 2026-03-01)" in err.value.message
    assert err.value.hint == "check the year; a send can be scheduled at most a year ahead"
    ny = Settings(timezone="America/New_York")  # 9999-12-31 23:59 there is in year 10000 in UTC: refused, not an overflow
    assert refused("9999-12-31 23:59", ny).reason == "far"


def test_a_time_just_passed_is_due_at_once_and_the_range_edges_hold() -> None:
    just = read_send_time("2026-03-01 10:56", LJUBLJANA, now=NOW)  # within GRACE: the current minute, a slow form
    assert NOW < just.at <= NOW + timedelta(seconds=1) and "has just passed" in (just.note or "")
    assert GRACE == timedelta(minutes=5)
    check_ahead(read_send_time("2027-03-01 09:00", LJUBLJANA, now=NOW).at, NOW)  # within a year
    # read a moment ago, stored after the issue was checked: still due at once, not "not in the future"
    assert check_ahead(NOW - timedelta(minutes=2), NOW) == NOW + timedelta(seconds=1)


def test_this_machines_zone_has_the_same_rules(monkeypatch) -> None:
    """No ``timezone`` setting: the machine's zone, skipped and repeated times alike (TZ set for this test only)."""
    monkeypatch.setenv("TZ", "Europe/Ljubljana")
    time.tzset()
    try:
        assert "does not exist in this machine's time zone" in refused("2026-03-29 02:30", Settings()).message
        first = read_send_time("2026-10-25 02:30", Settings(), now=NOW)
        assert first.at.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC) and "the first of the two" in (first.note or "")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ.get("TZ") is None


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of ``month``: when the EU changes its clocks (at 01:00 UTC)."""
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def next_change(month: int) -> date:
    today = datetime.now(UTC).date()
    day = last_sunday(today.year, month)
    return day if day > today else last_sunday(today.year + 1, month)


def test_send_at_refuses_a_skipped_time_and_says_back_a_repeated_one(cli, store, people) -> None:
    """Through the CLI with the real clock: the next spring and autumn clock changes in Ljubljana (within a year)."""
    people(2)
    spring, autumn = next_change(3), next_change(10)
    skipped = cli("send", ISSUE, "--list", "newsletter", "--at", f"{spring} 02:30", LEADEX_TIMEZONE="Europe/Ljubljana")
    assert skipped.exit_code == 1 and f"{spring} 02:30 does not exist in Europe/Ljubljana" in skipped.output, skipped.output
    assert f'choose a time before 02:00 or from 03:00, e.g. "{spring} 03:00"' in skipped.output and "Traceback" not in skipped.output
    assert schedule.waiting(store) == []
    repeated = cli("send", ISSUE, "--list", "newsletter", "--at", f"{autumn} 02:30", LEADEX_TIMEZONE="Europe/Ljubljana")
    assert repeated.exit_code == 0, repeated.output
    assert f"at {autumn} 02:30 CEST ({autumn} 00:30 UTC)." in repeated.output
    assert f'Note: {autumn} 02:30 happens twice in Europe/Ljubljana' in repeated.output and "the first of the two" in repeated.output
    assert [s.send_at for s in schedule.waiting(store)] == [datetime(autumn.year, autumn.month, autumn.day, 0, 30, tzinfo=UTC)]
