"""Language codes: read against a real registry (CLDR, ISO 639) and in one case, wherever a code enters (a13b #10).

``xx`` was accepted as an edition's language and ``EN`` refused instead of
read as ``en``. Every entry point is tried: an edition's ``language:``, its
file name, ``new --lang``, the ``--lang`` of the commands that pick an
edition, a subscriber's language (the store, ``subscribers add``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.errors import ContentError
from leadex_mail.languages import NotALanguage, canonical_language

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2026-04-leadex-01"


@pytest.mark.parametrize(("typed", "code"), [("EN", "en"), ("sl", "sl"), ("Sl", "sl"), ("en_gb", "en-GB"), ("EN-gb", "en-GB"), ("slv", "sl"), ("sr_latn_me", "sr-Latn-ME")])
def test_a_code_is_read_in_the_case_bcp_47_writes_it(typed: str, code: str) -> None:
    assert canonical_language(typed) == code


@pytest.mark.parametrize(("typed", "hint"), [("xx", "ISO 639"), ("qaa-ZZ", "ISO 639"), ("Slovenian", "write sl"), ("slovenščina", "write sl"), ("english", "write en"), ("e", "en-GB"), ("und", "ISO 639")])
def test_no_language_is_refused_with_a_hint(typed: str, hint: str) -> None:
    with pytest.raises(NotALanguage) as refused:
        canonical_language(typed)
    assert repr(typed) in refused.value.reason and hint in refused.value.hint


def newsletters(tmp_path: Path) -> Path:
    root = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", root)
    return root


def run(root: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"LEADEX_NEWSLETTERS_DIR": str(root), "LEADEX_CONFIG": "", "LEADEX_OUTBOX_DIR": str(root.parent / "outbox")})


def test_an_edition_whose_language_is_written_in_capitals_is_read_as_its_code(tmp_path: Path) -> None:
    root = newsletters(tmp_path)
    en = root / ISSUE / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace("language: en", "language: EN", 1), encoding="utf-8")
    issue = load_issue(ISSUE, Settings(newsletters_dir=root))
    assert issue.editions["en"].language == "en"


def test_an_edition_in_no_language_is_a_located_problem_with_a_hint(tmp_path: Path) -> None:
    root = newsletters(tmp_path)
    sl = root / ISSUE / "sl.yaml"
    sl.write_text(sl.read_text(encoding="utf-8").replace("language: sl", "language: xx", 1), encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        load_issue(ISSUE, Settings(newsletters_dir=root))
    [problem] = [p for p in refused.value.problems if p.path == "language"]
    assert problem.code == "value.unknown_language" and problem.line == 1 + sl.read_text(encoding="utf-8").split("\n").index("language: xx")
    assert "'xx' is not a known language code" in problem.message and "ISO 639" in (problem.hint or "")


@pytest.mark.parametrize(("name", "words", "hint"), [("xx", "is not a known language code", "ISO 639"), ("EN", "is not written as its language code is", "rename it to en.yaml"), ("Slovenian", "is not a language code", "rename it to sl.yaml")])
def test_an_edition_file_must_be_named_by_its_code_as_written(tmp_path: Path, name: str, words: str, hint: str) -> None:
    root = newsletters(tmp_path)
    (root / ISSUE / "en.yaml").rename(root / ISSUE / f"{name}.yaml")
    result = run(root, "check", ISSUE)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"the file name '{name}.yaml' {words}" in result.output + result.stderr and hint in result.output + result.stderr


def test_new_reads_the_language_flag_in_any_case_and_refuses_no_language(tmp_path: Path) -> None:
    root = tmp_path / "newsletters"
    made = run(root, "new", "2026-09-leadex-02", "--lang", "EN")
    assert made.exit_code == 0, made.output + made.stderr
    assert (root / "2026-09-leadex-02" / "en.yaml").is_file() and not (root / "2026-09-leadex-02" / "EN.yaml").exists()
    refused = run(root, "new", "2026-09-leadex-02", "--lang", "xx")
    assert refused.exit_code == 1 and "'xx' is not a known language code" in refused.stderr and "hint:" in refused.stderr
    named = run(root, "new", "2026-09-leadex-02", "--lang", "Slovenian")
    assert named.exit_code == 1 and "write sl (the code of Slovenian)" in named.stderr
    assert sorted(p.name for p in (root / "2026-09-leadex-02").glob("*.yaml")) == ["en.yaml"]


def test_the_commands_that_pick_an_edition_read_its_code_in_any_case(tmp_path: Path) -> None:
    root = newsletters(tmp_path)
    rendered = run(root, "render", ISSUE, "--lang", "EN", "--out", str(tmp_path / "out"))
    assert rendered.exit_code == 0, rendered.output + rendered.stderr
    assert (tmp_path / "out" / "en.html").is_file() and not (tmp_path / "out" / "sl.html").exists()


def test_a_subscribers_language_is_read_in_any_case_and_no_language_is_refused(tmp_path: Path) -> None:
    root = newsletters(tmp_path)
    env = {"LEADEX_NEWSLETTERS_DIR": str(root), "LEADEX_CONFIG": "", "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}"}
    runner = CliRunner()
    added = runner.invoke(main, ["subscribers", "add", "ana@example.org", "--lang", "SL"], env=env)
    assert added.exit_code == 0 and "language sl" in added.output, added.output
    refused = runner.invoke(main, ["subscribers", "add", "bor@example.org", "--lang", "xx"], env=env)
    assert refused.exit_code == 1 and "not a known language code" in refused.output + refused.stderr and "hint:" in refused.output + refused.stderr
