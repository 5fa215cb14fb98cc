"""`leadex-mail new`: number and date from the slug and the previous issue; a new language from the default edition.

Through the real CLI on a copy of the repository's newsletters folder, checked
by loading the written files and running `check` on them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.content.model import Edition
from leadex_mail.content.scaffold import DRAFT_MARK, new_issue
from leadex_mail.content.walk import images, leaves

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2026-04-leadex-01"


@pytest.fixture
def newsletters(tmp_path: Path) -> Path:
    """A copy of the repository's newsletters folder: brand and issue No. 1."""
    target = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", target)
    return target


def run(newsletters: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"LEADEX_NEWSLETTERS_DIR": str(newsletters), "LEADEX_CONFIG": ""})


def test_new_takes_number_and_date_from_the_slug(newsletters):
    result = run(newsletters, "new", "2026-09-leadex-02")
    assert result.exit_code == 0, result.output + result.stderr
    edition = load_issue("2026-09-leadex-02", Settings(newsletters_dir=newsletters)).edition("sl")
    assert (edition.number, edition.date) == (2, dt.date(2026, 9, 1))
    assert edition.title == "LeadEx novice št. 2"
    assert all(item.date == dt.date(2026, 9, 1) for s in edition.sections if s.type == "events" for item in s.items)
    assert "No. 2 (from the name; the issue before it, 2026-04-leadex-01, is No. 1), dated 2026-09-01 (from the name)" in result.output


def test_new_without_number_or_date_in_the_slug_follows_the_latest_issue(newsletters):
    settings = Settings(newsletters_dir=newsletters)
    assert run(newsletters, "new", "2026-09-leadex-02").exit_code == 0
    made = new_issue("summer-special", settings, today=dt.date(2026, 11, 30))
    assert (made.number, made.number_from, made.date, made.date_from) == (3, "previous", dt.date(2026, 11, 30), "today")
    assert made.previous is not None and (made.previous.slug, made.previous.number) == ("2026-09-leadex-02", 2)
    assert (load_issue("summer-special", settings).edition().number) == 3


def test_a_number_another_issue_has_is_a_warning(newsletters):
    """Finding i8/a8 #11: `new 2025-01-leadex-01` made a second "No. 1" without a word."""
    result = run(newsletters, "new", "2025-01-leadex-01")
    assert result.exit_code == 0, result.output + result.stderr
    assert "warning: No. 1 is also 2026-04-leadex-01 (dated 2026-04-01)" in result.output
    assert "warning:" not in run(newsletters, "new", "2026-09-leadex-02").output


def test_a_dated_slug_is_numbered_after_the_issue_dated_before_it(newsletters):
    """Finding i8/a8 #11: `new 2026-10-…` after a December issue got a higher number than the later-dated one."""
    settings = Settings(newsletters_dir=newsletters)
    assert run(newsletters, "new", "2026-12-leadex-02").exit_code == 0
    result = run(newsletters, "new", "2026-10-special")
    assert result.exit_code == 0, result.output + result.stderr
    assert load_issue("2026-10-special", settings).edition().number == 2  # after April's No. 1, not December's No. 2
    assert "the issue before it, 2026-04-leadex-01, is No. 1" in result.output
    assert "warning: No. 2 is also 2026-12-leadex-02 (dated 2026-12-01)" in result.output
    made = new_issue("2027-02-leadex", settings)
    assert made.number == 3 and made.previous is not None and made.previous.slug == "2026-12-leadex-02" and made.warnings == ()


def test_the_first_issue_is_number_one(tmp_path):
    result = run(tmp_path / "newsletters", "new", "2027-01-news")
    assert result.exit_code == 0, result.output + result.stderr
    edition = load_issue("2027-01-news", Settings(newsletters_dir=tmp_path / "newsletters")).edition()
    assert (edition.number, edition.date) == (1, dt.date(2027, 1, 1))


