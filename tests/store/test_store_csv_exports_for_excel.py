"""`subscribers export` CSV: UTF-8 with a byte order mark, RFC 4180; `--format excel` with ";"; both read back.

Excel on Windows read the BOM-less UTF-8 export in the ANSI code page ("Ä\x8d" for "č") and, set to Slovenian
(list separator ";"), put every row in one column. The bytes are checked here, and that Python's csv (utf-8-sig)
and our own import read what the export wrote (docs/decisions.md, "## Store").
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.store import subscribers
from leadex_mail.store.db import open_store

BOM = b"\xef\xbb\xbf"
PEOPLE = {"ana@example.org": "Ana Čebular Žužek", "spela@example.org": "Špela Šušteršič, dr.", "f1@example.org": "=1+1"}
DELIMITERS = {"csv": ",", "excel": ";"}


@pytest.fixture
def people(cli, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    rows = "".join(f'{email},"{name}",sl\n' for email, name in PEOPLE.items())
    source.write_text("email,name,language\n" + rows, encoding="utf-8")
    assert cli("lists", "create", "newsletter").exit_code == 0
    assert cli("subscribers", "import", str(source), "--list", "newsletter").exit_code == 0


@pytest.mark.parametrize("fmt", ["csv", "excel"])
def test_the_export_file_has_the_mark_crlf_and_its_delimiter(people, cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export-{fmt}.csv"
    assert cli("subscribers", "export", "--format", fmt, "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    d = DELIMITERS[fmt]
    assert data.startswith(BOM + d.join(("email", "name", "language", "status")).encode() + d.encode())  # no sep= line
    assert not data.startswith(BOM + b"sep=") and data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert "Ana Čebular Žužek".encode() in data  # UTF-8, not a code page
    assert "Ana Čebular Žužek".encode("utf-8").decode("cp1250") not in data.decode("utf-8")  # (what Excel showed without the mark)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=d))
    assert {r["email"]: r["name"] for r in rows} == {**PEOPLE, "f1@example.org": "'=1+1"}  # the formula guard, as before
    assert rows[0]["lists"] == "newsletter:active"  # a cell holding ";" is quoted in the excel file, read whole


@pytest.mark.parametrize("fmt", ["csv", "excel"])
def test_stdout_gives_the_same_bytes_as_the_file(people, cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "e.csv"
    assert cli("subscribers", "export", "--format", fmt, "-o", str(out)).exit_code == 0
    printed = cli("subscribers", "export", "--format", fmt).stdout_bytes
    assert printed == out.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "excel"])
def test_our_import_reads_our_export_back(people, cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"e-{fmt}.csv"
    assert cli("subscribers", "export", "--format", fmt, "-o", str(out)).exit_code == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert cli("lists", "create", "newsletter", env={"LEADEX_DATABASE_URL": fresh}).exit_code == 0
    result = cli("subscribers", "import", str(out), "--list", "newsletter", env={"LEADEX_DATABASE_URL": fresh})
    assert result.exit_code == 0, result.output
    said = "comma-separated" if fmt == "csv" else "semicolon-separated"
    assert "imported: 3\n" in result.output and f"(utf-8 with BOM, {said})" in result.output, result.output
    again = open_store(Settings(database_url=fresh))
    try:
        stored = {row.email: subscribers.get_subscriber(again, row.email).name for row in subscribers.list_subscribers(again)}
    finally:
        again.close()
    assert stored == PEOPLE  # letters, the comma in a name and the formula-like name come back as written
