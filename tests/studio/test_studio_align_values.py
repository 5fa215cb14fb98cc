"""An item or section added in the default edition reaches each translation as "Add a language" makes one (a14, seventh session).

Repro: sl editor -> Events -> "Add: Event", title "Obisk v Rigi", date
2027-05-20, text -> Save. en.yaml got ``- body: ""`` only: no title, no
date, no ✎ copies, so the translator found an empty Date box and the check
then said the editions' dates differ. Now the translation gets what "Add a
language" makes of the new item (``drafts.translation_of``: dates, links,
pictures and names as they are, each text copied with its ✎), and each value
the default edition changes later follows where the translation still holds
what it would have made of the old one; a value the translator wrote stays
theirs. A text typed into ``body: ""`` is written plain, as a person writes
it. Each translation's file is compared with the expected file: the issue's
own en.yaml with the expected lines in their place. Files, store and server
are real.
"""

from __future__ import annotations

import difflib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue
from leadex_mail.content.translations import record_translation, stale_sections
from leadex_mail.studio.formschema import Spec, edition_form
from studio.studio_helpers import ISSUE, RunningStudio

EVENTS, SECOND_EVENTS, PARTNERS = 6, 7, 8  # the sections of issue No. 1
EXPECTED = Path(__file__).parent / "expected" / "align-values"
LAST_OF_EVENTS = "          alt: Participants of the LeadEx launch conference in the Podkarpackie Region\n"  # en.yaml: where section 6 ends


def _headers(client: httpx.Client, lang: str) -> dict[str, str]:
    text = client.get(f"/issues/{ISSUE}/{lang}").text
    token = text.split('data-csrf="', 1)[1].split('"', 1)[0]
    seen = text.split('data-revision="', 1)[1].split('"', 1)[0]
    return {"X-CSRF-Token": token, "X-Studio-Page": f"tab-{lang}", "X-Studio-Seen": seen, "hx-request": "true", "accept": "application/json"}


def _post(client: httpx.Client, lang: str, what: str, data: dict[str, str] | None = None) -> None:
    answer = client.post(f"/issues/{ISSUE}/{lang}/{what}", data=data or {}, headers=_headers(client, lang))
    assert answer.status_code in (200, 303), answer.text


def _add(client: httpx.Client, lang: str, path: str, index: int, kind: str = "") -> None:
    _post(client, lang, "items", {"op": "add", "list": path, "index": str(index), **({"type": kind} if kind else {})})


def _set(client: httpx.Client, lang: str, path: str, value: str) -> None:
    headers = {**_headers(client, lang), "content-type": "application/json"}
    answer = client.post(f"/issues/{ISSUE}/{lang}/field", json={"path": path, "value": value}, headers=headers)
    assert answer.status_code == 200, answer.text


def _group(client: httpx.Client, lang: str, path: str, op: str = "add") -> None:
    _post(client, lang, "group", {"op": op, "path": path})


def _pick(client: httpx.Client, lang: str, path: str, name: str) -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 100, 100)).save(out, "PNG")
    headers = {k: v for k, v in _headers(client, lang).items() if k != "hx-request"}
    answer = client.post(f"/issues/{ISSUE}/{lang}/image", data={"path": path}, files={"file": (name, out.getvalue(), "image/png")}, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["src"])


def _text(studio: RunningStudio, lang: str) -> str:
    return studio.file(ISSUE, lang).read_text(encoding="utf-8")


def _data(studio: RunningStudio, lang: str) -> Any:
    return yaml.safe_load(_text(studio, lang))


def _expected(before: str, anchor: str, name: str) -> str:
    """``before`` with the lines of the expected file ``name`` after the (one) line ``anchor``."""
    assert before.count(anchor) == 1
    return before.replace(anchor, anchor + (EXPECTED / name).read_text(encoding="utf-8"))


def _same(studio: RunningStudio, lang: str, expected: str) -> None:
    """The file of ``lang`` is ``expected``, byte for byte (else the difference, as a diff)."""
    text = _text(studio, lang)
    assert text == expected, "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "expected", f"{lang}.yaml"))


