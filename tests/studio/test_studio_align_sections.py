"""Moving, adding or removing a section of the default edition does the same in its translations (a13c F7).

Repro: sl + en, "Move down" on "2. Story" in the sl editor, Save: en.yaml
kept the old order, side by side put the sl story beside the other en story
with the other story's link. Now each translation in line with the default
edition gets the same change in its draft (its comments kept) and is saved
with it.
"""

from __future__ import annotations

import yaml

from leadex_mail.content.translations import record_translation
from studio.studio_helpers import ISSUE, RunningStudio, editor_headers, editor_post


def _sections(studio: RunningStudio, lang: str) -> list[tuple[str, str | None]]:
    data = yaml.safe_load(studio.file(ISSUE, lang).read_text(encoding="utf-8"))
    return [(s["type"], s.get("heading")) for s in data["sections"]]


def test_a_section_moved_added_or_removed_in_the_default_edition_is_moved_added_or_removed_in_the_translation(studio: RunningStudio) -> None:
    sl_before, en_before = _sections(studio, "sl"), _sections(studio, "en")
    en_text = studio.file(ISSUE, "en").read_text(encoding="utf-8")
    comments = sorted(line.strip() for line in en_text.splitlines() if line.strip().startswith("#"))
    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "down", "list": "sections", "index": "1"})
        editor_post(client, "sl", "save")
    sl_after, en_after = _sections(studio, "sl"), _sections(studio, "en")
    assert sl_after == [sl_before[0], sl_before[2], sl_before[1], *sl_before[3:]]
    assert en_after == [en_before[0], en_before[2], en_before[1], *en_before[3:]]  # the same move: en's own words, in sl's order
    en_text = studio.file(ISSUE, "en").read_text(encoding="utf-8")
    assert sorted(line.strip() for line in en_text.splitlines() if line.strip().startswith("#")) == comments

    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "add", "list": "sections", "type": "story", "index": "2"})
        editor_post(client, "sl", "save")
    assert [kind for kind, _ in _sections(studio, "en")] == [kind for kind, _ in _sections(studio, "sl")]
    assert len(_sections(studio, "en")) == len(en_before) + 1 and _sections(studio, "en")[2][0] == "story"

    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "remove", "list": "sections", "index": "2"})
        editor_post(client, "sl", "save")
    assert _sections(studio, "en") == en_after and _sections(studio, "sl") == sl_after


def test_a_section_moved_in_a_translation_moves_only_there(studio: RunningStudio) -> None:
    sl_before, en_before = _sections(studio, "sl"), _sections(studio, "en")
    with studio.client() as client:
        headers = editor_headers(client, "en")
        assert client.post(f"/issues/{ISSUE}/en/items", data={"op": "down", "list": "sections", "index": "1"}, headers=headers).status_code == 200
        assert client.post(f"/issues/{ISSUE}/en/save", headers=headers).status_code == 200
    assert _sections(studio, "sl") == sl_before
    assert _sections(studio, "en") == [en_before[0], en_before[2], en_before[1], *en_before[3:]]


def test_side_by_side_says_a_section_moved_outside_the_studio_is_not_beside_its_translation(studio: RunningStudio) -> None:
    sl = studio.file(ISSUE, "sl")
    with studio.client() as client:
        record_translation(sl.parent, "en", "sl")  # en translates sl as it is now
        data = yaml.safe_load(sl.read_text(encoding="utf-8"))
        data["sections"][1], data["sections"][2] = data["sections"][2], data["sections"][1]  # moved by hand (a text editor, git)
        sl.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        page = client.get(f"/issues/{ISSUE}/side-by-side?lang=en").text
    assert 'id="moved-summary"' in page
    # The officer's language (the settings': sl): section 2 was 3, section 3 was 2; their translations are not offered beside them.
    assert "Ta razdelek je bil razdelek 3, ko je bila izdaja en shranjena" in page and "Ta razdelek je bil razdelek 2, ko je bila izdaja en shranjena" in page
    assert 'data-path="sections.1.' not in page and 'data-path="sections.2.' not in page and 'data-path="sections.3.' in page
