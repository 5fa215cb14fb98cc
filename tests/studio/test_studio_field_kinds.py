"""A value not of its field's kind is refused at the field in the officer's words, in her language (s7 tidy, item 4).

The field endpoint used to answer ``NotOfItsKind`` with the exception's
English ("this field takes text, not a list") on a Slovenian page too; now
it names the field by its label and says what the field takes and what came,
from the catalogs (``kind_<reason>``, ``kind_got_<got>``). The file is not
changed.
"""

from __future__ import annotations

import pytest

from leadex_mail.studio.formschema import NotOfItsKind, coerce
from leadex_mail.studio.i18n import languages
from leadex_mail.studio.i18n import words as words_for
from studio.studio_helpers import ISSUE, RunningStudio
from studio.test_studio_http import session

# (path, posted value, what the officer reads) in each language
EXPECTED = {
    "en": [
        ("preheader", ["a"], "“Preview line” takes text, and the studio received a list. Nothing was changed: reload the page and try again."),
        ("number", {"a": 1}, "“Number” takes a whole number, and the studio received a group of fields. Nothing was changed: reload the page and try again."),
    ],
    "sl": [
        ("preheader", ["a"], "»Vrstica predogleda« sprejme besedilo, studio pa je prejel seznam. Nič ni bilo spremenjeno: osvežite stran in poskusite znova."),
        ("number", {"a": 1}, "»Številka« sprejme celo število, studio pa je prejel skupino polj. Nič ni bilo spremenjeno: osvežite stran in poskusite znova."),
    ],
}


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_a_value_of_the_wrong_kind_is_said_in_the_officers_words(studio: RunningStudio, lang: str) -> None:
    client, token = session(studio)
    before = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    for path, value, said in EXPECTED[lang]:
        answer = client.post(
            f"/issues/{ISSUE}/sl/field",
            json={"path": path, "value": value},
            headers={"X-CSRF-Token": token, "Accept-Language": lang},
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == said
        assert "not a list" not in answer.text and "this field takes" not in answer.text  # the exception's English
    saved = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert saved.status_code == 200, saved.text
    assert studio.file(ISSUE, "sl").read_text(encoding="utf-8") == before


def _refusals() -> set[tuple[str, str]]:
    """Every ``(reason, got)`` that ``coerce`` refuses with, over every field of the form and every kind of value."""
    from studio.test_studio_field_values import FIELDS

    found = set()
    for _, spec in FIELDS:
        for raw in ({"a": 1}, ["a"], 5, 2.5, True, "not one of the choices", None):
            try:
                coerce(spec, raw)
            except NotOfItsKind as err:
                found.add((err.reason, err.got))
    found.add(("group", ""))  # a group of fields is refused before its value is looked at (the endpoint's 400 first)
    return found


@pytest.mark.parametrize("lang", languages())
def test_every_refusal_has_its_words_in_each_catalog(lang: str) -> None:
    """Each reason and each kind of value ``coerce`` names is a key of every catalog, in its own language (no English fallback)."""
    refusals = _refusals()
    assert {reason for reason, _ in refusals} == {"operator", "group", "yes_no", "whole_number", "text", "choice"}
    words, english = words_for(lang), words_for("en")
    keys = {f"kind_{reason}" for reason, _ in refusals} | {f"kind_got_{got}" for _, got in refusals if got}
    for key in sorted(keys):
        text = words.t(key, field="F", got="G")
        assert text and (lang == "en" or text != english.t(key, field="F", got="G")), (lang, key)


def test_a_new_edition_of_no_such_issue_is_the_studios_not_found_page(studio: RunningStudio) -> None:
    """``create_edition`` answers an unknown issue with ``addresses.missing`` as every other page does (no new edition, no session)."""
    client, token = session(studio)
    for slug in ("2099-01-nothing-01", "NOT A SLUG"):
        answer = client.post(f"/issues/{slug}/editions", data={"csrf": token, "language": "en"}, headers={"Accept-Language": "sl"})
        assert answer.status_code == 404, answer.text
        assert words_for("sl").t("not_found_text") in answer.text
        assert not (studio.root / "newsletters" / slug).exists()
