"""`leadex-mail new` and `leadex-mail schema` through the real CLI, checked through the library."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue
from leadex_mail.content.model import SECTION_TYPES
from leadex_mail.content.schema import brand_schema, edition_schema, schema_text

REPO = Path(__file__).resolve().parents[2]
NEWSLETTERS = REPO / "newsletters"


def run(tmp_path: Path, *args: str):
    """Run leadex-mail with its newsletters folder in ``tmp_path``."""
    return CliRunner().invoke(main, list(args), env={"LEADEX_NEWSLETTERS_DIR": str(tmp_path / "newsletters"), "LEADEX_CONFIG": ""})


def test_new_creates_an_issue_that_loads_and_check_flags_its_links(tmp_path):
    result = run(tmp_path, "new", "2026-06-leadex-02")
    assert result.exit_code == 0, result.output + result.stderr
    target = tmp_path / "newsletters" / "2026-06-leadex-02" / "sl.yaml"
    assert f"Created {target}" in result.output
    issue = load_issue("2026-06-leadex-02", Settings(newsletters_dir=tmp_path / "newsletters"))
    assert [s.type for s in issue.edition("sl").sections] == list(SECTION_TYPES)
    findings = lint_issue(issue)
    # Everything the scaffold leaves is an error: `send` refuses the issue until it is written.
    assert findings and all(f.severity == "error" for f in findings)
    assert {f.message for f in findings} >= {"the link address is a placeholder '#'", "a link in the text has no real address ('#')"}
    assert all(f.file == str(target) and f.line for f in findings)
    # The editor line points at a schema that exists.
    assert target.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../schema.json\n")
    assert (tmp_path / "newsletters" / "schema.json").read_text(encoding="utf-8") == schema_text()


def test_new_refuses_to_overwrite_but_adds_a_language(tmp_path):
    assert run(tmp_path, "new", "issue-2").exit_code == 0
    target = tmp_path / "newsletters" / "issue-2" / "sl.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    again = run(tmp_path, "new", "issue-2")
    assert again.exit_code == 1
    assert "already exists; leadex-mail new does not overwrite" in again.stderr and "hint:" in again.stderr
    assert target.read_text(encoding="utf-8").endswith("# edited\n")
    assert run(tmp_path, "new", "issue-2", "--lang", "en").exit_code == 0
    issue = load_issue("issue-2", Settings(newsletters_dir=tmp_path / "newsletters"))
    # The new language starts from the existing edition, marked for translation (tests/content/test_content_new.py).
    assert sorted(issue.editions) == ["en", "sl"] and issue.edition("en").title == "✎ LeadEx novice št. 2"


@pytest.mark.parametrize("args", [("new", "Bad Slug"), ("new", "ok-slug", "--lang", "Slovene")])
def test_new_rejects_bad_names(tmp_path, args):
    result = run(tmp_path, *args)
    assert result.exit_code == 1 and "hint:" in result.stderr
    assert not (tmp_path / "newsletters").exists()


def test_schema_command_prints_the_committed_schemas(tmp_path):
    edition = run(tmp_path, "schema")
    brand = run(tmp_path, "schema", "--brand")
    assert edition.exit_code == brand.exit_code == 0
    assert edition.output == (NEWSLETTERS / "schema.json").read_text(encoding="utf-8")
    assert brand.output == (NEWSLETTERS / "brand.schema.json").read_text(encoding="utf-8")
    parsed = json.loads(edition.output)
    assert parsed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert parsed["properties"]["date"]["description"].startswith("Publication month (2026-06) or day (2026-06-01)")


def test_schema_out_writes_a_file(tmp_path):
    out = tmp_path / "schema.json"
    result = run(tmp_path, "schema", "--out", str(out))
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == schema_text()


def _yaml_as_json(path: Path):
    """Load YAML the way an editor's YAML 1.2 validator sees it (dates are text)."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("name", ["sl.yaml", "en.yaml"])
def test_real_editions_validate_against_the_schema(name):
    jsonschema.Draft202012Validator(edition_schema(), format_checker=jsonschema.FormatChecker()).validate(_yaml_as_json(NEWSLETTERS / "2026-04-leadex-01" / name))


def test_brand_validates_and_schema_catches_mistakes():
    jsonschema.Draft202012Validator(brand_schema()).validate(_yaml_as_json(NEWSLETTERS / "brand.yaml"))
    broken = _yaml_as_json(NEWSLETTERS / "2026-04-leadex-01" / "sl.yaml")
    broken["sections"][0]["type"] = "event"
    broken["sections"][1]["heding"] = "x"
    errors = list(jsonschema.Draft202012Validator(edition_schema()).iter_errors(broken))
    assert errors  # an editor would underline these


def test_format_doc_names_every_field_and_section_type():
    from leadex_mail.content import model

    doc = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    classes = [model.Edition, model.Brand, model.Image, model.Link, model.Interview, model.EventItem, model.Partner]
    classes += [model.MastheadSection, model.StorySection, model.ProjectSection, model.StudyVisitSection]
    classes += [model.GoodPracticesSection, model.EventsSection, model.PartnersSection]
    undocumented = [f"{cls.__name__}.{name}" for cls in classes for name in cls.model_fields if f"`{name}`" not in doc]
    assert undocumented == []
    assert all(f"### `{kind}`" in doc for kind in SECTION_TYPES)
