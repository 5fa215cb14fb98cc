"""Translations follow every list change of the default edition, not only its sections (a13c F7, sixth session).

Repro (fault 1): sl + en, en saved (its marks tracked), "Move down" on the
first event of sl's events block, Save: en.yaml kept its events in the old
order, so side by side put sl's second event beside en's first, and the
events block of en was marked "needs update" although nothing was written
in sl but a move. Now every list operation of the default edition, on any
list at any depth, is made in each translation in line along that path, and
a pure move leaves every mark as it was: a section that needed its update
still does, one that did not still does not.

Fault 2: "Discard my changes" on sl left en's draft moved. Fault 3: en saved
on its own between the move in sl and sl's save recorded sl's old order, so
the marks landed on the wrong sections. Files, store and server are real.
"""

from __future__ import annotations

from typing import Any

import httpx
import yaml

from leadex_mail.content.translations import record_translation, stale_sections
from leadex_mail.studio.formschema import Spec, edition_form
from studio.studio_helpers import ISSUE, RunningStudio, edition_data, editor_headers, editor_post, editor_set

EVENTS, SECOND_EVENTS, PARTNERS = 6, 7, 8  # the sections of issue No. 1


def _move(client: httpx.Client, lang: str, path: str, index: int, op: str = "down") -> None:
    editor_post(client, lang, "items", {"op": op, "list": path, "index": str(index)})


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _swap(items: list[Any], a: int, b: int) -> list[Any]:
    items = list(items)
    items[a], items[b] = items[b], items[a]
    return items


def _track(studio: RunningStudio) -> None:
    """en translates sl as it is on disk now: no section needs its update."""
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")
    assert _stale(studio) == set()


def _stale(studio: RunningStudio) -> set[int] | None:
    return stale_sections(studio.file(ISSUE, "sl").parent, "en", "sl")


def _change_on_disk(studio: RunningStudio, lang: str, old: str, new: str) -> None:
    path = studio.file(ISSUE, lang)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def _comments(studio: RunningStudio, lang: str) -> list[str]:
    return sorted(line.strip() for line in studio.file(ISSUE, lang).read_text(encoding="utf-8").splitlines() if line.strip().startswith("#"))


GIFTEDNESS = "title: 6. mednarodna konferenca o nadarjenosti"  # the second events block's second item (sl)


def test_an_event_moved_in_the_default_edition_moves_in_the_translation_and_no_mark_is_made_or_lost(studio: RunningStudio) -> None:
    _track(studio)
    _change_on_disk(studio, "sl", GIFTEDNESS, GIFTEDNESS + " (Zagreb)")  # the second events block truly needs its update
    assert _stale(studio) == {SECOND_EVENTS}
    sl_before, en_before = edition_data(studio, "sl"), edition_data(studio, "en")
    comments = _comments(studio, "en")
    with studio.client() as client:
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        _move(client, "sl", f"sections.{SECOND_EVENTS}.items", 1, "up")
        editor_post(client, "sl", "save")
    sl_after, en_after = edition_data(studio, "sl"), edition_data(studio, "en")
    for section in (EVENTS, SECOND_EVENTS):
        assert sl_after["sections"][section]["items"] == _swap(sl_before["sections"][section]["items"], 0, 1)
        assert en_after["sections"][section]["items"] == _swap(en_before["sections"][section]["items"], 0, 1)  # en's own words, sl's order
    assert _comments(studio, "en") == comments  # en's comments kept
    assert _stale(studio) == {SECOND_EVENTS}  # the move made no mark and took none away


