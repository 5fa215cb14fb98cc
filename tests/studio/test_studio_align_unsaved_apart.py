"""What is saved is only what was saved: translations and the default edition's structure changes (a13d, sixth session).

MAJOR 1 (repro t1/t2/t9): the en tab typed a title (not saved); the sl tab
removed (or moved) a section and saved: en.yaml got the section change *and*
en's unsaved title, while en's tab said "not saved ... lost on reload". Now
en's file gets the change applied to its saved content only; en's draft keeps
its own edit, with the same change, still unsaved, and saving it later is no
conflict.

MAJOR 3 (repro t3/t4/t8): a section changed in sl is marked "needs update";
saving en for any other reason cleared every mark. Now a section's mark stays
until that section of the translation is changed.
"""

from __future__ import annotations

from typing import Any

import httpx

from leadex_mail.content.translations import record_translation, stale_sections
from studio.studio_helpers import ISSUE, RunningStudio, edition_data, editor_headers, editor_post, editor_set

EVENTS = 6  # a section of issue No. 1


def _stale(studio: RunningStudio) -> set[int] | None:
    return stale_sections(studio.file(ISSUE, "sl").parent, "en", "sl")


UNSAVED = "EN DRAFT NOT SAVED"


def _unsaved_title_then(studio: RunningStudio, client: httpx.Client, op: str) -> tuple[Any, Any]:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    sl_before, en_before = edition_data(studio, "sl"), edition_data(studio, "en")
    editor_set(client, "en", "title", UNSAVED)
    editor_post(client, "sl", "items", {"op": op, "list": "sections", "index": str(EVENTS)})
    editor_post(client, "sl", "save")
    return sl_before, en_before


def _expected(sections: list[Any], op: str) -> list[Any]:
    sections = list(sections)
    if op == "remove":
        sections.pop(EVENTS)
    else:
        sections.insert(EVENTS + 1, sections.pop(EVENTS))
    return sections


def test_saving_the_default_edition_after_a_section_change_writes_no_unsaved_edit_of_a_translation(studio: RunningStudio) -> None:
    for op in ("remove", "down"):
        with studio.client() as client:
            _, en_before = _unsaved_title_then(studio, client, op)
            en_after = edition_data(studio, "en")
            assert en_after["title"] == en_before["title"] != UNSAVED  # the draft is not on disk
            assert en_after["sections"] == _expected(en_before["sections"], op)  # the structure change is
            page = client.get(f"/issues/{ISSUE}/en").text
            assert UNSAVED in page  # still the draft, still unsaved
            # The draft, saved now, is no conflict and holds both.
            editor_post(client, "en", "save")
            en_saved = edition_data(studio, "en")
            assert en_saved["title"] == UNSAVED and en_saved["sections"] == _expected(en_before["sections"], op)
            editor_set(client, "en", "title", en_before["title"])
            editor_post(client, "en", "save")


def test_a_translation_with_only_followed_changes_is_saved_with_the_default_edition(studio: RunningStudio) -> None:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    en_before = edition_data(studio, "en")
    with studio.client() as client:
        client.get(f"/issues/{ISSUE}/en")
        editor_post(client, "sl", "items", {"op": "down", "list": "sections", "index": str(EVENTS)})
        editor_post(client, "sl", "save")
        assert edition_data(studio, "en")["sections"] == _expected(en_before["sections"], "down")
    assert _stale(studio) == set()


STORY, GOOD_PRACTICES = 1, 5


def test_a_needs_update_mark_stays_until_that_section_of_the_translation_is_changed(studio: RunningStudio) -> None:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    assert _stale(studio) == set()
    with studio.client() as client:
        editor_set(client, "sl", f"sections.{STORY}.heading", "LeadEx uvodni sestanek - Valencia")
        editor_set(client, "sl", f"sections.{GOOD_PRACTICES}.heading", "Dobre prakse (nove)")
        editor_post(client, "sl", "save")
        assert _stale(studio) == {STORY, GOOD_PRACTICES}
        # The translator translates another section only: the story still needs its update.
        editor_set(client, "en", f"sections.{GOOD_PRACTICES}.heading", "Good practices (new)")
        editor_post(client, "en", "save")
        assert _stale(studio) == {STORY}
        assert client.get(f"/issues/{ISSUE}/side-by-side?lang=en").text.count("potrebna posodobitev") >= 1  # the mark, side by side
        # A save with nothing of the story's changed (a title) keeps it too.
        editor_set(client, "en", "title", "LeadEx newsletter No. 1 (en)")
        editor_post(client, "en", "save")
        assert _stale(studio) == {STORY}
        editor_set(client, "en", f"sections.{STORY}.heading", "LeadEx kick-off meeting - Valencia")
        editor_post(client, "en", "save")
        assert _stale(studio) == set()


