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
