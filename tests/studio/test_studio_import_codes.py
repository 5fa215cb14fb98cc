"""An import's refusals have codes; the studio says each in the officer's words, the CLI in its own.

Every row an import leaves out or changes, and every reason it fails as a whole, carries a code
(``store.importcodes``) and its values. The CLI keeps its words (options, commands); the Subscribers page
says each code from the catalogs (sl, en) and never shows the CLI's words ("--encoding",
"leadex-mail lists create", "an import never re-activates an address").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store import importcodes
from leadex_mail.store.db import open_store
from leadex_mail.store.importer import import_csv
from leadex_mail.store.importreport import Editions
from leadex_mail.store.lists import create_list, get_list
from leadex_mail.store.subscribers import add_subscriber, forget, mark_bounced, mark_complained, unsubscribe
from leadex_mail.studio.i18n import Words
from studio.studio_helpers import ISSUE, REPO, RunningStudio, copy_newsletters, serve_studio, studio_settings

SRC = REPO / "src" / "leadex_mail"
CATALOGS = {lang: tomllib.loads((SRC / "studio" / "catalogs" / f"{lang}.toml").read_text(encoding="utf-8"))["ui"] for lang in ("en", "sl")}
CLI_ONLY = re.compile(r"--[a-z]|leadex-mail|subscribers import|an import never re-activates", re.I)

# One row of each kind the import leaves out (the code's words are said by the store: no fallback kinds).
FALLBACKS = {"bad_value", "suppressed_other"}
HEADER = "email;name;language;lists;attributes;status;note\n"
ROWS = {
    "too_long": "long@example.org;Long;sl;;;;" + "x" * 1001,
    "too_many_cells": "cells@example.org;Cells;sl;;;;;extra",
    "no_address": ";Nobody;sl;;;;",
    "bad_address": "not-an-address;X;sl;;;;",
    "bad_name": "name@example.org;Na\x01me;sl;;;;",
    "bad_language": "lang@example.org;Lang;klingonish;;;;",
    "bad_attribute": "attr@example.org;Attr;sl;;;;a\x01b",
    "bad_list_name": "list@example.org;List;sl;bad!list;;;",
    "attributes_not_json": "json@example.org;Json;sl;;{not json;;",
    "attributes_not_object": "object@example.org;Object;sl;;[1, 2];;",
    "file_unsubscribed": "f-unsub@example.org;F;sl;;;unsubscribed;",
    "file_bounced": "f-bounced@example.org;F;sl;;;bounced;",
    "file_complained": "f-complained@example.org;F;sl;;;complained;",
    "file_pending": "f-pending@example.org;F;sl;;;pending;",
    "file_left_list": "f-left@example.org;F;sl;newsletter:unsubscribed;;;",
    "left_lists": "left@example.org;Left;sl;;;;",
    "suppressed_erased": "erased@example.org;E;sl;;;;",
    "suppressed_bounced": "bounced@example.org;B;sl;;;;",
    "suppressed_complained": "complained@example.org;C;sl;;;;",
    "suppressed_unsubscribed": "gone@example.org;G;sl;;;;",
}
# One row of each kind of change on the way in (taken in, not left out).
CHANGES = {
    "attribute_joined": 'joined@example.org;J;sl;;;;"one\ntwo"',
    "attribute_tabs": "tabs@example.org;T;sl;;;;one\ttwo",
    "file_left_list": "partly@example.org;P;sl;newsletter:unsubscribed events;;;",
    "left_list_earlier": "earlier@example.org;E;sl;events;;;",
}
RUNAWAY = 'runaway@example.org;"Runaway;sl;;;;\nswallowed@example.org;S;sl;;;;\n'


def _csv() -> str:
    rows = list(ROWS.values()) + list(CHANGES.values())
    return HEADER + "\n".join(rows) + "\n" + RUNAWAY


def _prepare(store) -> None:  # type: ignore[no-untyped-def]
    create_list(store, "newsletter", title="LeadEx novice", public=True)
    create_list(store, "events", title="Dogodki", public=True)
    news = get_list(store, "newsletter")
    for email in ("left@example.org", "earlier@example.org"):
        sub = add_subscriber(store, email, lists=["newsletter"], source="cli")
        unsubscribe(store, sub.id, source="web", list_id=news.id)
    mark_bounced(store, add_subscriber(store, "bounced@example.org", lists=["newsletter"], source="cli").id, reply="550 5.1.1 no such user")
    mark_complained(store, add_subscriber(store, "complained@example.org", lists=["newsletter"], source="cli").id)
    unsubscribe(store, add_subscriber(store, "gone@example.org", lists=["newsletter"], source="cli").id, source="one-click")
    forget(store, "erased@example.org")


def _made_in_source(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in (SRC / "store").glob("*.py"):
        found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_every_code_has_words_in_the_cli_and_in_both_catalogs_without_the_clis_options() -> None:
    keys = [f"import_why_{c}" for c in importcodes.REJECTION_WORDS]
    keys += [f"import_change_{c}" for c in importcodes.CHANGE_WORDS]
    keys += [f"import_failed_{c}" for c in importcodes.FAILURE_CODES]
    for lang, ui in CATALOGS.items():
        missing = [k for k in keys if k not in ui]
        assert not missing, f"{lang}.toml says nothing for {missing}"
        for key in keys:
            forms = ui[key].values() if isinstance(ui[key], dict) else [ui[key]]
            assert not [f for f in forms if CLI_ONLY.search(f)], f"{lang}.toml {key} names the CLI: {ui[key]}"
    # The CLI's words: a sentence for every row code; every failure raised with its message and hint.
    assert all(callable(w) for w in {**importcodes.REJECTION_WORDS, **importcodes.CHANGE_WORDS}.values())
    raised = _made_in_source(r'code="([a-z_]+)"')
    assert raised == set(importcodes.FAILURE_CODES), f"raised but not listed, or listed but never raised: {raised ^ set(importcodes.FAILURE_CODES)}"


def test_the_cli_keeps_its_words_and_each_row_has_its_code(tmp_path: Path) -> None:
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    try:
        _prepare(store)
        path = tmp_path / "people.csv"
        path.write_text(_csv(), encoding="utf-8")
        report = import_csv(store, path, list_name="newsletter", dry_run=True, editions=Editions(frozenset({"sl"}), "sl"))
    finally:
        store.close()
    codes = {r.value: r.code for r in report.rejected}
    wanted = {row.split(";")[0]: code for code, row in ROWS.items()} | {"runaway@example.org": "runaway_quote"}
    assert codes == wanted
    assert set(importcodes.REJECTION_WORDS) - FALLBACKS == set(codes.values())
    assert {c.code for c in report.changed} == set(CHANGES)
    text = report.format()
    assert "  line 19: 'bounced@example.org': bounced and is suppressed; an import never re-activates an address" in text
    assert "the file says the person left the list 'newsletter': not subscribed to it" in text
    assert "left this list; an import never re-subscribes anyone" in text


@pytest.fixture
def sl_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    _prepare(store)
    try:
        with serve_studio(settings, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


def _dry_run(studio: RunningStudio, page: Page, path: Path, *, list_name: str = "") -> None:
    page.goto(studio.url + "/subscribers?ui=sl")
    page.locator("#import-file").set_input_files(path)
    if list_name:
        page.get_by_label("Vse dodaj na seznam").select_option(list_name)
    page.get_by_role("button", name="Pokaži, kaj bi uvozil").click()


@pytest.mark.browser
def test_each_kind_of_refused_row_is_said_in_slovenian_on_the_subscribers_page(sl_studio: RunningStudio, studio_page: Page, tmp_path: Path) -> None:
    path = tmp_path / "partnerji.csv"
    path.write_text(_csv(), encoding="utf-8")
    _dry_run(sl_studio, studio_page, path, list_name="newsletter")
    rejected = studio_page.locator("#import-rejected")
    expect(rejected).to_be_visible()
    words = Words("sl")
    shown = {row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text() for row in rejected.locator("tbody tr").all()}
    for code, row in list(ROWS.items()) + [("runaway_quote", "runaway@example.org;")]:
        address = row.split(";")[0]
        assert address in shown, f"{code}: {address!r} not among the refused rows {sorted(shown)}"
        said = shown[address]
        assert not CLI_ONLY.search(said) and "import never" not in said, f"{code}: the CLI's words on the page: {said}"
    assert shown["bounced@example.org"] == "pošta na ta naslov se je vrnila: uvoz ga nikoli ne aktivira znova"
    assert shown["not-an-address"] == "to ni e-poštni naslov"
    assert shown["f-left@example.org"] == "datoteka pravi, da je oseba zapustila seznam »newsletter«: uvoz nikogar ne prijavi znova"
    assert shown["left@example.org"] == words.t("import_why_left_lists", n=1)
    assert shown["long@example.org"] == "stolpec »note« je predolg (celica je lahko dolga največ 1000)"
    changes = studio_page.locator("#import-changed").inner_text()
    assert "dodatni podatek »note« je bil zapisan v več vrsticah: združen v eno" in changes
    assert "oseba je seznam »newsletter« že zapustila: nanj ni dodana znova" in changes
    assert "line breaks" not in changes and "not subscribed" not in changes


FAILING = {
    "no_email_column": ("ime;jezik\nAna;sl\n", "Datoteka nima stolpca z e-poštnimi naslovi (njeni naslovi stolpcev: ime, jezik)."),
    "lists_missing": ("email;lists\nana@example.org;partnerji\n", "Stolpec s seznami v datoteki navaja sezname, ki ne obstajajo (partnerji)"),
    "empty_file": ("\n\n", "Datoteka je prazna."),
}


@pytest.mark.browser
@pytest.mark.parametrize("code", list(FAILING))
def test_an_import_that_fails_as_a_whole_is_said_in_slovenian_without_the_clis_commands(sl_studio: RunningStudio, studio_page: Page, tmp_path: Path, code: str) -> None:
    text, said = FAILING[code]
    path = tmp_path / "partnerji.csv"
    path.write_text(text, encoding="utf-8")
    _dry_run(sl_studio, studio_page, path)
    alert = studio_page.locator(".banner.error, [role=alert]").first
    expect(alert).to_contain_text(said)
    assert not CLI_ONLY.search(alert.inner_text()), alert.inner_text()
