"""Markdown to HTML (sanitised) and to plain text (numbered links, wrapping)."""

from __future__ import annotations

from leadex_mail.render.markdown import LinkCollector, append_inline, sanitise, to_html, to_text, wrap


def test_raw_html_never_passes():
    html = to_html('Hi <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))')
    assert "<script" not in html and "<img" not in html and "href" not in html
    assert "&lt;script&gt;" in html  # shown as text, harmless


def test_nh3_is_the_second_line_of_defence():
    dirty = '<p onclick="x()">a<script>b</script><a href="javascript:c()" target="_blank">d</a></p>'
    assert sanitise(dirty) == "<p>a<a>d</a></p>"


def test_links_bold_and_lists():
    html = to_html("**Bold** and [a link](https://example.org/a?b=1&c=2)\n\n- one\n- two")
    assert "<strong>Bold</strong>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2">a link</a>' in html
    assert "target=" not in html and "rel=" not in html
    assert "<ul>" in html and html.count("<li>") == 2


def test_a_date_at_the_start_is_not_a_numbered_list():
    assert to_html("15. oktobra je bila konferenca.") == "<p>15. oktobra je bila konferenca.</p>"
    assert to_text("15. oktobra je bila konferenca.", LinkCollector()) == "15. oktobra je bila konferenca."


def test_text_numbers_links_once_per_url():
    links = LinkCollector()
    text = to_text("See [one](https://example.org/1) and **[two](https://example.org/2)**, again [one](https://example.org/1).", links)
    assert text == "See one [1] and two [2], again one [1]."
    assert links.flush() == [(1, "https://example.org/1"), (2, "https://example.org/2")]
    assert links.flush() == []


def test_text_lists_and_paragraphs():
    assert to_text("Intro\n\n- a\n- b\n\nEnd", LinkCollector()) == "Intro\n\n- a\n- b\n\nEnd"


def test_wrap_never_breaks_urls_and_keeps_78_columns():
    url = "https://example.org/" + "x" * 100
    text = wrap(("word " * 40) + url + " tail [3].")
    lines = text.splitlines()
    assert url in lines
    assert all(len(line) <= 78 for line in lines if line != url)
    assert not any(line.startswith("[3]") for line in lines)


def test_wrap_hanging_indent_for_list_items():
    lines = wrap("- " + "word " * 30).splitlines()
    assert lines[0].startswith("- ") and all(line.startswith("  ") for line in lines[1:])


def test_more_link_joins_last_paragraph():
    assert append_inline("<p>a</p>\n<p>b</p>", "<a>x</a>") == "<p>a</p>\n<p>b <a>x</a></p>"
    assert append_inline("<ul><li>a</li></ul>", "<a>x</a>") == "<ul><li>a</li></ul><p><a>x</a></p>"


# -- numbered and nested lists (issue 9 item 3) ---------------------------------------

STEPS = "Kako se prijavite:\n\n1. Izpolnite obrazec.\n2. Potrdite e-pošto.\n   - preverite tudi mapo z neželeno pošto\n   - povezava velja 7 dni\n3. Izberite jezik."


def test_a_numbered_list_is_an_ol_with_its_nesting():
    # Before: flattened into one paragraph "1. Izpolnite obrazec. 2. Potrdite ...".
    html = to_html(STEPS)
    assert html.startswith("<p>Kako se prijavite:</p>\n<ol>\n<li>Izpolnite obrazec.</li>\n<li>Potrdite e-pošto.\n<ul>")
    assert html.count("<ol>") == 1 and html.count("<ul>") == 1 and html.count("<li>") == 5
    assert "<li>Izberite jezik.</li>\n</ol>" in html


def test_a_numbered_list_is_numbered_lines_in_the_text_part():
    assert to_text(STEPS, LinkCollector()) == (
        "Kako se prijavite:\n\n"
        "1. Izpolnite obrazec.\n"
        "2. Potrdite e-pošto.\n"
        "   - preverite tudi mapo z neželeno pošto\n"
        "   - povezava velja 7 dni\n"
        "3. Izberite jezik."
    )


