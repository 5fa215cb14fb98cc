"""Rich-text fields: the editor's document becomes the format's Markdown, which renders as it looked."""

from __future__ import annotations

import pytest

from leadex_mail.render.markdown import to_html
from leadex_mail.studio.richtext import RichTextError, round_trip_trouble, to_markdown


def text(value: str, *marks: object) -> dict:
    return {"type": "text", "text": value, "marks": [m if isinstance(m, dict) else {"type": m} for m in marks]}


def para(*children: dict) -> dict:
    return {"type": "paragraph", "content": list(children)}


def doc(*blocks: dict) -> dict:
    return {"type": "doc", "content": list(blocks)}


def link(href: str) -> dict:
    return {"type": "link", "attrs": {"href": href}}


def items(kind: str, *paragraphs: dict, order: int | None = None) -> dict:
    node = {"type": kind, "content": [{"type": "list_item", "content": [p]} for p in paragraphs]}
    if order:
        node["attrs"] = {"order": order}
    return node


CASES = [
    (doc(para(text("Plain words."))), "Plain words.", "<p>Plain words.</p>"),
    (doc(para(text("A "), text("bold", "strong"), text(" word."))), "A **bold** word.", "<p>A <strong>bold</strong> word.</p>"),
    (doc(para(text("bold ", "strong"), text("then"))), "**bold** then", "<p><strong>bold</strong> then</p>"),
    (doc(para(text("See "), text("the site", link("https://example.org/a b")), text("."))), "See [the site](https://example.org/a%20b).", '<p>See <a href="https://example.org/a%20b">the site</a>.</p>'),
    (doc(para(text("both", "strong", "em"))), "***both***", "<p><em><strong>both</strong></em></p>"),
    (doc(para(text("one")), para(text("two"))), "one\n\ntwo", "<p>one</p>\n<p>two</p>"),
    (doc(items("bullet_list", para(text("a")), para(text("b")))), "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    (doc(para(text("Stars * and [brackets] and <b>tags</b> stay text"))), "Stars \\* and \\[brackets\\] and \\<b>tags\\</b> stay text", "<p>Stars * and [brackets] and &lt;b&gt;tags&lt;/b&gt; stay text</p>"),
    (doc(para(text("- not a bullet"))), "\\- not a bullet", "<p>- not a bullet</p>"),
    (doc(para(text("line"), {"type": "hard_break"}, text("break"))), "line\\\nbreak", "<p>line<br>\nbreak</p>"),
    (doc(para(text("15. oktobra je bil dan."))), "15. oktobra je bil dan.", "<p>15. oktobra je bil dan.</p>"),
]


@pytest.mark.parametrize(("document", "markdown", "html"), CASES)
def test_documents_become_markdown_that_renders_as_they_looked(document: dict, markdown: str, html: str) -> None:
    assert to_markdown(document) == markdown
    assert to_html(markdown) == html


def test_a_link_with_an_address_mail_cannot_follow_is_dropped() -> None:
    assert to_markdown(doc(para(text("click", link("javascript:alert(1)"))))) == "click"
    assert to_markdown(doc(para(text("later", link("#"))))) == "[later](#)"  # a placeholder: check flags it


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "doc", "content": [{"type": "image", "attrs": {"src": "x"}}]},
        {"type": "doc", "content": [{"type": "heading", "content": [text("H")]}]},
        {"type": "doc", "content": [para(text("x", "underline"))]},
        {"type": "paragraph"},
        ["not", "a", "doc"],
    ],
)
def test_anything_outside_the_subset_is_refused(bad: object) -> None:
    with pytest.raises(RichTextError):
        to_markdown(bad)


@pytest.mark.parametrize(
    ("markdown", "trouble"),
    [
        ("Plain **bold**, *italic* and [a link](https://example.org).\n\n- one\n- two\n  - nested\n\n1. first\n2. second", None),
        ("line\\\nbreak", None),
        ("15. oktobra je bil dan.", None),
        ("> a quote", "quote"),
        ("# Heading", "heading"),
        ("![img](https://example.org/a.png)", "picture"),
        ("`code`", "code"),
        ("_emphasis_", "underscore"),
        ("__bold__", "underscore"),
        ("first line\nsecond line", "soft_break"),
        ("file_name", "rewrite"),
    ],
)
def test_a_text_the_editor_would_change_is_named_and_one_it_keeps_is_not(markdown: str, trouble: str | None) -> None:
    assert round_trip_trouble(markdown) == trouble


def test_lists_side_by_side_stay_two_lists_and_empty_paragraphs_are_not_written() -> None:
    # A paste from Word of its list then a web page's list gives two bullet lists in a row
    # (a13 #13); written with the same marker, CommonMark reads them back as one list.
    pasted = doc(
        items("bullet_list", para(text("ena")), para(text("dve"))),
        para(),
        items("bullet_list", para(text("tri"))),
        items("bullet_list", para(text("štiri"))),
        items("ordered_list", para(text("a")), para(text("b"))),
        items("ordered_list", para(text("c")), para(text("d"))),
    )
    markdown = to_markdown(pasted)
    assert markdown == "- ena\n- dve\n\n* tri\n\n- štiri\n\n1. a\n2. b\n\n1) c\n2) d"
    assert to_html(markdown).count("<ul>") == 3 and to_html(markdown).count("<ol>") == 2
    nested = doc({"type": "bullet_list", "content": [{"type": "list_item", "content": [para(), items("bullet_list", para(text("x")))]}]})
    assert to_markdown(nested) == "-\n  - x"


def test_a_numbered_list_the_format_reads_as_text_is_written_as_numbered_paragraphs() -> None:
    # "3. tri\n4. štiri" (Word continuing its numbering, a web page's <ol start=3>) or a list of
    # one: render.markdown reads these as text, and as list lines they would run into one paragraph.
    markdown = to_markdown(doc(items("ordered_list", para(text("tri")), para(text("štiri")), order=3), items("ordered_list", para(text("sam")))))
    assert markdown == "3. tri\n\n4. štiri\n\n1. sam"
    assert to_html(markdown) == "<p>3. tri</p>\n<p>4. štiri</p>\n<p>1. sam</p>"
    assert round_trip_trouble(markdown) is None
