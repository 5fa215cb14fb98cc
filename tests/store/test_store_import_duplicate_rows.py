"""Rows that collapse into one address, and a file with nothing to import (a14).

Of two rows with the same address (in any case or form the importer treats as the same) the first is kept:
the stored data, the consent record's line and the report's "line 5: same address as line 2" agree. A later
row only adds the lists it names (and what keeps the person off lists). A file with a header and no rows, or
whose rows would add or change nobody, says "nothing to import" in its dry run.
"""

from __future__ import annotations

import pytest

from leadex_mail.store import importer, lists, subscribers


def _csv(tmp_path, text, name="bom_semicolon.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8-sig"))
    return path


@pytest.fixture
def news(store):
    lists.create_list(store, "events")
    return lists.create_list(store, "news")


@pytest.mark.parametrize("later", ["JANEZ.NOVAK@example.org", "janez.novak@EXAMPLE.ORG", " Janez.Novak@example.org "])
def test_the_first_row_is_kept_and_the_later_one_is_the_duplicate(store, news, tmp_path, later):
    path = _csv(tmp_path, (
        "email;name;language;lists;country\n"
        "Janez.Novak@example.org;Janez Novak;sl;news;SI\n"
        "ana@example.org;Ana;sl;news;\n"
        "bor@example.org;Bor;en;news;\n"
        f"{later};Janez dup;en;events;AT\n"
    ))
    dry = importer.import_csv(store, path, dry_run=True)
    report = importer.import_csv(store, path)
    for r in (dry, report):
        assert r.merged == [(5, 2)]
        assert "  line 5: same address as line 2 (line 2's name, language and attributes are kept; only this line's lists are added)" in r.format().splitlines()
    janez = subscribers.get_subscriber(store, "janez.novak@example.org")
    assert (janez.name, janez.language, janez.attributes) == ("Janez Novak", "sl", {"country": "SI"})
    assert [(e.kind, e.detail) for e in subscribers.subscriber_events(store, janez.id)] == [("imported", {"file": "bom_semicolon.csv", "line": 2})]
    assert "janez.novak@example.org" in [r.email for r in subscribers.eligible_subscribers(store, "events")]  # its lists are added


def test_a_later_row_never_reactivates(store, news, tmp_path):
    path = _csv(tmp_path, "email,name,status,lists\nana@example.org,Ana,active,news\nANA@example.org,Ana B,unsubscribed,news\n")
    report = importer.import_csv(store, path)
    assert report.imported == 0 and [r.line for r in report.rejected] == [2]


def test_a_header_without_rows_has_nothing_to_import(store, news, tmp_path):
    path = _csv(tmp_path, "email;name;language\n")
    lines = importer.import_csv(store, path, dry_run=True).format().splitlines()
    assert lines[-2:] == ["nothing to import: the file has a header row but no rows of people under it", "dry run: nothing was written"]


def test_rows_that_add_nobody_have_nothing_to_import(store, news, tmp_path):
    path = _csv(tmp_path, "email;name\nnot-an-address;X\n")
    lines = importer.import_csv(store, path, dry_run=True).format().splitlines()
    assert lines[-2:] == ["nothing to import: no row would add or change anyone", "dry run: nothing was written"]
    path = _csv(tmp_path, "email;name\nana@example.org;Ana\n", name="one.csv")
    lines = importer.import_csv(store, path, dry_run=True).format().splitlines()
    assert not [line for line in lines if line.startswith("nothing to import")]
