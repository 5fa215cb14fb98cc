"""Dates as precise as people write them (issue 9 item 3): a year, a month, a day, and ranges of each."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from leadex_mail.content.dates import WrittenDate
from leadex_mail.content.model import Edition, EventItem


@pytest.mark.parametrize(
    "written,precision,first,last,text",
    [
        ("2025", "year", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025"),
        (2025, "year", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025"),  # YAML reads a bare year as a number
        ("2026-03", "month", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "2026-03"),
        ("2024-2", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        ("2026-03-09", "day", dt.date(2026, 3, 9), dt.date(2026, 3, 9), "2026-03-09"),
        (dt.date(2026, 3, 9), "day", dt.date(2026, 3, 9), dt.date(2026, 3, 9), "2026-03-09"),
    ],
)
def test_each_precision_is_kept_and_written_back(written, precision, first, last, text):
    date = WrittenDate.parse(written)
    assert (date.precision, date, date.last_day, str(date)) == (precision, first, last, text)


@pytest.mark.parametrize("written,reason", [("2026-04-31", "2026-04 has no day 31"), ("2026-13", "there is no month 13"), ("9.–11. marec 2026", "dates are written with digits, year first"), ("0000", "there is no year 0")])
def test_impossible_dates_say_why(written, reason):
    with pytest.raises(ValidationError) as info:
        EventItem(date=written, body="x")
    assert info.value.errors()[0]["ctx"]["error"] == reason


def test_events_range_over_days_months_or_years_written_alike():
    assert EventItem(date="2025", end_date=2026, body="x").end_date.precision == "year"
    assert EventItem(date="2026-03", end_date="2026-05", body="x").end_date.last_day == dt.date(2026, 5, 31)
    with pytest.raises(ValidationError, match="must be written alike"):
        EventItem(date="2026-03", end_date="2026-03-11", body="x")
    with pytest.raises(ValidationError, match="ends \\(2026-02\\) before it starts \\(2026-03\\)"):
        EventItem(date="2026-03", end_date="2026-02", body="x")


def test_an_issue_is_dated_by_month_or_day_not_by_year():
    fields = {"language": "sl", "title": "T", "subject": "S", "number": 2, "sections": [{"type": "masthead"}]}
    assert str(Edition(**fields, date="2026-06").date) == "2026-06"
    with pytest.raises(ValidationError) as info:
        Edition(**fields, date=2026)
    assert info.value.errors()[0]["ctx"]["error"] == "an issue is dated by its month at least"


def test_the_precision_is_part_of_the_edition_json_so_a_changed_precision_renders_again():
    # render caches by the edition's JSON: 2026-03 and 2026-03-01 are equal dates but render differently.
    one = EventItem(date="2026-03", body="x").model_dump(mode="json")["date"]
    two = EventItem(date="2026-03-01", body="x").model_dump(mode="json")["date"]
    assert (one, two) == ("2026-03", "2026-03-01")
