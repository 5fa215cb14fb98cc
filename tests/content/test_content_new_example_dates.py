"""The new issue's example never guesses a date: its events' dates are placeholders marked ✎, and the check refuses them.

"An example of every kind of section" gave each example event the issue's first day as
its date and last day, unmarked, though the field's help says "never guess": an officer
who rewrote only the ✎ texts sent the guessed date. A date written ``"✎ 2026-09-01"`` is
a date all the same (the preview shows it) and an error of ``check`` and ``send`` at its
field until the mark goes, in the default edition and in a translation started from it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.content.dates import WrittenDate
from leadex_mail.content.drafts import draft_problems
from leadex_mail.content.loader import issue_locations, load_issue
from leadex_mail.content.scaffold import DRAFT_MARK

REPO = Path(__file__).resolve().parents[2]
SLUG = "2026-09-leadex-02"
DATES = ("sections[5].items[0].date", "sections[5].items[0].end_date")


@pytest.fixture
def newsletters(tmp_path: Path) -> Path:
    target = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", target)
    return target


def run(newsletters: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"LEADEX_NEWSLETTERS_DIR": str(newsletters), "LEADEX_CONFIG": ""})


def _date_errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if "this date is still marked" in line]


def test_the_examples_event_dates_are_marked_and_the_check_refuses_them_in_every_edition(newsletters: Path) -> None:
    assert run(newsletters, "new", SLUG).exit_code == 0
    assert run(newsletters, "new", SLUG, "--lang", "en").exit_code == 0
    issue = load_issue(SLUG, Settings(newsletters_dir=newsletters))
    for language in ("sl", "en"):
        events = [s for s in issue.edition(language).sections if s.type == "events"]
        item = events[0].items[0]
        assert item.date == dt.date(2026, 9, 1) and isinstance(item.date, WrittenDate) and item.date.marked, language
        assert str(item.date) == "2026-09-01"  # the preview shows a date, not the mark
    check = run(newsletters, "check", SLUG)
    assert check.exit_code == 1
    said = _date_errors(check.output)
    assert len(said) == 4 and all(path in " ".join(said) for path in DATES), check.output
    assert "sl.yaml:59:15: error: this date is still marked ✎" in check.output, check.output


def test_a_date_written_without_its_mark_is_a_date_the_check_accepts(newsletters: Path) -> None:
    assert run(newsletters, "new", SLUG).exit_code == 0
    sl = newsletters / SLUG / "sl.yaml"
    sl.write_text(sl.read_text(encoding="utf-8").replace(f'"{DRAFT_MARK} 2026-09-01"', '"2026-10-05"'), encoding="utf-8")
    check = run(newsletters, "check", SLUG)
    assert not _date_errors(check.output), check.output
    edition = load_issue(SLUG, Settings(newsletters_dir=newsletters)).edition("sl")
    item = next(s for s in edition.sections if s.type == "events").items[0]
    assert item.date == dt.date(2026, 10, 5) and not item.date.marked


def test_a_marked_date_is_a_draft_problem_of_the_loaded_edition_that_send_checks(newsletters: Path) -> None:
    assert run(newsletters, "new", SLUG).exit_code == 0
    issue = load_issue(SLUG, Settings(newsletters_dir=newsletters))
    found = [p for p in draft_problems(issue.edition("sl"), issue_locations(issue).edition("sl")) if str(p.path).endswith("date")]
    assert [(p.code, str(p.path), p.line) for p in found] == [("draft.marked", DATES[0], 59), ("draft.marked", DATES[1], 60)]
    assert WrittenDate.parse(f"{DRAFT_MARK} 2026-09").marked and WrittenDate.parse(f"{DRAFT_MARK} 2026-09").precision == "month"
    assert not WrittenDate.parse("2026-09-01").marked
    assert WrittenDate.parse(f"{DRAFT_MARK} 2026-09-01") == WrittenDate.parse("2026-09-01")
