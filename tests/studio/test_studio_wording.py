"""The studio's sentences say what happened in the officer's language, whole and punctuated (a13b #11)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from leadex_mail.errors import ContentError
from leadex_mail.studio import pictures, richtext
from leadex_mail.studio.i18n import words
from leadex_mail.studio.web import environment
from studio.studio_helpers import ISSUE, copy_newsletters, serve_studio, studio_settings

HANDWRITTEN = Path(__file__).parent / "handwritten"


def text_of(page: str) -> str:
    """The words of ``page`` as read: tags gone (a space where one stood), spaces folded."""
    words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()
    return re.sub(r" ([,;.])", r"\1", words)


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "63 sent; 2 uncertain: the mail server did not confirm them (the connection broke just after the message went out), so those people may have received it twice."),
        ("sl", "Poslano: 63; negotovo: 2 – poštni strežnik jih ni potrdil (povezava se je prekinila takoj po oddaji sporočila), zato so jih ti ljudje morda prejeli dvakrat."),
    ],
)
def test_a_campaigns_counts_are_one_punctuated_sentence_that_says_what_uncertain_means(language: str, line: str) -> None:
    w = words(language)
    campaign = SimpleNamespace(campaign=SimpleNamespace(id=1, status="done", paused_reason=None), list_name="newsletter", counts={"sent": 63, "failed": 0, "uncertain": 2}, rate=None, failures=[], other_lists=())
    shown = environment().get_template("_campaigns.html.j2").render(campaigns=[campaign], stopped=(), t=w.t, session=SimpleNamespace(may=lambda _: False), slug=ISSUE, csrf="x", csrf_field="csrf")
    counts = re.search(r'<p class="counts-line"[^>]*>(.*?)</p>', shown, re.S).group(1)
    assert text_of(counts) == line
    held = {"sent": 63, "failed": 1, "uncertain": 3, "held": 1}  # send_uncertain = hold: one of the three not sent again
    campaign.counts = held
    shown = environment().get_template("_campaigns.html.j2").render(campaigns=[campaign], stopped=(), t=w.t, session=SimpleNamespace(may=lambda _: False), slug=ISSUE, csrf="x", csrf_field="csrf")
    said = text_of(re.search(r'<p class="counts-line"[^>]*>(.*?)</p>', shown, re.S).group(1))
    assert w.t("delivery_uncertain", n=2) in said and w.t("delivery_held", n=1) in said and said.endswith(").")


def test_a_file_the_form_cannot_show_is_explained_in_slovenian_and_the_cores_english_is_folded_away_and_marked(tmp_path: Path) -> None:
    copy_newsletters(tmp_path, ISSUE)
    file = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    file.write_text(file.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Naslov: z dvopičjem ", 1), encoding="utf-8")
    with serve_studio(studio_settings(tmp_path), root=tmp_path) as studio:
        page = studio.client().get(f"/issues/{ISSUE}/sl").text  # the officer's language: Slovenian
    details = re.search(r'<details class="detail">(.*?)</details>', page, re.S).group(1)
    assert "Podrobnosti za osebo, ki upravlja studio" in details and re.search(r"sl\.yaml, vrstica \d+:", details)
    assert re.search(r'<span lang="en">not valid YAML: [^<]+</span>', details)
    outside = text_of(page.replace(details, ""))
    assert "not valid YAML" not in outside and "mapping values" not in outside
    assert "Datoteko te izdaje je nekdo spremenil zunaj studia" in outside


def test_every_sentence_naming_picture_kinds_names_the_ones_the_studio_takes(tmp_path: Path) -> None:
    from PIL import Image

    assert pictures.accepted_names() == ["JPEG", "PNG", "GIF", "WebP"]
    for language, kinds in (("en", "JPEG, PNG, GIF, or WebP"), ("sl", "JPEG, PNG, GIF ali WebP")):
        w = words(language)
        assert f"({kinds})" in w.t("picture_drop") and kinds in w.finding("picture.unusable", {})
    webp, bmp = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(webp, "WEBP")
    Image.new("RGB", (40, 30), "red").save(bmp, "BMP")
    assert pictures.store_picture(tmp_path, "photo.webp", webp.getvalue()) == "images/photo.jpg"  # taken: converted
    with pytest.raises(ContentError) as refused:
        pictures.store_picture(tmp_path, "scan.bmp", bmp.getvalue())  # not in the list: refused, saying what is taken
    assert refused.value.problems[0].code == "picture.unusable" and "JPEG, PNG, GIF or WebP" in refused.value.message


def test_markdown_the_editor_would_rewrite_says_what_it_would_change_and_why_the_source_is_shown() -> None:
    body = (HANDWRITTEN / "a13b-markdown-variants-sl.yaml").read_text(encoding="utf-8").split("body: |\n", 1)[1].split("\n  - type:")[0]
    assert richtext.round_trip_trouble(body.replace("\n      ", "\n").strip()) == "rewrite"
    for language, shown in (("en", ["“*”", "“1)”", "so it is shown as Markdown", "saved exactly as written"]), ("sl", ["»*«", "»1)«", "zato je prikazano kot Markdown", "natanko tako, kot je zapisano"])):
        w = words(language)
        note = w.t("rt_source_only", what=w.t("rt_what_rewrite"))
        assert all(part in note for part in shown), note
