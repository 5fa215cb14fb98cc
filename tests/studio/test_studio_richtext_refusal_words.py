"""A rich-text document the format cannot hold is refused in the officer's words (s7, the class of NotOfItsKind).

The field endpoint sent ``RichTextError``'s English as it was ("the text holds
formatting the format does not allow") to an officer reading Slovenian. Each
kind now has a reason, and the catalogs say it (``rt_refused_<reason>``).
"""

from __future__ import annotations

import inspect
import re

import pytest

from leadex_mail.studio import richtext
from leadex_mail.studio.i18n import languages
from leadex_mail.studio.i18n import words as words_for
from studio.studio_helpers import ISSUE, RunningStudio
from studio.test_studio_http import session

FIELD = "sections.5.body"
TEXT = {"type": "text", "text": "Klikni tukaj"}
# (what the editor sent, the reason it is refused for)
DOCS = [
    ({"type": "doc", "content": [{"type": "paragraph", "content": [{**TEXT, "marks": [{"type": "underline"}]}]}]}, "formatting"),
    ({"type": "doc", "content": [{"type": "heading", "content": [TEXT]}]}, "not_allowed"),
    ({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": 5}]}]}, "not_text"),
    ({"type": "doc", "content": [{"type": "ordered_list", "attrs": {"order": 10**12}, "content": []}]}, "list_start"),
    ({"type": "doc", "content": [{"type": "paragraph", "content": [{**TEXT, "marks": [{"type": "link", "attrs": {"href": ["x"]}}]}]}]}, "link_not_text"),
    ({"type": "doc", "content": {"not": "a list"}}, "not_document"),
    ({"type": "paragraph", "content": []}, "not_document"),
    ({"type": "doc", "content": [{"type": "paragraph", "content": [TEXT] * (richtext.MAX_NODES + 1)}]}, "too_long"),
]
SAID = {
    "en": "“{field}” holds formatting an email text cannot have (only bold, italics and links). Nothing was changed: reload the page and try again.",
    "sl": "Polje »{field}« vsebuje oblikovanje, ki ga besedilo e-pošte ne sme imeti (le krepko, ležeče in povezave). Nič ni bilo spremenjeno: osvežite stran in poskusite znova.",
}


@pytest.mark.parametrize(("doc", "reason"), DOCS, ids=[r for _, r in DOCS])
def test_each_refusal_names_its_reason(doc: dict, reason: str) -> None:
    with pytest.raises(richtext.RichTextError) as info:
        richtext.to_markdown(doc)
    assert info.value.reason == reason


def test_every_reason_the_source_raises_is_in_the_table() -> None:
    raised = set(re.findall(r'reason="(\w+)"', inspect.getsource(richtext)))
    assert raised == {reason for _, reason in DOCS}


@pytest.mark.parametrize("lang", sorted(SAID))
def test_the_field_endpoint_says_the_refusal_in_the_officers_language(studio: RunningStudio, lang: str) -> None:
    client, token = session(studio)
    before = studio.file(ISSUE, "sl").read_text(encoding="utf-8")
    answer = client.post(
        f"/issues/{ISSUE}/sl/field",
        json={"path": FIELD, "doc": DOCS[0][0]},
        headers={"X-CSRF-Token": token, "Accept-Language": lang},
    )
    assert answer.status_code == 400, answer.text
    said = answer.json()["error"]
    assert re.fullmatch(re.escape(SAID[lang]).replace(re.escape("{field}"), ".+"), said), said
    assert "the format does not allow" not in answer.text  # the exception's English
    assert studio.file(ISSUE, "sl").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("lang", languages())
def test_every_reason_has_its_words_in_each_catalog(lang: str) -> None:
    """Each refusal of the rich-text field and of the link box is a key of every catalog, in its own language."""
    words, english = words_for(lang), words_for("en")
    keys = {f"rt_refused_{reason}" for _, reason in DOCS}
    keys |= {f"rt_link_{why}" for why in ("empty", "no_scheme", "scheme", "space", "host", "port", "mailto")}
    for key in sorted(keys):
        text = words.t(key, field="F")
        assert text and (lang == "en" or text != english.t(key, field="F")), (lang, key)
