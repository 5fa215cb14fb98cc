"""lint_issue: each finding, located at the line it is about, with the severity `send` acts on."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PIL import Image

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue

SL = """\
language: sl
title: Test
subject: {subject}
number: 1
date: 2026-04-01
sections:
  - type: story
    heading: Zgodba
    image:
      src: images/big.png
      alt: ""
    body: Preberi [več](#).
    more:
      url: "#"
  - type: partners
    heading: Partnerji
    items:
      - country: Slovenija
        organisation: Ministrstvo
"""

EN = """\
language: en
title: Test
subject: Test
preheader: A line
number: 1
date: 2026-04-01
sections:
  - type: story
    heading: Story
    image:
      src: images/big.png
      alt: ""
      decorative: true
    body: Read more.
"""


def make_issue(tmp_path: Path, subject: str = "Test") -> Path:
    folder = tmp_path / "lint-me"
    (folder / "images").mkdir(parents=True)
    (folder / "sl.yaml").write_text(SL.format(subject=subject), encoding="utf-8")
    (folder / "en.yaml").write_text(EN, encoding="utf-8")
    # Noise does not compress: 300x300 RGB is ~270 KB as PNG.
    Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(folder / "images" / "big.png")
    return folder


def test_each_warning_is_located(tmp_path):
    folder = make_issue(tmp_path, subject="x" * 79)
    issue = load_issue(folder, Settings(newsletters_dir=tmp_path))
    # Sizes of random noise vary by a KB from run to run.
    got = sorted((Path(p.file).name, p.line, p.path, p.severity, re.sub(r"\d+ KB", "N KB", p.message.split(";")[0].split(" (")[0])) for p in lint_issue(issue))
    assert got == [
        ("en.yaml", 7, "sections", "warning", "the en edition ends after section 1, but the sl edition has a 'partners' section 2"),
        ("en.yaml", 7, "sections", "warning", "the en edition has no 'partners' section"),
        ("en.yaml", 11, "sections[0].image.src", "warning", "image 'images/big.png' is N KB"),
        ("sl.yaml", 1, "preheader", "warning", "the edition has no preheader"),
        ("sl.yaml", 3, "subject", "warning", "the subject is 79 characters long"),
        ("sl.yaml", 10, "sections[0].image.src", "warning", "image 'images/big.png' is N KB"),
        ("sl.yaml", 11, "sections[0].image.alt", "error", "the image has no alt text"),
        ("sl.yaml", 12, "sections[0].body", "error", "a link in the text has no real address"),
        ("sl.yaml", 12, "sections[0].body", "error", "the link 'več'"),  # "Preberi [več](#)." says nothing more
        ("sl.yaml", 14, "sections[0].more.label", "error", "the link without a label"),  # "more here" closing it
        ("sl.yaml", 14, "sections[0].more.url", "error", "the link address is a placeholder '#'"),
    ]
    assert all(p.hint for p in lint_issue(issue))


def test_subject_of_78_characters_is_fine(tmp_path):
    issue = load_issue(make_issue(tmp_path, subject="x" * 78), Settings(newsletters_dir=tmp_path))
    assert not [p for p in lint_issue(issue) if p.path == "subject"]


def test_editions_that_disagree_on_number_or_date_are_errors(tmp_path):
    folder = make_issue(tmp_path)
    en = folder / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace("number: 1", "number: 2").replace("date: 2026-04-01", "date: 2026-05-01"), encoding="utf-8")
    issue = load_issue(folder, Settings(newsletters_dir=tmp_path))
    got = [(Path(p.file).name, p.line, p.path, p.severity, p.message) for p in lint_issue(issue) if p.path in ("number", "date")]
    assert got == [
        ("en.yaml", 5, "number", "error", "the en edition is No. 2, the sl edition No. 1"),
        ("en.yaml", 6, "date", "error", "the en edition is dated 2026-05-01, the sl edition 2026-04-01"),
    ]


def _findings_at(tmp_path: Path, path: str, **replace: str) -> list[str]:
    folder = make_issue(tmp_path)
    sl = folder / "sl.yaml"
    text = sl.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    sl.write_text(text, encoding="utf-8")
    issue = load_issue(folder, Settings(newsletters_dir=tmp_path))
    return [p.message for p in lint_issue(issue) if p.path == path and p.severity == "error" and Path(p.file).name == "sl.yaml"]


# Tester's finding i8/a8 #9: these passed `check` and `send`.
UNFINISHED_LINKS = ["http://#", "https://", "https://example.com/", "https://www.example.org", "http://localhost:8000/x", "mailto:"]
FINISHED_LINKS = ["https://www.interregeurope.eu/leadex", "https://haka.example.org/form", "mailto:info@example.org", "https://example.com/leadex/2026"]


def test_links_that_lead_nowhere_are_errors(tmp_path):
    for n, url in enumerate(UNFINISHED_LINKS + FINISHED_LINKS):
        folder = tmp_path / str(n)
        in_field = _findings_at(folder, "sections[0].more.url", **{'url: "#"': f'url: "{url}"'})
        in_text = _findings_at(folder / "t", "sections[0].body", **{"(#)": f"(<{url}>)" if url else "()"})
        if url in UNFINISHED_LINKS:
            assert in_field and "is not a real address" in in_field[0], (url, in_field)
            assert in_text and "has no real address" in in_text[0], (url, in_text)
        else:
            assert in_field == [], (url, in_field)


UNFINISHED_ALTS = ["\u200b", " \u2060\ufeff ", "image", "Logo", "slika", "logo.png", "big.png", "… ✏", "📷", "---"]
FINISHED_ALTS = ["LeadEx project logo", "Ana Novak at the kick-off in Murcia", "Udeleženci srečanja v Talinu", "2026"]


def test_alt_texts_that_say_nothing_are_errors(tmp_path):
    for n, alt in enumerate(UNFINISHED_ALTS + FINISHED_ALTS):
        got = _findings_at(tmp_path / str(n), "sections[0].image.alt", **{'alt: ""': f'alt: "{alt}"'})
        assert bool(got) == (alt in UNFINISHED_ALTS), (alt, got)


EVENTS = """\
language: {lang}
title: T
subject: T
preheader: T
number: 1
date: 2026-04
sections:
  - type: events
    heading: Dogodki
    items:
      - date: {first}
        end_date: 2026-03-11
        body: Srečanje.
      - date: 2026-05
        body: Obisk.
"""


def test_editions_that_disagree_on_an_events_date_are_errors_naming_both_values(tmp_path):
    """The tester's case: Event 1's date changed in sl, en left at the old one; any dated field of a section is compared."""
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "sl.yaml").write_text(EVENTS.format(lang="sl", first="2026-03-10"), encoding="utf-8")
    (folder / "en.yaml").write_text(EVENTS.format(lang="en", first="2026-03-09").replace("end_date: 2026-03-11", "end_date: 2026-03-12").replace("date: 2026-05\n", "date: 2026-05-01\n"), encoding="utf-8")
    issue = load_issue(folder, Settings(newsletters_dir=tmp_path))
    got = [(Path(p.file).name, p.line, p.path, p.severity, p.message) for p in lint_issue(issue) if p.severity == "error"]
    assert got == [
        ("en.yaml", 11, "sections[0].items[0].date", "error", "section 1 (events), items[0].date: the en edition says 2026-03-09, the sl edition 2026-03-10"),
        ("en.yaml", 12, "sections[0].items[0].end_date", "error", "section 1 (events), items[0].end_date: the en edition says 2026-03-12, the sl edition 2026-03-11"),
        ("en.yaml", 14, "sections[0].items[1].date", "error", "section 1 (events), items[1].date: the en edition says 2026-05-01, the sl edition 2026-05"),
    ]
    (folder / "en.yaml").write_text(EVENTS.format(lang="en", first="2026-03-10"), encoding="utf-8")
    assert not [p for p in lint_issue(load_issue(folder, Settings(newsletters_dir=tmp_path))) if p.severity == "error"]