def _track(studio: RunningStudio) -> None:
    record_translation(studio.file(ISSUE, "sl").parent, "en", "sl")  # en translates sl as it is on disk now


def _stale(studio: RunningStudio) -> set[int] | None:
    return stale_sections(studio.file(ISSUE, "sl").parent, "en", "sl")


def _findings(studio: RunningStudio) -> list[tuple[str, str]]:
    """(code, field) of each error ``check`` finds in the en edition."""
    issue = load_issue(ISSUE, studio.settings)
    return sorted((p.code or "", p.path) for p in lint_issue(issue) if p.severity == "error" and p.file.endswith("en.yaml"))


def test_an_event_added_and_written_in_sl_reaches_en_with_its_date_and_its_texts_marked(studio: RunningStudio) -> None:
    """The tester's steps: en gets the date and ✎ copies; once translated, nothing differs between the editions."""
    _track(studio)
    en_before = _text(studio, "en")
    with studio.client() as client:
        _add(client, "sl", f"sections.{EVENTS}.items", 3)
        _set(client, "sl", f"sections.{EVENTS}.items.3.title", "Obisk v Rigi")
        _set(client, "sl", f"sections.{EVENTS}.items.3.date", "2027-05-20")
        _set(client, "sl", f"sections.{EVENTS}.items.3.body", "Spletni seminar o prenovi.")
        _post(client, "sl", "save")
    _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event.en.yaml"))
    assert _stale(studio) == {EVENTS}  # its texts are to translate
    item = f"sections.{EVENTS}.items.3"
    assert _findings(studio) == [("draft.marked", f"sections[{EVENTS}].items[3].{key}") for key in ("body", "title")]  # no date differs

    with studio.client() as client:  # the translator writes the two texts; the Date box was filled
        _set(client, "en", f"{item}.title", "Visit to Riga")
        _set(client, "en", f"{item}.body", "A webinar on renovation.")
        _post(client, "en", "save")
    _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event-translated.en.yaml"))
    assert _findings(studio) == []
    assert _stale(studio) == set()


def test_typing_into_an_empty_text_written_by_the_studio_writes_it_plain(studio: RunningStudio) -> None:
    """``body: ""`` (an item added and saved before its text was written): the text typed there is written as a person writes it."""
    en_before = _text(studio, "en")
    with studio.client() as client:
        _add(client, "sl", f"sections.{EVENTS}.items", 3)
        _post(client, "sl", "save")
    _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event-empty.en.yaml"))
    with studio.client() as client:  # both editions read again from their files: ``""`` as written
        _post(client, "en", "reload")
        _post(client, "sl", "reload")
        _set(client, "en", f"sections.{EVENTS}.items.3.body", "A webinar on renovation.")
        _set(client, "en", f"sections.{EVENTS}.items.3.title", "Visit to Riga")
        _set(client, "sl", f"sections.{EVENTS}.items.3.body", "Spletni seminar o prenovi.")
        _post(client, "en", "save")
        _post(client, "sl", "save")
    _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event-typed.en.yaml"))
    assert "      - body: Spletni seminar o prenovi.\n" in _text(studio, "sl")  # in sl too


def test_an_event_with_a_picture_and_a_link_added_in_sl_reaches_en_with_both(studio: RunningStudio) -> None:
    """The picture and the link are the same in every language; the alt text and the link's words are copied with their ✎."""
    en_before = _text(studio, "en")
    item = f"sections.{EVENTS}.items.3"
    with studio.client() as client:
        _add(client, "sl", f"sections.{EVENTS}.items", 3)
        _set(client, "sl", f"{item}.title", "Obisk v Rigi")
        _set(client, "sl", f"{item}.date", "2027-05-20")
        _set(client, "sl", f"{item}.end_date", "2027-05-21")
        _set(client, "sl", f"{item}.body", "Spletni seminar o prenovi.")
        _group(client, "sl", f"{item}.image")
        src = _pick(client, "sl", f"{item}.image", "riga.png")
        _set(client, "sl", f"{item}.image.alt", "Udeleženci v Rigi")
        _group(client, "sl", f"{item}.more")
        _set(client, "sl", f"{item}.more.label", "VEČ O OBISKU")
        _set(client, "sl", f"{item}.more.url", "https://example.org/riga")
        _post(client, "sl", "save")
    assert src == "images/riga.png"
    _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event-picture-link.en.yaml"))
    assert _findings(studio) == [("draft.marked", f"sections[{EVENTS}].items[3].{key}") for key in ("body", "image.alt", "more.label", "title")]


