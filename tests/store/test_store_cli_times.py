"""The CLI and the exports say the zone of every time they give (a14 finding 2's kind)."""

from __future__ import annotations

import re


def test_the_audit_log_says_its_times_are_utc(store, cli) -> None:
    assert cli("lists", "create", "news").exit_code == 0
    [line] = cli("users", "audit").output.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line.split("\t")[0]), line


def test_the_figures_csv_gives_each_time_with_the_offset_it_had() -> None:
    """Winter and summer in one column: each row its own offset (a header naming the zone could not say both)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from leadex_mail.reporting import local_iso

    where = ZoneInfo("Europe/Ljubljana")
    assert local_iso(datetime(2026, 12, 2, 2, 4, tzinfo=UTC), where) == "2026-12-02T03:04+01:00"
    assert local_iso(datetime(2026, 7, 1, 10, 0), where) == "2026-07-01T12:00+02:00"  # naive: UTC, as the store keeps times
    assert local_iso(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), ZoneInfo("UTC")) == "2026-07-01T10:00+00:00"
