"""A required text field emptied (as the studio saves a cleared input: ``heading: ''``) is an error at its line."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, ValidationError

from leadex_mail.config import Settings
from leadex_mail.content import model as content_model
from leadex_mail.content.loader import load_issue
from leadex_mail.errors import ContentError

EDITION = """\
language: sl
title: Test
subject: Test
number: 1
date: 2026-04
sections:
  - type: story
    heading: {heading}
    body: Besedilo.
  - type: events
    heading: Dogodki
    items:
      - date: 2026-03-09
        body: {body}
"""


@pytest.mark.parametrize(
    ("heading", "body", "path", "line"),
    [("''", "Srečanje.", "sections[0].heading", 8), ("Zgodba", "'   '", "sections[1].items[0].body", 14)],
)
def test_the_testers_emptied_heading_and_event_text_are_errors_at_their_line(tmp_path, heading, body, path, line):
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "sl.yaml").write_text(EDITION.format(heading=heading, body=body), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_issue(folder, Settings(newsletters_dir=tmp_path))
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.severity) == (path, line, "error")
    assert "required but empty" in problem.message


def _models() -> list[type[BaseModel]]:
    return [m for m in vars(content_model).values() if isinstance(m, type) and issubclass(m, content_model._Strict) and m is not content_model._Strict]


def test_every_required_text_field_of_every_model_refuses_empty():
    """The whole class: each model's required ``str`` fields (but the few that may be empty) refuse '' and spaces."""
    checked = 0
    for cls in _models():
        for name, field in cls.model_fields.items():
            if not field.is_required() or field.annotation is not str or name in content_model.MAY_BE_EMPTY:
                continue
            validator = cls.__pydantic_validator__
            for blank in ("", "  \n"):
                with pytest.raises(ValidationError) as caught:
                    validator.validate_assignment(cls.model_construct(), name, blank)
                assert caught.value.errors()[0]["type"] in ("empty_text", "string_pattern_mismatch"), (cls.__name__, name)  # language: its pattern
            checked += 1
    assert checked >= 15  # heading x5, body x3, title, subject, name, person, summary, country, organisation
