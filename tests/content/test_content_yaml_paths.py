"""The fast libyaml path and ruamel's parser must agree: same data, same positions, same styles."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadex_mail.content import yamlsource

REPO = Path(__file__).resolve().parents[2]
FILES = sorted([*REPO.joinpath("newsletters").rglob("*.yaml"), *REPO.joinpath("tests", "content", "corpus").rglob("*.yaml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_fast_parse_equals_ruamel(path):
    text = path.read_text(encoding="utf-8")
    try:
        slow = yamlsource._parse_ruamel(text, "f")
    except yamlsource.YamlSyntaxProblem:
        assert yamlsource._parse_fast(text, "f") is None  # broken files always get ruamel's message
        return
    fast = yamlsource._parse_fast(text, "f")
    if fast is None:  # e.g. an empty file: ruamel's path decides
        return
    assert fast[0] == slow[0]
    assert (fast[1].values, fast[1].keys, fast[1].styles) == (slow[1].values, slow[1].keys, slow[1].styles)


def test_duplicate_keys_go_to_ruamel():
    assert yamlsource._parse_fast("title: a\ntitle: b\n", "f") is None


def test_the_real_issue_takes_the_fast_path():
    text = (REPO / "newsletters" / "2026-04-leadex-01" / "sl.yaml").read_text(encoding="utf-8")
    assert yamlsource._parse_fast(text, "f") is not None


TRICKY = ["yes", "No", "on", "OFF", "true", "True", "FALSE", "null", "~", "", "12", "-3", "+4", "010", "0", "1.5", ".5", "1.", "1e3",
          "1.5e-3", "0x1F", "0o17", "1_000", "1:30", ".inf", "-.inf", ".nan", "2026-04-01", "2026-04-31", "2026-03", "2026-3", "1.2.3", "12a", "Let's Cooperate!",
          "'quoted'", '"12"', "!!str 12", "[a, b]", "{x: 1}"]


@pytest.mark.parametrize("value", TRICKY)
def test_scalars_are_typed_as_yaml_1_2_like_ruamel(value):
    """libyaml alone types by YAML 1.1 (`yes` -> True); the fast path must agree with ruamel or step aside."""
    text = f"label: {value}\nlist:\n  - {value}\n{value or 'empty'}: key\n"
    try:
        slow = yamlsource._parse_ruamel(text, "f")
    except yamlsource.YamlSyntaxProblem:
        assert yamlsource._parse_fast(text, "f") is None
        return
    fast = yamlsource._parse_fast(text, "f")
    if fast is not None:
        assert fast[0] == slow[0] and type(fast[0]["label"]) is type(slow[0]["label"]) or (
            isinstance(slow[0]["label"], int | float) and fast[0]["label"] == slow[0]["label"]
        )
        assert fast[1].styles == slow[1].styles


def test_yes_and_no_stay_text():
    fast = yamlsource._parse_fast("label: Yes\nalt: no\n", "f")
    assert fast is not None and fast[0] == {"label": "Yes", "alt": "no"}


def test_a_month_date_takes_the_fast_path_as_text():
    fast = yamlsource._parse_fast("date: 2026-06\nyear: 2025\n", "f")
    assert fast is not None and fast[0] == {"date": "2026-06", "year": 2025}