SAME_IN_EVERY_LANGUAGE = ("src", "person", "name")  # a picture's file, a person's and the project's name (README: "the same ... pictures")


def _sl_value(spec: Spec) -> str | None:
    """What the officer types into a field of ``spec``'s kind in sl (None: nothing to type)."""
    return {
        "text": f"Besedilo {spec.name}",
        "multiline": f"Vrstica {spec.name}\ndruga vrstica",
        "markdown": f"Besedilo **{spec.name}**.",
        "url": f"https://example.org/{spec.name}",
        "date": "2027-05-21" if spec.name == "end_date" else "2027-05-20",
        "choice": spec.choices[-1] if spec.choices else None,
    }.get(spec.kind)


def _fill(client: httpx.Client, spec: Spec, path: str, value: Any) -> None:
    """Write every field of the object at ``path`` in sl (``value``: what it holds): each value, each group, one item in each list."""
    for child in spec.editable_fields:
        at = f"{path}.{child.name}"
        if child.kind == "object":
            if child.type_name == "Image":  # a picture picked makes its group
                _pick(client, "sl", at, f"{child.name}.png")
                _set(client, "sl", f"{at}.alt", f"Opis slike {child.name}")
                continue
            if not (value or {}).get(child.name):
                _group(client, "sl", at)
            _fill(client, child, at, None)
        elif child.kind == "list":
            assert child.item is not None
            if not (value or {}).get(child.name):
                _add(client, "sl", at, 0)
            _fill(client, child.item, f"{at}.0", None)
        elif (typed := _sl_value(child)) is not None:
            _set(client, "sl", at, typed)


def _as_translated(spec: Spec, value: Any) -> Any:
    """What en should hold for sl's ``value`` (of ``spec``): each text to translate with its ✎, the rest as it is."""
    if isinstance(value, dict):
        return {key: _as_translated(spec.child(key) or Spec("text", key), item) if key != "type" else item for key, item in value.items()}
    if isinstance(value, list):
        assert spec.item is not None
        return [_as_translated(spec.item, item) for item in value]
    translated = spec.kind in ("text", "multiline", "markdown") and spec.name not in SAME_IN_EVERY_LANGUAGE
    return f"✎ {value}" if translated and isinstance(value, str) and value else value


def test_a_section_of_every_type_added_and_written_in_sl_reaches_en_as_add_a_language_makes_it(studio: RunningStudio) -> None:
    """Every section type, every list in it, every group: one item of each list at any depth, every field written."""
    sections = edition_form().child("sections")
    assert sections is not None
    count = len(_data(studio, "sl")["sections"])
    with studio.client() as client:
        for place, (kind, variant) in enumerate(sections.variants.items(), start=count):
            _add(client, "sl", "sections", place, kind)
            _fill(client, variant, f"sections.{place}", None)  # holds only its required fields, empty
        _post(client, "sl", "save")
    sl, en = _data(studio, "sl")["sections"], _data(studio, "en")["sections"]
    assert len(sl) == len(en) == count + len(sections.variants)
    for place in range(count, len(sl)):
        variant = sections.variants[sl[place]["type"]]
        assert en[place] == _as_translated(variant, sl[place]), sl[place]["type"]
    new_lines = _text(studio, "en").split("type: partners", 1)[1].splitlines()
    assert not [line for line in new_lines if '"' in line.replace('""', "") or "'" in line], "written as a person writes it: plain"


