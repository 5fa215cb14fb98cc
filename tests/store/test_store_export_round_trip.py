"""An export read back by import is the data that was exported (a9 finding 5).

docs/import.md says the CSV `subscribers export` writes is read back. Before,
re-importing it put people who had unsubscribed back on the list (the
status column was stored as an attribute), stored the events and
deliveries JSON as attributes, and kept the ``'`` the export puts before a
formula-like cell (name ``=1+1`` came back as ``'=1+1``; the address
``-x@example.si`` as ``'-x@example.si``, rejected).
"""

from __future__ import annotations

from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.store import subscribers
from leadex_mail.store.db import open_store

PEOPLE = (
    "email,name,language\n"
    "f1@example.si,=1+1,sl\n"
    "f2@example.si,-2+3,sl\n"
    "f3@example.si,@SUM(A1),sl\n"
    "-x@example.si,Minus,sl\n"
    "a@example.si,Ana,sl\n"
    "b@example.si,Bor,en\n"
)


def test_unsubscribed_people_stay_off_and_formula_cells_come_back_as_written(store, cli, tmp_path: Path):
    source = tmp_path / "people.csv"
    source.write_text(PEOPLE, encoding="utf-8")
    assert cli("lists", "create", "newsletter").exit_code == 0
    assert cli("subscribers", "import", str(source), "--list", "newsletter").exit_code == 0
    assert cli("subscribers", "unsubscribe", "a@example.si").exit_code == 0
    exported = tmp_path / "e.csv"
    assert cli("subscribers", "export", "--format", "csv", "-o", str(exported)).exit_code == 0
    assert "'=1+1" in exported.read_text(encoding="utf-8")  # the export's own guard, still there

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert cli("lists", "create", "newsletter", env={"LEADEX_DATABASE_URL": fresh}).exit_code == 0
    result = cli("subscribers", "import", str(exported), "--list", "newsletter", env={"LEADEX_DATABASE_URL": fresh})
    assert result.exit_code == 0, result.output
    assert "imported: 5\n" in result.output
    assert "'a@example.si': the file says unsubscribed; an import never re-activates anyone" in result.output

    again = open_store(Settings(database_url=fresh))
    try:
        stored = {row.email: subscribers.get_subscriber(again, row.email) for row in subscribers.list_subscribers(again)}
        assert sorted(stored) == ["-x@example.si", "b@example.si", "f1@example.si", "f2@example.si", "f3@example.si"]
        assert [stored[e].name for e in ("f1@example.si", "f2@example.si", "f3@example.si")] == ["=1+1", "-2+3", "@SUM(A1)"]
        assert all(s.status == "active" and s.attributes == {} for s in stored.values())  # no status, events, deliveries as attributes
    finally:
        again.close()


def test_every_column_the_export_writes_is_known_to_the_import():
    # A column added to the export later must not come back as an attribute.
    from leadex_mail.store.gdpr import CSV_COLUMNS
    from leadex_mail.store.headers import EXPORT_FIELDS, recognise

    assert all(recognise(column) or column in EXPORT_FIELDS.values() for column in CSV_COLUMNS)
