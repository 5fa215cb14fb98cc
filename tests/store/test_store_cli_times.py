"""The CLI says the zone of every time it shows (a14 finding 2's kind): the audit log's times are UTC and say so."""

from __future__ import annotations

import re


def test_the_audit_log_says_its_times_are_utc(store, cli) -> None:
    assert cli("lists", "create", "news").exit_code == 0
    [line] = cli("users", "audit").output.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line.split("\t")[0]), line
