"""A second, different issue (issue 9 item 3): what the format must express, rendered and checked.

``tests/fixtures/second_issue`` is a partner's own newsletter: it names its
own brand file (``brand: brand-haka.yaml``), is dated by month, has numbered
and nested lists, events dated by year, month, day range and month range,
a good practice with no text, and leaves out the project, study-visit and
partner sections. It is copied beside the real ``newsletters/`` folder.
"""

from __future__ import annotations

import re
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.loader import issue_locations, load_issue
from leadex_mail.delivery.message import build_preview
from leadex_mail.errors import ContentError
from leadex_mail.render import check_issue, render_edition
from leadex_mail.render.palette import AA_TEXT, contrast_ratio, dark_contrast_pairs, dark_palette

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "second_issue"
SLUG = "2026-06-haka-02"


@pytest.fixture
def news(tmp_path) -> tuple[Path, Settings]:
    """``newsletters/`` (brand.yaml, issue No. 1) plus the second issue and its brand file."""
    folder = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", folder)
    shutil.copytree(FIXTURE, folder, dirs_exist_ok=True)
    return folder, Settings(newsletters_dir=folder, default_language="sl")


def test_it_loads_with_its_own_brand_and_checks_clean(news):
    folder, settings = news
    issue = load_issue(SLUG, settings)
    assert issue.brand.name == "HAKA uudised" and issue.brand.from_address == "leadex-haka@example.org"
    assert issue_locations(issue).brand_file == folder / "brand-haka.yaml"
    assert issue.brand.logo.src == "../brand-images/haka-logo.png"  # rebased like the default brand's
    assert check_issue(issue, settings) == []
    assert load_issue("2026-04-leadex-01", settings).brand.name == "LeadEx"  # the other issue keeps brand.yaml


def test_the_named_brand_is_what_the_reader_sees_and_who_sends(news):
    _, settings = news
    issue = load_issue(SLUG, settings)
    rendered = render_edition(issue, "en", settings)
    assert "#005e55" in rendered.html and "#0b4f8a" not in rendered.html  # HAKA's colour, not LeadEx's
    assert "this newsletter is published by HAKA" in rendered.html and "HAKA · Tallinn, Eesti" in rendered.text
    message = message_from_bytes(build_preview(rendered, settings, issue.brand), policy=policy.default)
    assert message["From"] == "HAKA – LeadEx <leadex-haka@example.org>"
    assert message["Reply-To"] == "info@example.org"


STEPS_TEXT = {
    "en": "1. Fill in the registration form [1].\n2. Confirm your e-mail address.\n   - look in the spam folder too\n   - the link is valid for 7 days\n3. Choose a date with your region.",
    "sl": "1. Izpolnite prijavni obrazec [1].\n2. Potrdite e-poštni naslov.\n   - preverite tudi mapo z neželeno pošto\n   - povezava velja 7 dni\n3. Z regijo izberite datum.",
}


@pytest.mark.parametrize("lang", ["en", "sl"])
def test_numbered_and_nested_lists_in_both_parts(news, lang):
    _, settings = news
    rendered = render_edition(load_issue(SLUG, settings), lang, settings)
    assert STEPS_TEXT[lang] in rendered.text
    nested = {"en": "- your school's self-evaluation\n  - the summary is enough\n- two questions", "sl": "- samoevalvacijo šole\n  - dovolj je povzetek\n- dve vprašanji"}
    assert nested[lang] in rendered.text
    ol = re.search(r"<ol[^>]*>(.*?)</ol>", rendered.html, re.S)
    assert ol and len(re.findall(r"<li[ >]", ol.group(1))) == 5  # 3 numbered items + 2 nested bullets
    assert rendered.html.count("<ul") == 3  # the nested list under item 2, and the bullets with their own nesting


