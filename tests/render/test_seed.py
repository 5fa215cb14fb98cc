"""Every paragraph of the sent newsletter (the seed) appears in the sl edition."""

from __future__ import annotations

import pytest

from leadex_mail.render import render_edition

from .conftest import SEED
from .textutil import seed_paragraphs, text_without_refs, visible_text

# Words that stood inside pictures of the original, not in its text: here
# they are the alt text of the forum's picture (alt text is not visible text).
IN_PICTURES = {"Europe, let's cooperate!", "#europecooperates"}


@pytest.fixture(scope="module")
def sl(issue, settings):
    return render_edition(issue, "sl", settings)


def _paragraphs() -> list[str]:
    return [p for p in seed_paragraphs(SEED) if p not in IN_PICTURES]


def test_seed_has_the_paragraphs_we_expect():
    paragraphs = _paragraphs()
    assert len(paragraphs) >= 30
    assert "april 2026" in paragraphs and "Hrvaška – Varaždinska županija" in paragraphs


@pytest.mark.parametrize("paragraph", _paragraphs(), ids=lambda p: p[:40])
def test_paragraph_in_html_and_text(sl, paragraph):
    assert paragraph in visible_text(sl.html)
    assert paragraph in text_without_refs(sl.text)


def test_picture_words_are_alt_text(sl):
    assert 'alt="Europe, let&#39;s cooperate! #europecooperates"' in sl.html or "alt=\"Europe, let's cooperate! #europecooperates\"" in sl.html
