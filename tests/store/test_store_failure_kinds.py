"""A store that cannot be written says only what it knows: full, read-only, failing (a14 finding 1).

Real SQLite files refused for real (``tests/readonly.py``: immutable as
root, write bits off otherwise) and SQLite's own SQLITE_FULL from
``max_page_count``. Before, every "disk I/O error" was "the disk holding
it is full or failing" (a read-only file with 69 GB free), and "attempt to
write a readonly database" was a file "deleted, moved or made unreadable".
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from readonly import read_only

from leadex_mail.config import Settings
from leadex_mail.errors import StoreError
from leadex_mail.store.db import open_store
from leadex_mail.store.subscribers import add_subscriber


def _file(settings: Settings) -> Path:
    return Path(settings.database_url.removeprefix("sqlite:///"))


@pytest.mark.sqlite_only_reason("makes the SQLite file's write-ahead log refuse writes")
def test_a_write_ahead_log_that_refuses_writes_is_no_full_disk(sqlite_only, store, settings) -> None:
    """The tester's case: the store open, its files made immutable; SQLite says only "disk I/O error"."""
    if os.geteuid() != 0:
        pytest.skip("an open file keeps its write access whatever its mode: only root's immutable flag refuses it (CI runs as root)")
    add_subscriber(store, "first@example.org", language="sl", source="cli")
    wal = _file(settings).with_name(_file(settings).name + "-wal")
    assert wal.exists()
    with read_only(_file(settings), wal), pytest.raises(StoreError) as raised:
        add_subscriber(store, "second@example.org", language="sl", source="cli")
    err = raised.value
    assert "disk I/O error" in err.message and err.failure == "io"
    assert err.hint is not None and "full, read-only or failing" in err.hint, err.hint
    assert "writable" in err.hint and "free" in err.hint


@pytest.mark.sqlite_only_reason("makes the SQLite file read-only")
def test_a_read_only_database_file_is_said_read_only_not_deleted(sqlite_only, store, settings) -> None:
    add_subscriber(store, "first@example.org", language="sl", source="cli")
    store.close()  # the next connection opens the file as it is now
    with read_only(_file(settings)):
        again = open_store(settings)
        try:
            with pytest.raises(StoreError) as raised:
                add_subscriber(again, "second@example.org", language="sl", source="cli")
        finally:
            again.close()
    err = raised.value
    assert "attempt to write a readonly database" in err.message and err.failure == "readonly"
    assert err.hint is not None and "can be read but not written" in err.hint, err.hint
    assert "deleted" not in err.hint and "full" not in err.hint


@pytest.mark.sqlite_only_reason("makes the SQLite file read-only")
def test_the_command_line_says_read_only(sqlite_only, store, settings, cli) -> None:
    store.close()
    with read_only(_file(settings)):
        result = cli("subscribers", "add", "new@example.org", "--lang", "sl")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "attempt to write a readonly database" in result.output
    assert "hint: it can be read but not written" in result.output
    assert "deleted" not in result.output and "disk is full" not in result.output


@pytest.mark.sqlite_only_reason("SQLITE_FULL from SQLite's page limit")
def test_a_full_database_is_said_full(sqlite_only, store, settings) -> None:
    raw = sqlite3.connect(_file(settings), isolation_level=None)
    raw.execute("VACUUM")
    [(pages,)] = raw.execute("PRAGMA page_count").fetchall()
    raw.close()
    from sqlalchemy import event

    def no_room(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    store.close()
    event.listen(store.engine, "connect", no_room)
    try:
        with pytest.raises(StoreError) as raised:
            for i in range(200):  # until a new page is needed
                add_subscriber(store, f"reader{i:03d}@example.org", language="sl", source="cli")
    finally:
        event.remove(store.engine, "connect", no_room)
    err = raised.value
    assert "database or disk is full" in err.message and err.failure == "full"
    assert err.hint is not None and err.hint.startswith("the disk holding it is full"), err.hint


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        ("database or disk is full", "full"),
        ('could not extend file "base/16384/2619": No space left on device', "full"),
        ("disk I/O error", "io"),
        ('could not write to file "pg_wal/xlogtemp.123": Input/output error', "io"),
        ("attempt to write a readonly database", "readonly"),
        ('could not create file "base/1/2": Read-only file system', "readonly"),
        ("cannot execute INSERT in a read-only transaction", "readonly"),
        ("database is locked", "locked"),
        ("unable to open database file", "missing"),
        ("database disk image is malformed", "damaged"),
        ("file is not a database", "damaged"),
        ("server closed the connection unexpectedly", "gone"),
        ("terminating connection due to administrator command", "gone"),
        ("something else entirely", "other"),
    ],
)
def test_each_kind_of_failure_is_read_from_the_drivers_words(words: str, kind: str) -> None:
    from leadex_mail.store.failures import failure_kind

    assert failure_kind(words) == kind


def test_the_drivers_own_code_wins_over_its_words() -> None:
    """SQLite's extended code, PostgreSQL's SQLSTATE: a message in another language, or naming a path, reads the same."""
    from leadex_mail.store.failures import failure_kind

    class Pg(Exception):
        sqlstate = "53100"

    assert failure_kind(Pg("kein Speicherplatz auf dem Gerät")) == "full"
    Pg.sqlstate = "25006"
    assert failure_kind(Pg("no se puede ejecutar INSERT en una transacción de sólo lectura")) == "readonly"
    err = sqlite3.OperationalError("disk I/O error")
    err.sqlite_errorname = "SQLITE_IOERR_WRITE"  # as sqlite3 sets it
    assert failure_kind(err) == "io"


@pytest.mark.parametrize("kind", ["io", "readonly", "missing", "damaged", "gone", "locked", "character", "other"])
def test_only_a_full_disk_is_said_full(kind: str) -> None:
    from leadex_mail.store.failures import failure_hint

    assert "is full:" not in failure_hint(kind, "sqlite:////srv/leadex/subscribers.db")
    assert "is full:" not in failure_hint(kind, "postgresql://leadex@db.example.org/leadex")