def test_still_up_to_date_takes_away_one_sections_mark_only(studio: RunningStudio) -> None:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    with studio.client() as client:
        editor_set(client, "sl", f"sections.{STORY}.heading", "LeadEx uvodni sestanek – Murcia")  # a dash only: en is still right
        editor_set(client, "sl", f"sections.{GOOD_PRACTICES}.heading", "Dobre prakse (nove)")
        editor_post(client, "sl", "save")
        assert _stale(studio) == {STORY, GOOD_PRACTICES}
        page = client.get(f"/issues/{ISSUE}/side-by-side?lang=en").text
        assert f'id="still-current-{STORY}"' in page and "Še vedno ustreza" in page
        answer = client.post(f"/issues/{ISSUE}/side-by-side/still-current", data={"lang": "en", "section": str(STORY)}, headers=editor_headers(client, "en"))
        assert answer.status_code in (200, 303), answer.text
        assert _stale(studio) == {GOOD_PRACTICES}
        assert f'id="still-current-{STORY}"' not in client.get(f"/issues/{ISSUE}/side-by-side?lang=en").text


def test_a_translations_file_changed_on_disk_while_the_default_edition_is_saved_is_named(studio: RunningStudio) -> None:
    """minor 4 (repro e2): sl's section moved (unsaved), en.yaml changed on disk, Save in sl: en.yaml is named, not sl.yaml."""
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "down", "list": "sections", "index": str(EVENTS)})
        en = studio.file(ISSUE, "en")
        changed = en.read_text(encoding="utf-8").replace("title: LeadEx newsletter No. 1", "title: LeadEx newsletter No. 1 (by a colleague)")
        en.write_text(changed, encoding="utf-8")
        answer = client.post(f"/issues/{ISSUE}/sl/save", headers=editor_headers(client, "sl"))
        assert answer.status_code == 409
        body = answer.json()
        assert body["conflict"] == "translation" and body["language"] == "en"
        assert "en.yaml" in body["error"] and body["error"].startswith("sl.yaml je shranjena")
        assert en.read_text(encoding="utf-8") == changed  # nothing overwritten
        assert "(by a colleague)" not in edition_data(studio, "sl").get("title", "")


def _png(shade: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (shade, 100, 100)).save(out, "PNG")
    return out.getvalue()


def _pick(client: httpx.Client, lang: str, path: str, name: str, data: bytes) -> str:
    headers = {k: v for k, v in editor_headers(client, lang).items() if k != "hx-request"}
    answer = client.post(f"/issues/{ISSUE}/{lang}/image", data={"path": path}, files={"file": (name, data, "image/png")}, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["src"])


def test_pictures_picked_and_not_kept_do_not_outlive_discard_or_save(studio: RunningStudio) -> None:
    """minor 12 (repro up1): five picks of one box, then Discard, left five files in images/."""
    images = studio.file(ISSUE, "sl").parent / "images"
    images.mkdir(exist_ok=True)
    (images / "by-hand.png").write_bytes(_png(1))  # a person's picture that no edition names: never deleted
    before = sorted(p.name for p in images.iterdir())
    with studio.client() as client:
        for shade in range(5):
            _pick(client, "sl", f"sections.{STORY}.image", "kick-off.png", _png(10 + shade))
        assert len(list(images.iterdir())) == len(before) + 5  # shown in the preview meanwhile
        editor_post(client, "sl", "reload")  # Discard my changes
        assert sorted(p.name for p in images.iterdir()) == before
        for shade in range(3):
            last = _pick(client, "sl", f"sections.{STORY}.image", "kick-off.png", _png(20 + shade))
        editor_post(client, "sl", "save")
        assert sorted(p.name for p in images.iterdir()) == sorted([*before, last.split("/", 1)[1]])
        assert last in studio.file(ISSUE, "sl").read_text(encoding="utf-8")
        # Saved: the issue's now; discarding later changes leaves it.
        editor_set(client, "sl", f"sections.{STORY}.heading", "x")
        editor_post(client, "sl", "reload")
        assert (images / last.split("/", 1)[1]).exists() and (images / "by-hand.png").exists()


def test_a_picture_file_name_comes_from_the_name_decoded() -> None:
    from leadex_mail.studio.pictures import safe_name, upload_name

    sent = "Slika čšž 'quote' %22dq%22 <b>.png"  # as Chromium sends ``Slika čšž 'quote' "dq" <b>.png``
    assert safe_name(upload_name(sent)) == "slika-csz-quote-dq-b"