def test_an_item_added_and_written_in_every_list_of_every_section_reaches_en_as_add_a_language_makes_it(studio: RunningStudio) -> None:
    sl_before = _data(studio, "sl")
    lists = [(place, name) for place, section in enumerate(sl_before["sections"]) for name, value in section.items() if isinstance(value, list)]
    assert {sl_before["sections"][place]["type"] for place, _ in lists} == {"project", "study_visit", "events", "partners"}  # every list the format has
    sections = edition_form().child("sections")
    assert sections is not None
    with studio.client() as client:
        for place, name in lists:
            item_spec = sections.variants[sl_before["sections"][place]["type"]].child(name)
            assert item_spec is not None and item_spec.item is not None
            _add(client, "sl", f"sections.{place}.{name}", 0)
            _fill(client, item_spec.item, f"sections.{place}.{name}.0", None)
        _post(client, "sl", "save")
    sl, en = _data(studio, "sl"), _data(studio, "en")
    for place, name in lists:
        item_spec = sections.variants[sl["sections"][place]["type"]].child(name)
        assert item_spec is not None and item_spec.item is not None
        assert en["sections"][place][name][0] == _as_translated(item_spec.item, sl["sections"][place][name][0]), (place, name)


def test_an_event_added_while_the_en_tab_has_unsaved_edits_reaches_en_file_and_draft_alike(studio: RunningStudio) -> None:
    """en's own unsaved title stays a draft; the new event reaches en.yaml at sl's save, and en's Save writes both."""
    en_before = _text(studio, "en")
    item = f"sections.{EVENTS}.items.3"
    with studio.client() as client:
        _set(client, "en", "title", "EN TITLE NOT SAVED")
        _add(client, "sl", f"sections.{EVENTS}.items", 3)
        _set(client, "sl", f"{item}.title", "Obisk v Rigi")
        _set(client, "sl", f"{item}.date", "2027-05-20")
        _set(client, "sl", f"{item}.body", "Spletni seminar o prenovi.")
        _post(client, "sl", "save")
        _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event.en.yaml"))  # without the unsaved title
        _post(client, "en", "save")
    title = "\ntitle: LeadEx newsletter No. 1\n"  # the edition's, not the masthead's
    _same(studio, "en", _expected(en_before, LAST_OF_EVENTS, "event.en.yaml").replace(title, "\ntitle: EN TITLE NOT SAVED\n"))


def test_a_date_changed_in_sl_follows_in_en_and_a_translated_text_stays_en_s(studio: RunningStudio) -> None:
    """Language-neutral values follow a later edit of an existing item (en held sl's date); en's own words never change."""
    _track(studio)
    en_before = _data(studio, "en")
    with studio.client() as client:
        _set(client, "sl", f"sections.{EVENTS}.items.0.date", "2025-09-29")
        _set(client, "sl", f"sections.{EVENTS}.items.0.more.url", "https://example.org/lille")
        _post(client, "sl", "save")
    en = _data(studio, "en")
    first = en["sections"][EVENTS]["items"][0]
    assert str(first["date"]) == "2025-09-29" and first["more"]["url"] == "https://example.org/lille"
    en_before["sections"][EVENTS]["items"][0] = first
    assert en == en_before  # nothing else changed
    assert _findings(studio) == [] and _stale(studio) == set()  # nothing to translate: no mark
    with studio.client() as client:
        _set(client, "sl", f"sections.{EVENTS}.items.0.title", "Usposabljanje v Lillu")
        _post(client, "sl", "save")
    assert _data(studio, "en") == en  # en's title is en's
    assert _stale(studio) == {EVENTS}  # to translate again


def test_discarding_sl_s_changes_takes_back_what_followed_in_en(studio: RunningStudio) -> None:
    en_before = _text(studio, "en")
    with studio.client() as client:
        _set(client, "sl", f"sections.{EVENTS}.items.0.date", "2025-09-29")
        _add(client, "sl", f"sections.{EVENTS}.items", 3)
        _set(client, "sl", f"sections.{EVENTS}.items.3.date", "2027-05-20")
        _post(client, "sl", "reload")
        _post(client, "en", "save")  # nothing of its own: en.yaml as it was
    _same(studio, "en", en_before)
