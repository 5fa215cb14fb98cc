"""Every address an officer types, pastes or hand-writes goes through the rich-text editor unchanged (a13c #13).

The editor starts from ``editor_html`` and saves ``to_markdown`` of its
document. For each address: the Markdown written for a typed address is the
one a person would write (an IRI stays readable: "Poročilo", not
"Poro%C4%8Dilo"), the renderer makes of it the href it makes of the typed
address, the rich view does not turn it into Markdown source, and the
editor reloaded from it writes it back byte for byte. A hand-written form
that means the same (``<...>``, a backslash escape, an entity, an autolink) is shown as
a link too, and saving writes the canonical form with the same href.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from leadex_mail.render.markdown import _parser, to_html
from leadex_mail.studio.richtext import editor_html, round_trip_trouble, to_markdown

REPORTED = "https://example.org/docs/Poročilo Murcia (final).pdf"

# (typed in the link dialog, the Markdown destination written for it)
TYPED = [
    (REPORTED, "https://example.org/docs/Poročilo%20Murcia%20(final).pdf"),
    ("https://example.org/docs/Poročilo.pdf", "https://example.org/docs/Poročilo.pdf"),
    ("https://sl.wikipedia.org/wiki/Občina_Škofja_Loka", "https://sl.wikipedia.org/wiki/Občina_Škofja_Loka"),
    ("https://example.org/docs/a(final).pdf", "https://example.org/docs/a(final).pdf"),
    ("https://example.org/((a)(b))", "https://example.org/((a)(b))"),
    ("https://example.org/a)b", "<https://example.org/a)b>"),
    ("https://example.org/a(b", "<https://example.org/a(b>"),
    ("https://example.org/find?q=šola&lang=sl&x=a=b", "https://example.org/find?q=šola&lang=sl&x=a=b"),
    ("https://example.org/page#odsek-č", "https://example.org/page#odsek-č"),
    ("https://example.org/Poro%C4%8Dilo%20Murcia%28final%29.pdf", "https://example.org/Poro%C4%8Dilo%20Murcia%28final%29.pdf"),
    ("https://example.org/100%", "https://example.org/100%"),
    ("https://example.org/end.", "https://example.org/end."),
    ("https://example.org/end),", "<https://example.org/end),>"),
    ("https://example.org/a*b_c[d]`e`", "https://example.org/a*b_c[d]`e`"),
    ("https://čšž.example/pot", "https://čšž.example/pot"),
    ("mailto:ana@example.org?subject=Poročilo%20št.%201", "mailto:ana@example.org?subject=Poročilo%20št.%201"),
    ("https://example.org/?a=1&amp;b=2", "https://example.org/?a=1\\&amp;b=2"),
    ("https://example.org/a\\(b", "<https://example.org/a\\\\(b>"),
    ("https://example.org/a\\b", "https://example.org/a\\b"),
    ("https://example.org/a<b>c", "https://example.org/a%3Cb%3Ec"),
    ("http://example.org/a b\tc", "http://example.org/a%20b%09c"),
    ("https://example.org/a\u00a0b", "https://example.org/a%C2%A0b"),
]

# Hand-written Markdown the editor must show as links and save byte for byte.
HAND_WRITTEN = [
    "Glej [poročilo](https://example.org/docs/Poročilo.pdf).",
    "Glej [poročilo](https://example.org/docs/a(final).pdf) in [to](https://example.org/b).",
    "[Poročilo](https://example.org/docs/Poročilo%20Murcia%20%28final%29.pdf)",
    "[iskanje](https://example.org/find?q=%C5%A1ola&lang=sl)",
    "[**krepko**](https://example.org/Občina) in [*ležeče*](https://example.org/a#b)",
    "[ena](https://example.org/ena(1)) ena\n\n[dve](https://example.org/dve?x=1&y=%20#ž)",
    "[a](https://example.org/a)b) stays text",
]

# Hand-written forms that read as the same address: shown as links, saved in the canonical form.
SAME_ADDRESS = [
    ("[a](<https://example.org/a b.pdf>)", "[a](https://example.org/a%20b.pdf)"),
    ("[a](<https://example.org/a.pdf>)", "[a](https://example.org/a.pdf)"),
    ("[a](https://example.org/a\\(b)", "[a](<https://example.org/a(b>)"),
    ("[a](https://example.org/?x=1&amp;y=2)", "[a](https://example.org/?x=1&y=2)"),
    ("[a]( https://example.org/Poročilo.pdf )", "[a](https://example.org/Poročilo.pdf)"),
    ("<https://example.org/Poročilo_2026.pdf>", "[https://example.org/Poročilo\\_2026.pdf](https://example.org/Poročilo_2026.pdf)"),
]


def link_doc(words: str, href: str) -> dict:
    mark = {"type": "link", "attrs": {"href": href}}
    return {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": words, "marks": [mark]}]}]}


def email_hrefs(markdown: str) -> list[str]:
    """The hrefs of the email's HTML for ``markdown`` (the renderer's own)."""
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]*)"', to_html(markdown))]


class EditorDocument(HTMLParser):
    """The document the editor builds from its starting HTML (richtext.js's schema: the link mark takes the href attribute)."""

    BLOCKS = {"p": "paragraph", "ul": "bullet_list", "ol": "ordered_list", "li": "list_item"}
    MARKS = {"a": "link", "strong": "strong", "em": "em"}

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.doc: dict = {"type": "doc", "content": []}
        self.stack, self.marks = [self.doc], []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.BLOCKS:
            node = {"type": self.BLOCKS[tag], "content": []}
            self.stack[-1]["content"].append(node)
            self.stack.append(node)
        elif tag in self.MARKS:
            self.marks.append({"type": "link", "attrs": {"href": dict(attrs)["href"]}} if tag == "a" else {"type": self.MARKS[tag]})

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.stack.pop()
        elif tag in self.MARKS:
            self.marks.pop()

    def handle_data(self, data: str) -> None:
        if data.strip("\n"):
            self.stack[-1]["content"].append({"type": "text", "text": data, "marks": list(self.marks)})


def editor_saves(markdown: str) -> str:
    """What the editor writes for ``markdown`` opened and saved without a change."""
    return to_markdown(EditorDocument(editor_html(markdown)).doc)


@pytest.mark.parametrize(("typed", "written"), TYPED)
def test_a_typed_address_is_written_as_a_person_would_and_survives_the_editor(typed: str, written: str) -> None:
    markdown = to_markdown(link_doc("poročilo", typed))
    assert markdown == f"[poročilo]({written})"
    assert round_trip_trouble(markdown) is None  # the rich view shows it
    assert email_hrefs(markdown) == [_parser().normalizeLink(typed)]  # the href the typed address makes
    assert editor_saves(markdown) == markdown  # opened again, saved again: unchanged


@pytest.mark.parametrize("markdown", HAND_WRITTEN)
def test_hand_written_links_open_as_links_and_are_saved_unchanged(markdown: str) -> None:
    assert round_trip_trouble(markdown) is None
    assert editor_saves(markdown) == markdown


@pytest.mark.parametrize(("markdown", "saved"), SAME_ADDRESS)
def test_another_written_form_of_an_address_opens_as_a_link_and_saves_with_the_same_href(markdown: str, saved: str) -> None:
    assert round_trip_trouble(markdown) is None
    assert editor_saves(markdown) == saved
    assert email_hrefs(saved) == email_hrefs(markdown)
    assert round_trip_trouble(saved) is None


def test_a_link_with_a_title_is_still_named_as_something_the_editor_would_drop() -> None:
    assert round_trip_trouble('[a](https://example.org/a "Naslov")') == "rewrite"
