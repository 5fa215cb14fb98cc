"""Broken issue folders: each gives exactly the expected file:line:col problems.

Every folder under ``corpus/`` holds an issue folder ``issue/`` (and maybe a
``brand.yaml`` beside it) and ``expected.txt``: the problems as the CLI
prints them, paths relative to the case folder.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from leadex_mail.cli._common import LeadexGroup
from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.errors import ContentError

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def problems_text(case: Path, settings: Settings) -> str:
    """Load the case's issue, expecting failure; the problems as printed, paths relative to the case."""
    with pytest.raises(ContentError) as info:
        load_issue(case / "issue", settings)
    return "\n".join(p.format() for p in info.value.problems).replace(f"{case}/", "") + "\n"


def test_corpus_is_complete():
    # The brief's list of broken inputs; a case deleted by mistake fails here.
    wanted = {"bad_yaml", "wrong_types", "unknown_section", "missing_field", "missing_image", "raw_script", "bad_date", "two_errors"}
    assert wanted <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name, tmp_path):
    case = CORPUS / name
    settings = Settings(newsletters_dir=tmp_path)  # no brand.yaml there: only the case's own counts
    assert problems_text(case, settings) == (case / "expected.txt").read_text(encoding="utf-8")


def test_two_errors_in_one_file_are_both_reported(tmp_path):
    text = problems_text(CORPUS / "two_errors", Settings(newsletters_dir=tmp_path))
    assert "sl.yaml:9:5: error: unknown field 'heding'" in text and "did you mean 'heading'?" in text
    assert "sl.yaml:12:12: error: 'style' cannot be 'spotlite'" in text and "did you mean 'spotlight'?" in text


def test_errors_of_every_file_come_together(tmp_path):
    # One bad edition must not hide another's problems.
    issue = tmp_path / "two-files"
    issue.mkdir()
    good = (CORPUS / "unknown_section" / "issue" / "sl.yaml").read_text(encoding="utf-8")
    (issue / "sl.yaml").write_text(good, encoding="utf-8")
    (issue / "en.yaml").write_text(good.replace("language: sl", "language: en").replace("type: event\n", "type: partner\n"), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_issue(issue, Settings(newsletters_dir=tmp_path))
    located = [(Path(p.file).name, p.line, p.message) for p in info.value.problems]
    assert located == [("en.yaml", 9, "unknown section type 'partner'"), ("sl.yaml", 9, "unknown section type 'event'")]
    assert info.value.problems[0].hint == "did you mean 'partners'?"


def _cli_for(settings: Settings) -> click.Group:
    """A root group like leadex-mail's, with one command that loads an issue."""

    @click.group(cls=LeadexGroup)
    def root() -> None:
        """Test root."""

    @root.command()
    @click.argument("ref")
    def load(ref: str) -> None:
        load_issue(ref, settings)
        click.echo("ok")

    return root


@pytest.mark.parametrize("name", ["unknown_section", "bad_yaml", "raw_script"])
def test_cli_prints_located_problems_and_exits_1(name, tmp_path):
    case = CORPUS / name
    result = CliRunner().invoke(_cli_for(Settings(newsletters_dir=tmp_path)), ["load", str(case / "issue")])
    assert result.exit_code == 1
    expected = (case / "expected.txt").read_text(encoding="utf-8").replace("issue/", f"{case}/issue/")
    assert result.stderr.startswith(expected)
    assert result.stderr.rstrip().endswith("error in the issue files")
    assert "Traceback" not in result.output + result.stderr


def test_unknown_issue_names_the_known_ones(tmp_path):
    (tmp_path / "2026-04-leadex-01").mkdir()
    (tmp_path / "2026-04-leadex-01" / "sl.yaml").write_text("language: sl\n", encoding="utf-8")
    result = CliRunner().invoke(_cli_for(Settings(newsletters_dir=tmp_path)), ["load", "2026-04-leadex-1"])
    assert result.exit_code == 1
    assert "error: no issue '2026-04-leadex-1'" in result.stderr
    assert "hint: issues in" in result.stderr and "2026-04-leadex-01" in result.stderr


def test_placeholder_mark_covers_every_render_placeholder():
    from leadex_mail.content.checks import PLACEHOLDER_MARK
    from leadex_mail.render.result import PLACEHOLDERS

    assert all(marker.startswith(PLACEHOLDER_MARK) for marker in PLACEHOLDERS.values())
