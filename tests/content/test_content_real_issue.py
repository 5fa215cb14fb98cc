"""Issue No. 1 as committed: loads cleanly, lints clean, and says exactly what the seed says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import (
    image_path,
    issue_edition_path,
    load_brand,
    load_issue,
)
from leadex_mail.content.model import Edition, Interview
from leadex_mail.content.walk import images

REPO = Path(__file__).resolve().parents[2]
NEWSLETTERS = REPO / "newsletters"
SLUG = "2026-04-leadex-01"
# A copy of ../shared/seeds/000_9b44aa4c8f9bdfd0.txt: CI clones may sit anywhere.
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_000_leadex_novice_1.txt"
PROJECT_PAGE = "https://www.interregeurope.eu/leadex"


@pytest.fixture(scope="module")
def issue():
    return load_issue(SLUG, Settings(newsletters_dir=NEWSLETTERS))


def test_loads_with_both_editions_and_sl_default(issue):
    assert sorted(issue.editions) == ["en", "sl"]
    assert issue.default_language == "sl"
    assert issue_edition_path(issue, "en") == NEWSLETTERS / SLUG / "en.yaml"


def test_lint_is_clean(issue):
    assert lint_issue(issue) == []


def test_same_sections_links_and_pictures_in_both_editions(issue):
    sl, en = issue.editions["sl"], issue.editions["en"]
    assert [s.type for s in sl.sections] == [s.type for s in en.sections]
    assert _srcs(sl) == _srcs(en)
    assert _urls(sl) == _urls(en) and set(_urls(sl)) == {PROJECT_PAGE}


def _srcs(edition: Edition) -> list[str]:
    return [image["src"] for _, image in images(edition.model_dump(), Edition)]


def _urls(edition: Edition) -> list[str]:
    return re.findall(r"'(?:url|link)': '([^']*)'", str(edition.model_dump()))


def test_every_image_exists_is_small_and_described(issue):
    pictures = [image for ed in issue.editions.values() for _, image in images(ed.model_dump(), Edition)]
    pictures += [issue.brand.logo.model_dump(), issue.brand.funding_logo.model_dump()]
    assert len(pictures) == 2 * 12 + 2
    for picture in pictures:
        from leadex_mail.content.model import Image

        path = image_path(issue, Image(**picture))
        assert path.is_file() and path.stat().st_size < 100 * 1024, path
        assert len(picture["alt"]) >= 10, picture


def test_brand(issue):
    brand = load_brand(Settings(newsletters_dir=NEWSLETTERS))
    assert brand.from_address == "newsletter@example.org"
    assert brand.website == PROJECT_PAGE
    assert "Evropska unija" in brand.funding["sl"] and "Co-funded by the European Union" in brand.funding["en"]
    # load_issue rebases brand pictures onto the issue folder; load_brand keeps them as written.
    assert brand.logo.src == "brand-images/leadex-logo.png"
    assert issue.brand.logo.src == "../brand-images/leadex-logo.png"


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_knows_black_on_white():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") < 4.5 < contrast("#767676", "#ffffff")


def test_brand_colours_meet_wcag_aa(issue):
    b = issue.brand
    for fg, bg in [(b.text_color, b.background_color), (b.primary_color, b.background_color), ("#ffffff", b.primary_color), ("#ffffff", b.accent_color), (b.text_color, "#ffffff")]:
        assert contrast(fg, bg) >= 4.5, (fg, bg)


# --- fidelity to the seed ------------------------------------------------------------

MORE = " **VEČ TUKAJ.**"


def seed_paragraphs() -> list[str]:
    """The seed's paragraphs, link markup removed ([x](#) -> x, \\( -> ()."""
    text = SEED.read_text(encoding="utf-8")
    text = re.sub(r"\[(.*?)\]\(#\)", r"\1", text).replace("\\(", "(").replace("\\)", ")")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def interview_sentence(iv: Interview) -> str:
    """The sentence as the renderer joins it (lead, link label, summary; no space before punctuation)."""
    label = iv.person + (f", {iv.role}" if iv.role else "") + (f" ({iv.organisation})" if iv.organisation else "")
    joiner = "" if iv.summary[:1] in ",.;:" else " "
    return (f"{iv.lead} " if iv.lead else "") + label + joiner + iv.summary


def edition_texts(edition: Edition) -> tuple[list[str], list[str]]:
    """Every paragraph-like text of an edition, and the labels of its 'more' links in order."""
    texts: list[str] = [edition.title]
    mores: list[str] = []
    for s in edition.sections:
        data = s.model_dump()
        texts += [data[k] for k in ("heading", "name", "tagline", "interviews_heading") if data.get(k)]
        texts += data.get("body", "").split("\n\n") if data.get("body") else []
        texts += [b["label"] for b in data.get("buttons", [])] + ([data["button"]["label"]] if data.get("button") else [])
        texts += [interview_sentence(iv) for iv in getattr(s, "interviews", [])]
        mores += [data["more"]["label"]] if data.get("more") else []
        for item in data.get("items", []):
            if "country" in item:
                texts.append(f"{item['country']} – {item['organisation']}")
            else:
                texts.append(item["body"])
                mores += [item["more"]["label"]] if item.get("more") else []
                texts += [item["image"]["alt"]] if item.get("image") else []
    return texts, mores


def test_every_seed_paragraph_is_reproduced_exactly(issue):
    sl = issue.editions["sl"]
    texts, mores = edition_texts(sl)
    plain = [t.replace("**", "") for t in texts]
    missing, more_count = [], 0
    for para in seed_paragraphs():
        if para == "april\n2026":  # the masthead shows the date as "april 2026"
            continue
        if para.startswith("**Europe,") or para == "#europecooperates":  # the campaign graphic, an image
            continue
        if para.endswith(MORE):
            para, more_count = para[: -len(MORE)], more_count + 1
        # Interview labels are links (bold or not is the renderer's style); all else keeps its bold.
        if para not in texts and para.replace("**", "") not in plain:
            missing.append(para)
    assert missing == []
    assert more_count == len(mores) == 7 and set(mores) == {"VEČ TUKAJ"}
    assert sl.date == dt.date(2026, 4, 1) and sl.title == "LeadEx novice št. 1"


def test_bold_of_the_seed_is_kept_in_bodies(issue):
    texts, _ = edition_texts(issue.editions["sl"])
    joined = "\n".join(texts)
    interviews = [interview_sentence(iv) for s in issue.editions["sl"].sections for iv in getattr(s, "interviews", [])]
    for bold in re.findall(r"\*\*(.+?)\*\*", SEED.read_text(encoding="utf-8"), flags=re.DOTALL):
        if bold in ("VEČ TUKAJ.",) or bold.startswith("Europe,"):
            continue
        assert f"**{bold}**" in joined or any(bold in iv for iv in interviews), bold


def test_seed_typos_are_kept(issue):
    texts, _ = edition_texts(issue.editions["sl"])
    joined = "\n".join(texts)
    assert "Obišči spletno stran porojekta" in joined and "povežalo" in joined


def test_campaign_graphic_alt_says_what_it_shows(issue):
    alts = [image["alt"] for _, image in images(issue.editions["sl"].model_dump(), Edition)]
    assert "Europe, let's cooperate! #europecooperates" in alts


def test_partners_match_the_seed(issue):
    partners = issue.editions["sl"].sections[-1]
    lines = [f"{p.country} – {p.organisation}" for p in partners.items]
    seed = seed_paragraphs()
    assert lines == seed[seed.index("LeadEx partnerji") + 1 :]
