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
