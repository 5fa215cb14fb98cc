"""load_issue's rules beyond the corpus: default language, file names, brand lookup, image paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image as PILImage

from leadex_mail.config import Settings
from leadex_mail.content.loader import (
    image_path,
    issue_locations,
    issue_slugs,
    load_brand,
    load_issue,
)
from leadex_mail.errors import ContentError, IssueNotFound

EDITION = """\
language: {lang}
title: Test
subject: Test
preheader: Test
number: 1
date: 2026-04-01
sections:
  - type: masthead
{extra}"""


def write_issue(root: Path, slug: str, langs: tuple[str, ...] = ("sl",), extra: str = "") -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        (folder / f"{lang}.yaml").write_text(EDITION.format(lang=lang, extra=extra), encoding="utf-8")
    return folder


def test_default_language_is_the_setting_when_present_else_the_first(tmp_path):
    write_issue(tmp_path, "both", ("en", "sl"))
    write_issue(tmp_path, "english", ("en",))
    assert load_issue("both", Settings(newsletters_dir=tmp_path)).default_language == "sl"
    assert load_issue("both", Settings(newsletters_dir=tmp_path, default_language="en")).default_language == "en"
    only = load_issue("english", Settings(newsletters_dir=tmp_path))
    assert only.default_language == "en" and only.edition("sl").language == "en"


def test_a_folder_path_works_as_well_as_a_slug(tmp_path):
    folder = write_issue(tmp_path / "elsewhere", "x")
    assert load_issue(folder, Settings(newsletters_dir=tmp_path)).slug == "x"
    assert load_issue(str(folder), Settings(newsletters_dir=tmp_path)).folder == str(folder)


def test_edition_files_must_be_named_by_language(tmp_path):
    folder = write_issue(tmp_path, "x")
    (folder / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_issue("x", Settings(newsletters_dir=tmp_path))
    assert info.value.problems[0].message == "the file name 'notes.yaml' is not a language code"


def test_missing_issue_and_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(IssueNotFound, match="has no edition file"):
        load_issue("empty", Settings(newsletters_dir=tmp_path))
    with pytest.raises(IssueNotFound, match="no issue 'nope'") as info:
        load_issue("nope", Settings(newsletters_dir=tmp_path))
    assert "leadex-mail new" in info.value.hint
    write_issue(tmp_path, "b-issue")
    write_issue(tmp_path, "a-issue")
    assert issue_slugs(Settings(newsletters_dir=tmp_path)) == ["a-issue", "b-issue"]


def test_brand_beside_the_issue_wins_and_images_are_rebased(tmp_path):
    news = tmp_path / "news"
    write_issue(news, "x")
    (news / "logos").mkdir()
    PILImage.new("RGB", (10, 10)).save(news / "logos" / "logo.png")
    (news / "brand.yaml").write_text("name: Beside\nlogo:\n  src: logos/logo.png\n  alt: The logo\n", encoding="utf-8")
    other = tmp_path / "configured"
    other.mkdir()
    (other / "brand.yaml").write_text("name: Configured\n", encoding="utf-8")
    issue = load_issue(news / "x", Settings(newsletters_dir=other))
    assert issue.brand.name == "Beside"
    assert issue.brand.logo.src == "../logos/logo.png"
    assert image_path(issue, issue.brand.logo) == news / "logos" / "logo.png"
    assert issue_locations(issue).brand_file == news / "brand.yaml"
    assert load_brand(Settings(newsletters_dir=other)).name == "Configured"
    assert load_brand(Settings(newsletters_dir=tmp_path / "none")).name == "LeadEx"  # defaults


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("../outside.png", "image '../outside.png' is outside the folder"),
        ("images/logo.svg", "image 'images/logo.svg' is not PNG, JPEG or GIF"),
        ("", "the image has no file"),
    ],
)
def test_image_rules(tmp_path, src, message):
    (tmp_path / "outside.png").write_bytes(b"not checked")
    extra = f"    image:\n      src: \"{src}\"\n      alt: A picture\n"
    folder = write_issue(tmp_path, "x", extra=extra)
    (folder / "images").mkdir()
    (folder / "images" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_issue("x", Settings(newsletters_dir=tmp_path))
    [problem] = info.value.problems
    assert problem.message.startswith(message) and (problem.line, problem.path) == (10, "sections[0].image.src")


def test_remote_images_are_not_files(tmp_path):
    extra = "    image:\n      src: https://www.example.org/a.png\n      alt: A picture\n"
    issue = load_issue(write_issue(tmp_path, "x", extra=extra), Settings(newsletters_dir=tmp_path))
    assert image_path(issue, issue.edition().sections[0].image) is None


def test_an_issue_built_by_hand_still_has_locations(tmp_path):
    issue = load_issue(write_issue(tmp_path, "x"), Settings(newsletters_dir=tmp_path))
    clone = issue.model_copy()
    assert issue_locations(clone).files == {"sl": tmp_path / "x" / "sl.yaml"}
    assert issue_locations(issue).edition("sl").locate(("sections", 0)) == (8, 5)