def _schema_lists(spec: Spec, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every list of a section's form, as (its field names on the way)."""
    found: set[tuple[str, ...]] = set()
    for child in spec.fields:
        if child.kind == "list":
            found.add((*path, child.name))
            if child.item is not None:
                found |= _schema_lists(child.item, (*path, child.name, "*"))
        elif child.kind == "object":
            found |= _schema_lists(child, (*path, child.name))
    return found


def _issue_lists(data: Any) -> list[tuple[str | int, ...]]:
    """Every list of the issue's sections with two items or more, as its path."""
    found: list[tuple[str | int, ...]] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            if len(path) > 1 and len(node) >= 2:
                found.append(path)
            for i, value in enumerate(node):
                walk(value, (*path, i))

    walk(data, ())
    return found


def _named(data: Any, path: tuple[str | int, ...]) -> tuple[str, tuple[str, ...]]:
    """``("events", ("items",))`` for ``("sections", 6, "items")``: the section's type and the field names in it."""
    return data["sections"][path[1]]["type"], tuple("*" if isinstance(p, int) else p for p in path[2:])


def test_every_list_of_every_section_follows_a_move_an_add_and_a_remove(studio: RunningStudio) -> None:
    sections = edition_form().child("sections")
    assert sections is not None
    in_schema = {(kind, names) for kind, variant in sections.variants.items() for names in _schema_lists(variant)}
    sl_data = edition_data(studio, "sl")
    lists = _issue_lists(sl_data)
    assert {_named(sl_data, path) for path in lists} == in_schema  # issue No. 1 has two items or more in every list the format has
    _track(studio)
    for path in lists:
        dotted = ".".join(map(str, path))
        en_before = edition_data(studio, "en")
        with studio.client() as client:
            _move(client, "sl", dotted, 0)
            editor_post(client, "sl", "save")
        assert _at(edition_data(studio, "en"), path) == _swap(_at(en_before, path), 0, 1), dotted
        assert _stale(studio) == set(), dotted  # a move is no change to translate
        with studio.client() as client:
            editor_post(client, "sl", "items", {"op": "add", "list": dotted, "index": "1"})
            editor_post(client, "sl", "save")
        en_items, sl_items = _at(edition_data(studio, "en"), path), _at(edition_data(studio, "sl"), path)
        assert len(en_items) == len(_at(en_before, path)) + 1 and en_items[1] == sl_items[1], dotted  # the same empty item, to translate
        assert en_items[0] == _at(en_before, path)[1] and en_items[2:] == _swap(_at(en_before, path), 0, 1)[1:], dotted
        with studio.client() as client:
            editor_post(client, "sl", "items", {"op": "remove", "list": dotted, "index": "1"})
            _move(client, "sl", dotted, 1, "up")
            editor_post(client, "sl", "save")
        assert edition_data(studio, "en") == en_before, dotted
        assert _stale(studio) == set(), dotted


def test_a_written_item_added_in_the_default_edition_marks_its_section_in_the_translation(studio: RunningStudio) -> None:
    _track(studio)
    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "add", "list": f"sections.{PARTNERS}.items", "index": "0"})
        editor_set(client, "sl", f"sections.{PARTNERS}.items.0.country", "Italija")
        editor_set(client, "sl", f"sections.{PARTNERS}.items.0.organisation", "Regija Veneto")
        _move(client, "sl", f"sections.{EVENTS}.items", 1)
        editor_post(client, "sl", "save")
    en_partners = edition_data(studio, "en")["sections"][PARTNERS]["items"]
    assert en_partners[0] == {"country": "✎ Italija", "organisation": "✎ Regija Veneto"} and len(en_partners) == 9  # ✎ copies to translate (s7)
    assert _stale(studio) == {PARTNERS}  # the new partner is to be translated; the moved events are not


def test_a_translation_not_in_line_along_the_list_is_left_as_it_is(studio: RunningStudio) -> None:
    en = studio.file(ISSUE, "en")
    data = edition_data(studio, "en")
    del data["sections"][EVENTS]["items"][2]  # en's first events block has one event fewer (not translated yet)
    en.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    en_before = edition_data(studio, "en")
    with studio.client() as client:
        _move(client, "sl", f"sections.{EVENTS}.items", 0)  # sl's three events, en's two: nothing tells which is which
        _move(client, "sl", f"sections.{SECOND_EVENTS}.items", 0)
        editor_post(client, "sl", "save")
    en_after = edition_data(studio, "en")
    assert en_after["sections"][EVENTS] == en_before["sections"][EVENTS]
    assert en_after["sections"][SECOND_EVENTS]["items"] == _swap(en_before["sections"][SECOND_EVENTS]["items"], 0, 1)


def _dirty(client: httpx.Client, lang: str) -> bool:
    text = client.get(f"/issues/{ISSUE}/{lang}").text
    return '<button type="button" id="discard" aria-haspopup="dialog" aria-controls="discard-dialog" hidden>' not in text


def test_discarding_the_default_edition_takes_back_what_its_translations_followed(studio: RunningStudio) -> None:
    sl_text, en_text = studio.file(ISSUE, "sl").read_bytes(), studio.file(ISSUE, "en").read_bytes()
    with studio.client() as client:
        _move(client, "sl", "sections", 1)
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        editor_post(client, "sl", "items", {"op": "add", "list": f"sections.{SECOND_EVENTS}.items", "index": "1"})
        editor_post(client, "sl", "items", {"op": "remove", "list": f"sections.{PARTNERS}.items", "index": "3"})
        editor_post(client, "sl", "items", {"op": "add", "list": "sections", "type": "story", "index": "4"})
        assert _dirty(client, "en")  # en followed every one
        editor_post(client, "sl", "reload")
        assert not _dirty(client, "sl") and not _dirty(client, "en")  # and forgets them with sl
        editor_post(client, "sl", "save", {"also": "en"})
    assert studio.file(ISSUE, "sl").read_bytes() == sl_text
    assert studio.file(ISSUE, "en").read_bytes() == en_text


