"""The Issues page says a held schedule is "held", as the send page does, never "scheduled" beside its errors (en, sl).

The finding: the row read "scheduled · 1 to correct · to novice at 2026-12-02
05:16 UTC", three spans in a row read as "1 to correct to novice". Now the
state itself says "held" ("zadržano"). A real studio on a real SQLite store,
a real worker round holding the send; clocks injected.
"""

from __future__ import annotations

import re

from studio.studio_helpers import RunningStudio
from studio.test_studio_schedule_held import DUE, client_in, mark_subject, schedule_it, studio, worker_round  # noqa: F401 (a fixture)


def state_of(page: str) -> str:
    """The state word of the (only) issue's row."""
    found = re.search(r'<span class="state state-([a-z-]+)">([^<]*)</span>', page)
    assert found is not None, page
    return found.group(2)


def test_a_held_schedule_is_held_on_the_issues_page(studio: RunningStudio) -> None:  # noqa: F811
    schedule_it(studio)
    assert state_of(client_in(studio, "en").get("/").text) == "scheduled"
    mark_subject(studio)
    assert worker_round(studio, DUE) == 0  # the check refuses it at its time: held

    en = client_in(studio, "en").get("/").text
    assert state_of(en) == "held" and 'class="state state-held"' in en  # before: "scheduled"
    assert "held: 1 error to correct" in en
    sl = client_in(studio, "sl").get("/").text
    assert state_of(sl) == "zadržano" and "zadržano: 1 napaka za popravek" in sl  # before: "načrtovano"
