"""A one-line field written over several lines is a `check` warning at its line (the whole class).

Reported: a title written as a YAML block scalar (``title: |`` and two lines) passed ``check`` silently;
the mail's HTML ran the lines together and the plain-text part broke the title. Every one-line field of
the edition and brand models (every text field that is not Markdown, link addresses included; walked
from the models, so a new field is covered by itself) is written here as such a block, and must give one
warning at that field's path and at the file's line of the break. Fields that become mail headers refuse
a break outright (tests/content/test_content_control_chars.py); a project's tagline, postal addresses
and the funding statement may span lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from content_helpers import with_value

from leadex_mail.content.model import HEADER_FIELDS, Brand, Edition
from leadex_mail.content.onelines import SPANS_LINES, line_break_problems
from leadex_mail.content.walk import field_kinds, leaves
from leadex_mail.content.yamlsource import format_path, load_yaml

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2026-04-leadex-01"
EDITION = REPO / "newsletters" / ISSUE / "sl.yaml"
BRAND = REPO / "newsletters" / "brand.yaml"
TYPED = ("type", "style", "language", "date", "end_date", "primary_color", "accent_color", "text_color", "background_color", "brand", "src")
# Fields the shipped files leave out, filled in so that every one-line field is tried.
EXTRA = {
    Edition: lambda d: (
        next(s for s in d["sections"] if s["type"] == "study_visit")["interviews"][0].update(lead="Predstavnica", role="vodja", organisation="Zavod"),
        next(s for s in d["sections"] if s["type"] == "project")["logo"].update(link="https://www.interregeurope.eu/leadex"),
    ),
    Brand: lambda d: d.setdefault("privacy", {}).update(dpo="Ana Novak, dpo@example.org", authority="Informacijski pooblaščenec", authority_url="https://www.ip-rs.si", processors=["Gostitelj strani"]),
}


class _Literal(yaml.SafeDumper):
    """Writes every text with a line break as a literal block scalar (``|``), as a person would by hand."""


_Literal.add_representer(str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def _one_line_paths(data: dict, model: type) -> list[tuple]:
    return [
        leaf.path
        for leaf in leaves(data, model)
        if isinstance(leaf.value, str) and leaf.kind != "markdown" and leaf.path[-1] not in TYPED and not (len(leaf.path) == 1 and leaf.path[0] in HEADER_FIELDS)
        and not any(part in SPANS_LINES for part in leaf.path if isinstance(part, str))
    ]


def _all_one_line_names(model: type) -> set[str]:
    """Every one-line field name of ``model`` and the models inside it, read from the model classes."""
    from leadex_mail.content import model as models

    names: set[str] = set()
    for cls in vars(models).values():
        if isinstance(cls, type) and issubclass(cls, models._Strict) and cls is not models._Strict and cls.__module__ == models.__name__:
            if (model is Brand) != (cls in (Brand, models.Privacy)) and cls is not models.Image:
                continue
            texts = {n for n, a in cls.__annotations__.items() if a.replace(" | None", "") in ("str", "Url", "Text", "list[Text]")}
            names |= {n for n in texts if n in cls.model_fields and field_kinds(cls)[n] != "markdown"}
            if cls in (Edition, Brand):
                names -= HEADER_FIELDS  # (refused at the model: a break would end the mail header)
    return names - set(TYPED) - SPANS_LINES


@pytest.mark.parametrize("model,file", [(Edition, EDITION), (Brand, BRAND)], ids=["edition", "brand"])
def test_every_one_line_field_written_over_two_lines_is_a_warning_at_its_line(model, file, tmp_path):
    data, _ = load_yaml(file, str(file))
    EXTRA[model](data)
    paths = _one_line_paths(data, model)
    covered = {str(p[-1]) if isinstance(p[-1], str) else str(p[-2]) for p in paths}
    missing = _all_one_line_names(model) - covered
    assert not missing, f"one-line fields never tried: {missing}"
    assert len(paths) > (20 if model is Edition else 6)
    for path in paths:
        broken = with_value(data, path, "Prva vrstica\ndruga vrstica")
        written = tmp_path / file.name
        written.write_text(yaml.dump(broken, Dumper=_Literal, allow_unicode=True, sort_keys=False), encoding="utf-8")
        loaded, smap = load_yaml(written, file.name)
        found = list(line_break_problems(model.model_validate(loaded).model_dump(), model, smap))
        line = written.read_text(encoding="utf-8").splitlines().index(next(s for s in written.read_text(encoding="utf-8").splitlines() if s.strip() == "Prva vrstica")) + 1
        assert [(p.path, p.severity, p.code, p.line) for p in found] == [(format_path(path), "warning", "value.line_break", line)], path
        assert "is one line, but it is written over 2 lines" in found[0].message and "join the lines into one" in found[0].hint


def test_text_that_may_span_lines_is_left_alone():
    data, smap = load_yaml(EDITION, "sl.yaml")
    assert "\n" in next(s for s in data["sections"] if s["type"] == "project")["tagline"]  # the shipped tagline spans three lines
    story = next(s for s in data["sections"] if s["type"] == "story")
    story["body"] = "First line\nsecond line"
    assert list(line_break_problems(Edition.model_validate(data).model_dump(), Edition, smap)) == []


def test_check_warns_about_a_title_written_as_a_block_at_its_line(tmp_path):
    """The reported case, end to end: `leadex-mail check` on a copy of the issue whose title is a `|` block."""
    import shutil

    folder = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", folder)
    sl = folder / ISSUE / "sl.yaml"
    lines = sl.read_text(encoding="utf-8").splitlines()
    at = next(i for i, s in enumerate(lines) if s.startswith("title:"))
    lines[at : at + 1] = ["title: |", "  LeadEx novice", "  št. 1"]
    sl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "LEADEX_NEWSLETTERS_DIR": str(folder), "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}"}
    done = subprocess.run([sys.executable, "-m", "leadex_mail", "check", ISSUE], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert "Traceback" not in done.stderr
    assert f"sl.yaml:{at + 2}:" in done.stdout and "warning: 'title' is one line, but it is written over 2 lines (title)" in done.stdout, done.stdout + done.stderr
    assert "hint: join the lines into one" in done.stdout
