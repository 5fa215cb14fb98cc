"""Golden files of issue No. 1: the rendered sl and en HTML and text, byte for byte.

Regenerate after an intended change with ``LEADEX_UPDATE_GOLDEN=1 pytest tests/render``
and review the diff. Nothing is normalised: mjml-python writes no random
ids, and image cids are content hashes.
"""

from __future__ import annotations

import os

import pytest

from leadex_mail.render import render_edition

from .conftest import GOLDEN

UPDATE = os.environ.get("LEADEX_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("lang", ["sl", "en"])
@pytest.mark.parametrize("part", ["html", "txt"])
def test_matches_golden(issue, settings, lang, part):
    rendered = render_edition(issue, lang, settings)
    actual = rendered.html if part == "html" else rendered.text
    path = GOLDEN / f"{lang}.{part}"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with LEADEX_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs from the golden file; if intended, regenerate with LEADEX_UPDATE_GOLDEN=1"