def test_discarding_the_default_edition_keeps_the_translations_own_edits(studio: RunningStudio) -> None:
    en_text = studio.file(ISSUE, "en").read_text(encoding="utf-8")
    heading = "heading: LeadEx kick-off meeting - Murcia"
    with studio.client() as client:
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        editor_post(client, "sl", "items", {"op": "remove", "list": f"sections.{PARTNERS}.items", "index": "3"})
        editor_set(client, "en", "sections.1.heading", "LeadEx kick-off in Murcia")
        _move(client, "sl", "sections", 2, "up")
        editor_post(client, "sl", "reload")
        assert _dirty(client, "en")  # its own edit is still there, unsaved
        editor_post(client, "en", "save")
    assert studio.file(ISSUE, "en").read_text(encoding="utf-8") == en_text.replace(heading, "heading: LeadEx kick-off in Murcia")


def test_a_translation_saved_on_its_own_before_the_default_edition_keeps_its_marks_on_the_right_sections(studio: RunningStudio) -> None:
    _track(studio)
    _change_on_disk(studio, "sl", "heading: Dobre prakse", "heading: Dobre prakse regij")  # section 6 (index 5) needs its update
    assert _stale(studio) == {5}
    with studio.client() as client:
        _move(client, "sl", "sections", 5, "up")  # good practices before the second study visit, in en too
        editor_post(client, "en", "save")  # en saved on its own, before sl
        editor_post(client, "sl", "save")
    assert edition_data(studio, "en")["sections"][4]["type"] == "good_practices"
    assert _stale(studio) == {4}  # the mark moved with its section, and no other was made
    with studio.client() as client:
        editor_set(client, "sl", f"sections.{SECOND_EVENTS}.items.1.title", "6. mednarodna konferenca o nadarjenosti (Zagreb)")
        editor_post(client, "sl", "save")  # the second events block needs its update too
        assert _stale(studio) == {4, SECOND_EVENTS}
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        _move(client, "sl", f"sections.{SECOND_EVENTS}.items", 0)
        editor_post(client, "en", "save")
        _move(client, "sl", "sections", 4, "down")
        editor_post(client, "sl", "save")
    assert _stale(studio) == {5, SECOND_EVENTS}


def _marked(client: httpx.Client) -> set[int]:
    """The sections side by side marks "needs update" (sl -> en)."""
    side = client.get(f"/issues/{ISSUE}/side-by-side?lang=en").text
    heads = {i: side.split(f'id="pair-{i}"', 1)[1].split("</h2>", 1)[0] for i in range(20) if f'id="pair-{i}"' in side}
    return {i for i, head in heads.items() if "needs-update" in head}


def test_side_by_side_marks_the_sections_that_need_their_update_while_the_default_editions_moves_are_unsaved(studio: RunningStudio) -> None:
    _track(studio)
    _change_on_disk(studio, "sl", "heading: Dobre prakse", "heading: Dobre prakse regij")
    _change_on_disk(studio, "sl", GIFTEDNESS, GIFTEDNESS + " (Zagreb)")
    with studio.client() as client:
        assert _marked(client) == {5, SECOND_EVENTS}
        _move(client, "sl", "sections", 5, "up")
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        _move(client, "sl", f"sections.{SECOND_EVENTS}.items", 0)
        assert _marked(client) == {4, SECOND_EVENTS}  # on the sections they belong to, not on their old places
        editor_post(client, "sl", "save")
        assert _marked(client) == {4, SECOND_EVENTS}


def test_discarding_a_translation_keeps_what_it_followed_of_the_default_edition(studio: RunningStudio) -> None:
    _track(studio)
    en_before = edition_data(studio, "en")
    with studio.client() as client:
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        editor_set(client, "en", "sections.1.heading", "Typed by mistake")
        editor_post(client, "en", "reload")  # "Discard my changes" on en: the typing goes, sl's move stays
        editor_post(client, "sl", "save")
    en_after = edition_data(studio, "en")
    assert en_after["sections"][1] == en_before["sections"][1]
    assert en_after["sections"][EVENTS]["items"] == _swap(en_before["sections"][EVENTS]["items"], 0, 1)
    assert _stale(studio) == set()


def test_the_save_conflict_page_says_the_error_in_one_sentence_per_part(studio: RunningStudio) -> None:
    from leadex_mail.errors import EditConflict
    from leadex_mail.studio.saying import error_words

    with studio.client() as client:
        _move(client, "sl", f"sections.{EVENTS}.items", 0)
        _change_on_disk(studio, "sl", GIFTEDNESS, GIFTEDNESS + " (Zagreb)")
        headers = editor_headers(client, "sl")
        answer = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": headers["X-CSRF-Token"]})
    assert answer.status_code == 409
    message = "sl.yaml was changed by another program or person since you opened it; your changes were not saved"
    said = error_words(EditConflict(message, hint="reload it to see the new version (your unsaved changes are then lost), or copy your changes somewhere first"))
    assert said in answer.text