def test_a_slug_with_an_impossible_date_is_refused(newsletters):
    result = run(newsletters, "new", "2026-13-leadex-02")
    assert result.exit_code == 1
    assert "'2026-13', which is not a date" in result.stderr and "hint: start it with the year and month" in result.stderr
    assert "Traceback" not in result.output and not (newsletters / "2026-13-leadex-02").exists()


def _only_sl(newsletters: Path) -> Path:
    folder = newsletters / ISSUE
    (folder / "en.yaml").unlink()
    return folder


def test_new_language_starts_from_the_default_edition(newsletters):
    folder = _only_sl(newsletters)
    result = run(newsletters, "new", ISSUE, "--lang", "en")
    assert result.exit_code == 0, result.output + result.stderr
    assert "a copy of the sl edition (No. 1, 2026-04-01)" in result.output
    issue = load_issue(ISSUE, Settings(newsletters_dir=newsletters))
    sl, en = issue.edition("sl"), issue.edition("en")
    # The same sections and items in the same order; pictures, links, number and dates kept.
    assert (en.number, en.date) == (sl.number, sl.date)
    assert [s.type for s in en.sections] == [s.type for s in sl.sections]
    assert _kept(en) == _kept(sl)
    assert [p for p, _ in images(en.model_dump(), Edition)] == [p for p, _ in images(sl.model_dump(), Edition)]
    # Every text to translate is the default edition's, marked.
    texts = {leaf.path: leaf.value for leaf in leaves(en.model_dump(), Edition) if isinstance(leaf.value, str) and leaf.kind != "url"}
    source = {leaf.path: leaf.value for leaf in leaves(sl.model_dump(), Edition) if isinstance(leaf.value, str) and leaf.kind != "url"}
    kept_as_is = {"type", "style", "language", "src", "person", "name"}
    for path, value in source.items():
        if path[-1] in kept_as_is:
            assert texts[path] == (value if path != ("language",) else "en")
        elif value:
            assert texts[path] == f"{DRAFT_MARK} {value}", path
    # `check` refuses the untranslated edition, line by line; translated (here: marks deleted), it is clean.
    check = run(newsletters, "check", ISSUE)
    assert check.exit_code == 1 and f"en.yaml:7:8: error: this text is still marked {DRAFT_MARK}" in check.output
    en_file = folder / "en.yaml"
    en_file.write_text(en_file.read_text(encoding="utf-8").replace(f"{DRAFT_MARK} ", ""), encoding="utf-8")
    again = run(newsletters, "check", ISSUE)
    assert again.exit_code == 0, again.output


def _kept(edition: Edition) -> list[tuple]:
    """Everything a translation keeps: links, picture files, dates, numbers, flags."""
    return [(leaf.path, leaf.value) for leaf in leaves(edition.model_dump(), Edition) if leaf.kind == "url" or not isinstance(leaf.value, str) or leaf.path[-1] == "src"]


def test_new_language_of_a_broken_issue_says_what_to_correct(newsletters):
    folder = _only_sl(newsletters)
    sl = folder / "sl.yaml"
    sl.write_text(sl.read_text(encoding="utf-8").replace("type: partners", "type: partner"), encoding="utf-8")
    result = run(newsletters, "new", ISSUE, "--lang", "en")
    assert result.exit_code == 1
    assert "unknown section type 'partner'" in result.stderr and "cannot start the en edition" in result.stderr
    assert "hint: correct them first" in result.stderr and not (folder / "en.yaml").exists()


def test_check_finds_what_the_scaffold_left_even_without_its_mark(newsletters):
    assert run(newsletters, "new", "2026-09-leadex-02").exit_code == 0
    target = newsletters / "2026-09-leadex-02" / "sl.yaml"
    # The officer deleted every mark but left example texts and the example picture.
    target.write_text(target.read_text(encoding="utf-8").replace(f"{DRAFT_MARK} ", ""), encoding="utf-8")
    result = run(newsletters, "check", "2026-09-leadex-02")
    assert result.exit_code == 1
    assert "error: this is still the example text from `leadex-mail new`: 'Naslov novice' (sections[1].heading)" in result.output
    assert "error: the example picture images/example.png from `leadex-mail new` is still in place (sections[1].image.src)" in result.output
