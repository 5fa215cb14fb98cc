"""The compile step: output invariants, placeholders, caching."""

from __future__ import annotations

import re

import pytest

from leadex_mail.content.model import SECTION_TYPES, Link
from leadex_mail.render import render_edition, render_issue
from leadex_mail.render.result import PLACEHOLDERS


@pytest.fixture(scope="module")
def editions(issue, settings):
    return render_issue(issue, settings)


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_html_keeps_what_mail_clients_need(editions, lang):
    html = editions[lang].html
    assert html.startswith("<!doctype html>")
    assert f'<html lang="{lang}"' in html
    assert re.search(r"<title>[^<]+</title>", html)
    assert "<!--[if mso | IE]>" in html  # Outlook conditional comments survive inlining
    assert "@media only screen and (min-width:480px)" in html
    hidden = re.search(r'<div class="lx-preheader" style="(display:none;[^"]*)">([^<]+)</div>', html)
    assert hidden and hidden.group(2).startswith(editions[lang].preheader[:40]), "hidden preheader"
    # Hidden without a colour of its own: white on the light page is SpamAssassin's HTML_FONT_LOW_CONTRAST (issue 9).
    assert "color" not in hidden.group(1)
    assert '<meta name="color-scheme" content="light dark"' in html and "@media (prefers-color-scheme: dark)" in html
    hidden = re.search(r'<div class="lx-preheader" style="[^"]*">([^<]+)</div>', html)
    assert hidden.group(1).count("&zwnj;") >= 20, "filler after the preheader"
    tables = re.findall(r"<table[^>]*>", html)
    assert tables and all('role="presentation"' in t for t in tables)


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_every_image_has_alt(editions, lang):
    imgs = re.findall(r"<img[^>]*>", editions[lang].html)
    assert len(imgs) >= 10
    assert all(re.search(r'\balt="[^"]+"', tag) for tag in imgs), "real issue has no decorative images"


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_placeholders_survive_and_personalise(editions, lang):
    rendered = editions[lang]
    for key in ("unsubscribe_url", "view_url", "preferences_url", "privacy_url"):
        assert f'href="{PLACEHOLDERS[key]}"' in rendered.html
    assert PLACEHOLDERS["unsubscribe_url"] in rendered.text
    html, text = rendered.personalise({"unsubscribe_url": "https://example.org/u/T?a=1&b=2", "view_url": "https://example.org/v"})
    assert 'href="https://example.org/u/T?a=1&amp;b=2"' in html
    assert "https://example.org/u/T?a=1&b=2" in text
    assert "[[LX:" not in html and "[[LX:" not in text


def test_second_render_is_cached(issue, settings, fresh_render):
    first = render_edition(issue, "sl", settings)
    assert render_edition(issue, "sl", settings) is first


def test_unknown_language_falls_back_to_default(issue, settings):
    assert render_edition(issue, "de", settings).language == issue.default_language


def test_images_embedded_by_cid_or_linked_by_url(issue, settings):
    import dataclasses

    embedded = render_edition(issue, "sl", settings)
    cids = set(re.findall(r'src="cid:([^"]+)"', embedded.html))
    assert cids and cids == {image.cid for image in embedded.inline_images}
    linked = render_edition(issue, "sl", dataclasses.replace(settings, images_url="https://cdn.example.org/img/"))
    assert "cid:" not in linked.html and linked.inline_images == ()
    assert re.search(r'src="https://cdn.example.org/img/2026-04-leadex-01/kickoff-murcia(-\d+w)?.jpg"', linked.html)
    assert linked.content_hash != embedded.content_hash


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("sl", ["Odjava", "Nastavitve", "Poglej v brskalniku", "Projekt sofinancira Evropska unija", "Kontakt:", "www.interregeurope.eu/leadex"]),
        ("en", ["Unsubscribe", "Preferences", "View in browser", "Co-funded by the European Union", "Contact:", "MORE HERE"]),
    ],
)
def test_footer_and_fixed_strings_in_the_edition_language(editions, lang, words):
    from .textutil import visible_text

    text = visible_text(editions[lang].html)
    assert all(word in text for word in words), [w for w in words if w not in text]
    assert all(word in editions[lang].text for word in words[:2])