def test_nested_bullets_keep_every_bullet_and_their_depth_in_the_text_part():
    # Before: "- x\n- y\n- z\n\nw": the nesting and the last item's bullet were lost.
    assert to_text("- x\n  - y\n    - z\n- w", LinkCollector()) == "- x\n  - y\n    - z\n- w"
    html = to_html("- x\n  - y\n    - z\n- w")
    assert html.count("<ul>") == 3 and html.index("<li>w</li>") > html.rindex("</ul>\n</li>")


def test_a_list_starting_elsewhere_keeps_its_numbers():
    html = to_html("1. a\n2. b\n\nMed njima.\n\n3. c\n4. d")
    assert html.count("<ol>") == 1  # 3. after a paragraph is not item 1 of a list: escaped
    assert to_html("Uvod\n\n1. a\n2. b\n3. c").count("<li>") == 3


def test_dates_opening_paragraphs_are_still_not_lists():
    for text in ("15. oktobra je bila konferenca.", "1. januarja smo začeli.\n\n2. februarja smo končali.", "1. 4. 2026 je dan"):
        html = to_html(text)
        assert "<ol>" not in html and html.startswith("<p>1") or html.startswith("<p>15"), html
    assert to_text("1. januarja smo začeli.\n\n2. februarja smo končali.", LinkCollector()) == "1. januarja smo začeli.\n\n2. februarja smo končali."


def test_numbered_items_hang_under_their_text_and_dates_do_not():
    item = "1. " + "beseda " * 25
    lines = wrap(item + "\n2. kratko").splitlines()
    assert lines[0].startswith("1. ") and lines[1].startswith("   beseda") and lines[-1] == "2. kratko"
    date = wrap("15. " + "oktobra " * 20).splitlines()
    assert not date[1].startswith(" ")
    nested = wrap("- a\n  - " + "gnezdo " * 20).splitlines()
    assert nested[1].startswith("  - gnezdo") and nested[2].startswith("    gnezdo")


LIST_CASES = [  # a9 repro/lists-sl.yaml (H5 is paragraphs in both parts: a lone "1." opening a line is not a list)
    "Koraki:\n1. prvi\n2. drugi\n3. tretji",
    "1. prvi\n2. drugi\n   - pod a\n   - pod b\n3. tretji",
    "1) ena\n2) dve",
    "1. ena\n2. dve\n\n1. spet ena\n2. spet dve",
    "- a\n  1. one\n  2. two\n- b",
    "1. ena\n2. dve\n\n1. spet ena\n2. spet dve\n\n1. in še\n2. enkrat",
]


def _html_numbers(html: str) -> list[int]:
    """The number a browser shows before each item of every <ol>, in document order."""
    from html.parser import HTMLParser

    shown: list[int] = []
    lists: list[int | None] = []

    class Walk(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("ol", "ul"):
                lists.append(int(dict(attrs).get("start") or 1) if tag == "ol" else None)
            elif tag == "li" and lists and lists[-1] is not None:
                shown.append(lists[-1])
                lists[-1] += 1

        def handle_endtag(self, tag):
            if tag in ("ol", "ul"):
                lists.pop()

    Walk().feed(html)
    return shown


def test_both_parts_number_a_list_alike():
    # a9 finding 13: "1. 2." + blank line + "1. 2." was one <ol> of 1-4 in HTML but "1. 2. 1. 2." in text.
    import re

    assert to_text(LIST_CASES[3], LinkCollector()) == "1. ena\n2. dve\n3. spet ena\n4. spet dve"
    for text in LIST_CASES:
        in_text = [int(n) for n in re.findall(r"^ *(\d+)[.)] ", to_text(text, LinkCollector()), re.M)]
        assert in_text == _html_numbers(to_html(text)), text
