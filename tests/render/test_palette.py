"""Colour contrast: every text the template draws meets WCAG AA."""

from __future__ import annotations

import pytest

from leadex_mail.content.model import Brand
from leadex_mail.render.palette import AA_TEXT, contrast_pairs, contrast_ratio, failing_pairs, palette


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_real_brand_meets_aa_everywhere(issue):
    colors = palette(issue.brand)
    ratios = {what: round(contrast_ratio(fg, bg), 2) for what, fg, bg in contrast_pairs(colors)}
    assert all(r >= AA_TEXT for r in ratios.values()), ratios
    assert colors.on_primary == "#ffffff"


def test_a_pale_brand_is_repaired_where_it_can_be():
    colors = palette(Brand(primary_color="#9ecbff", accent_color="#ffe680", background_color="#ffffff"))
    assert colors.link == Brand().text_color  # pale blue links would fail: text colour instead
    assert colors.on_primary == Brand().text_color  # dark text on the pale masthead
    assert failing_pairs(colors) == []


def test_an_unreadable_brand_is_reported():
    colors = palette(Brand(text_color="#bbbbbb", background_color="#ffffff", primary_color="#cccccc"))
    failing = dict(failing_pairs(colors))
    assert "body text on the white panel" in failing and failing["body text on the white panel"] < AA_TEXT