def test_adding_a_language_is_adding_a_catalog(issue, settings):
    """An hr edition (the English text marked hr) gets Croatian fixed strings and dates."""
    en = issue.editions["en"]
    story = next(i for i, section in enumerate(en.sections) if section.type == "story")
    unlabelled = en.sections[story].model_copy(update={"more": Link(url="https://example.org/more")})
    sections = [unlabelled if i == story else section for i, section in enumerate(en.sections)]
    hr = en.model_copy(update={"language": "hr", "sections": sections})
    croatian = issue.model_copy(update={"editions": {**issue.editions, "hr": hr}})
    rendered = render_edition(croatian, "hr", settings)
    assert rendered.language == "hr" and '<html lang="hr"' in rendered.html
    for word in ("VIŠE OVDJE", "Postavke", "Odjava", "Pogledaj u pregledniku", "travanj 2026."):
        assert word in rendered.html and word in rendered.text


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_text_part_is_wrapped_underlined_and_lists_links(editions, lang):
    text = editions[lang].text
    lines = text.splitlines()
    long = [line for line in lines if len(line) > 78 and "://" not in line and "[[LX:" not in line]
    assert long == []
    underlined = [i for i in range(1, len(lines)) if lines[i] and set(lines[i]) <= {"-", "="} and len(lines[i]) == len(lines[i - 1])]
    assert len(underlined) >= 8
    refs = set(re.findall(r"\[(\d+)\](?! http)", text))
    listed = set(re.findall(r"^\[(\d+)\] https?://", text, re.MULTILINE))
    assert refs and refs == listed



def test_an_event_without_a_date_shows_no_date(issue, settings):
    """The seed gives no date for the forum item: the text part shows none (and none is invented)."""
    rendered = render_edition(issue, "sl", settings)
    lines = rendered.text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("12. medregionalni forum"))
    assert lines[at - 1].strip() == "", lines[at - 3 : at + 1]
    dated = next(i for i, line in enumerate(lines) if line.startswith("6. mednarodna konferenca"))
    assert lines[dated - 1] == "23. apr. 2026"


@pytest.mark.parametrize("left_out", SECTION_TYPES)
def test_any_section_type_may_be_left_out(issue, settings, left_out):
    # Issue 9: a second issue leaves out whole section types; each edition still renders and checks.
    from leadex_mail.content.lint import lint_issue

    sl = issue.editions["sl"]
    kept = [s for s in sl.sections if s.type != left_out]
    assert len(kept) < len(sl.sections)
    edition = sl.model_copy(update={"sections": kept})
    shorter = issue.model_copy(update={"editions": {"sl": edition}})
    rendered = render_edition(shorter, "sl", settings)
    assert rendered.html and rendered.text.startswith("Poglej v brskalniku")
    gone = [s for s in sl.sections if s.type == left_out]
    for section in gone:
        words = section.buttons[0].label if left_out == "project" else getattr(section, "heading", None)
        if words:  # the masthead's title is also the edition's title, shown elsewhere
            assert words not in rendered.text
    assert [p for p in lint_issue(shorter) if p.severity == "error"] == []


def test_an_edition_of_one_section_renders(issue, settings):
    sl = issue.editions["sl"]
    story = next(s for s in sl.sections if s.type == "story")
    lone = issue.model_copy(update={"editions": {"sl": sl.model_copy(update={"sections": [story]})}})
    rendered = render_edition(lone, "sl", settings)
    assert story.heading in rendered.text and "Odjava" in rendered.text


def test_the_privacy_block_is_not_part_of_the_content(issue, settings):
    """Correcting the controller's contact mid-campaign changes no mail: `send --resume` must not refuse the issue as changed."""
    from leadex_mail.render.pipeline import content_hash

    privacy = issue.brand.privacy.model_copy(update={"dpo": "Someone Else, dpo2@example.org"})
    edited = issue.model_copy(update={"brand": issue.brand.model_copy(update={"privacy": privacy})})
    renamed = issue.model_copy(update={"brand": issue.brand.model_copy(update={"name": "LeadEx 2"})})
    base = content_hash(issue, issue.edition("sl"), settings)
    assert content_hash(edited, edited.edition("sl"), settings) == base
    assert content_hash(renamed, renamed.edition("sl"), settings) != base  # the test can fail: the brand does count
