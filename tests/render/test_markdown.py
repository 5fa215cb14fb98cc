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