def test_a_date_opening_a_paragraph_after_a_list_stays_a_paragraph(news):
    _, settings = news
    rendered = render_edition(load_issue(SLUG, settings), "sl", settings)
    assert "\n\n15. junija se prijave zaprejo. VEČ TUKAJ [2]." in rendered.text
    assert "15. junija se prijave zaprejo." in re.sub(r"<[^>]+>", "", rendered.html)
    assert rendered.html.count("<ol") == 1


DATES = {
    # masthead, a year, a month, a range of days, a range of months
    "sl": ["junij 2026", "2025", "marec 2026", "9.–11. mar. 2026", "julij–avgust 2026"],
    "en": ["June 2026", "2025", "March 2026", "Mar 9\u2009–\u200911, 2026", "July\u2009–\u2009August 2026"],  # CLDR's thin spaces
    "hr": ["lipanj 2026.", "2025.", "ožujak 2026.", "09.\u2009–\u200911. ožu 2026.", "srpanj\u2009–\u2009kolovoz 2026."],
}


@pytest.mark.parametrize("lang", sorted(DATES))
def test_dates_of_every_precision_per_locale(news, lang):
    _, settings = news
    rendered = render_edition(load_issue(SLUG, settings), lang, settings)
    lines = rendered.text.splitlines()
    masthead = next(i for i, line in enumerate(lines) if line.startswith("===")) + 1  # under the underlined title
    assert lines[masthead] == DATES[lang][0]
    shown = [line for line in lines if line in DATES[lang][1:]]
    assert shown == DATES[lang][1:]
    for when in DATES[lang]:
        assert f">{when}</" in rendered.html.replace("\n", "")


def test_a_good_practice_needs_no_text(news):
    _, settings = news
    rendered = render_edition(load_issue(SLUG, settings), "en", settings)
    assert "Good practices from Estonia\n---------------------------\n\n* Read them [3]" in rendered.text
    block = rendered.html[rendered.html.index("Good practices from Estonia") :]
    assert block.index("Read them") < block.index("Where we took part")


def test_a_broken_named_brand_is_reported_in_its_own_file(news):
    folder, settings = news
    brand = folder / "brand-haka.yaml"
    brand.write_text(brand.read_text(encoding="utf-8").replace('primary_color: "#005e55"', "primary_color: teal"), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_issue(SLUG, settings)
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.line, problem.path) == ("brand-haka.yaml", 7, "primary_color")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_missing_brand_file_is_located_where_it_is_named(news):
    folder, settings = news
    for lang in ("sl", "en", "hr"):
        _edit(folder / SLUG / f"{lang}.yaml", "brand-haka.yaml", "brand-hakka.yaml")
    with pytest.raises(ContentError) as info:
        load_issue(SLUG, settings)
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.line, problem.message) == ("sl.yaml", 8, "the brand file 'brand-hakka.yaml' does not exist")
    assert problem.hint.endswith("brand-haka.yaml, brand.yaml")  # the brand files there are listed


def test_editions_naming_different_brands_are_located(news):
    folder, settings = news
    _edit(folder / SLUG / "en.yaml", "brand-haka.yaml", "brand.yaml")
    _edit(folder / SLUG / "hr.yaml", "brand: brand-haka.yaml\n", "")
    with pytest.raises(ContentError) as info:
        load_issue(SLUG, settings)
    found = [(Path(p.file).name, p.line, p.message) for p in info.value.problems]
    assert found == [
        ("en.yaml", 11, "the en edition names the brand 'brand.yaml', the sl edition 'brand-haka.yaml'"),
        ("hr.yaml", 1, "the sl edition names the brand 'brand-haka.yaml', the hr edition none"),
    ]


def test_dark_mode_colours_of_the_second_brand_reach_aa(news):
    _, settings = news
    dark = dark_palette(load_issue(SLUG, settings).brand)
    assert all(contrast_ratio(fg, bg) >= AA_TEXT for _, fg, bg in dark_contrast_pairs(dark))
