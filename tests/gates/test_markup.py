"""What axe cannot see, read from the HTML: lang, title, heading order, layout tables, link texts, images of text."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from leadex_mail.gates.linktext import generic_phrases, is_generic, normalise
from leadex_mail.gates.markup import check_markup, image_sizes, parse


def page(body: str, *, lang: str = "sl", title: str = "LeadEx novice", head: str = "") -> str:
    """A document shaped like MJML's output around ``body``."""
    return (
        f'<!doctype html><html lang="{lang}"><head><title>{title}</title>{head}</head>'
        f'<body><table role="presentation"><tr><td><div>{body}</div></td></tr></table></body></html>'
    )


def rules(html: str, language: str = "sl", **kw) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in check_markup(html, language, **kw)]


def test_control_a_clean_page_has_no_findings():
    assert rules(page("<h1>LeadEx</h1><h2>Novice</h2><p>Besedilo o projektu. <a href='https://example.org'>Več o projektu</a></p>")) == []


def test_lang_missing_or_not_the_editions():
    assert rules(page("<p>x</p>").replace(' lang="sl"', "")) == [("html-lang", "error")]
    found = check_markup(page("<p>x</p>", lang="en"), "sl")
    assert [f.message for f in found] == ['<html lang="en"> but this is the sl edition']
    assert rules(page("<p>x</p>", lang="sl-SI")) == []


@pytest.mark.parametrize("title", ["", "   "])
def test_title_missing_or_empty(title):
    assert rules(page("<p>x</p>", title=title)) == [("document-title", "error")]
    assert rules(page("<p>x</p>").replace("<title>LeadEx novice</title>", "")) == [("document-title", "error")]


def test_heading_levels_may_not_skip_going_down():
    found = check_markup(page("<h1>A</h1><h2>B</h2><h4>Intervju</h4><h2>C</h2><h3>D</h3>"), "sl")
    assert [(f.rule, f.severity, f.message) for f in found] == [("heading-order", "warning", "heading level skips from h2 to h4 at 'Intervju'")]


def test_layout_tables_need_role_presentation_data_tables_do_not():
    bare = page("<table><tr><td>layout</td></tr></table>")
    assert rules(bare) == [("layout-table", "error")]
    assert '1 layout table without role="presentation"' in check_markup(bare, "sl")[0].message
    assert rules(page('<table role="none"><tr><td>x</td></tr></table>')) == []
    assert rules(page("<table><caption>Termini</caption><tr><td>x</td></tr></table>")) == []
    assert rules(page("<table><tr><th>Datum</th></tr><tr><td>x</td></tr></table>")) == []


# -- link texts (the rule: linktext.py) ------------------------------------------------------------


@pytest.mark.parametrize("text", ["here", "HERE!", "Click here", "tukaj", "VEČ TUKAJ", "Več tukaj »", "Preberi več", "ovdje", "aquí", "siin", "więcej", "MORE HERE"])
def test_generic_texts_in_the_partner_languages(text):
    assert is_generic(text, generic_phrases())


@pytest.mark.parametrize("text", ["Več o uvodnem sestanku", "The kick-off meeting in Murcia", "Obišči spletno stran projekta", "", "www.interregeurope.eu/leadex"])
def test_texts_that_name_their_target(text):
    assert not is_generic(text, generic_phrases())


def test_the_catalogs_more_here_is_generic_whatever_it_says():
    assert not is_generic("Mehr dazu", generic_phrases())
    assert is_generic("Mehr dazu", generic_phrases(("Mehr dazu",)))


def test_normalise_ignores_case_punctuation_and_spacing():
    assert normalise("  »VEČ   tukaj«! ") == "več tukaj"


@pytest.mark.parametrize(
    "body",
    [
        '<p><a href="https://example.org/a">here</a></p>',  # a paragraph with the link only
        '<p>Read: <a href="https://example.org/a">here</a></p>',  # one word is not a sentence
        '<table role="presentation"><tr><td><a href="https://example.org/a">tukaj</a></td></tr></table>',  # a button
        '<ul><li><a href="https://example.org/a">VEČ TUKAJ</a></li></ul>',
    ],
)
def test_a_generic_link_alone_is_an_error(body):
    found = check_markup(page(body), "sl")
    assert [(f.rule, f.severity) for f in found] == [("link-text", "error")]
    assert "says nothing about where it leads, and nothing around it does" in found[0].message
    assert "(to https://example.org/a)" in found[0].message


@pytest.mark.parametrize(
    "body",
    [
        '<p>Partnerji so se zbrali v Murcii na uvodnem sestanku. <a href="https://example.org/a"><strong>VEČ TUKAJ</strong></a>.</p>',
        '<p>The report on teacher training is <a href="https://example.org/a">here</a>.</p>',
        '<ul><li>Program srečanja v Talinu: <a href="https://example.org/a">tukaj</a></li></ul>',
        '<p><a href="https://example.org/a" aria-label="Več o srečanju v Murcii">Več</a></p>',  # a label that names it
    ],
)
def test_a_generic_link_in_a_sentence_passes(body):
    assert rules(page(body)) == []


def test_anchors_without_href_are_not_links():
    assert rules(page("<p><a>here</a></p>")) == []


# -- images ------------------------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def test_a_banner_shaped_picture_marked_decorative_looks_like_text():
    resources = {"cid:a": ("image/png", _png(600, 120)), "cid:b": ("image/png", _png(600, 400))}
    html = page('<img src="cid:a" alt=""><img src="cid:b" alt="">')
    found = check_markup(html, "sl", image_size=image_sizes(resources))
    assert [(f.rule, f.severity, f.where) for f in found] == [("image-of-text", "warning", "cid:a")]
    assert "write them as its alt text" in found[0].hint


def test_a_picture_named_as_text_marked_decorative_looks_like_text():
    assert rules(page('<img src="images/newsletter-banner.png" alt="">')) == [("image-of-text", "warning")]
    assert rules(page('<img src="images/kickoff.jpg" alt="">')) == []


def test_a_file_name_is_not_an_alt_text():
    assert rules(page('<img src="images/a.jpg" alt="IMG_0042.JPG">')) == [("alt-file-name", "warning")]
    assert rules(page('<img src="images/a.jpg" alt="Partnerji na srečanju">')) == []


def test_a_missing_alt_is_left_to_axe():
    """image-alt is axe's (tested in Chromium); reporting it twice would only repeat it."""
    assert rules(page('<img src="images/a.jpg">')) == []


def test_the_tree_closes_paragraphs_and_tolerates_stray_end_tags():
    root = parse("<div><p>one<p>two</div></span><p>three")
    assert [p.text() for p in root.iter("p")] == ["one", "two", "three"]
    assert [p.parent.tag for p in root.iter("p")] == ["div", "div", "#document"]
