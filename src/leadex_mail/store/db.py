"""Opening the subscriber store: engine, connection settings, sessions.

``open_store(settings)`` is the one way in. It builds an engine for
``settings.database_url`` (SQLite ``subscribers.db`` by default, any
SQLAlchemy URL otherwise), brings the schema to the newest migration if it
is behind (``schema.py``: the migrations), and returns a ``Store``. A new SQLite file is created readable by
its owner only (0600, ``private_files``); the URL's password never appears
in an error.

SQLite is tuned for several processes at once (an import running while a
send reads): WAL so readers never wait for the writer, a 30 s busy timeout,
foreign keys on, ``secure_delete`` so erased data is overwritten on disk,
and write transactions opened with ``BEGIN IMMEDIATE`` — a deferred
transaction that reads and then writes can fail at once with "database is
locked" in WAL mode, whatever the busy timeout, when another process wrote
in between.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    ProgrammingError,
)
from sqlmodel import Session

from leadex_mail.config import Settings, redact_url
from leadex_mail.errors import StoreError
from leadex_mail.private_files import create_private_file
from leadex_mail.store.urls import connect_args, connection_hint, engine_url, one_line
from leadex_mail.store.urls import BUSY_TIMEOUT_S, failure_hint as _hint_for  # noqa: F401 (the hint for a driver's words; tests)
from leadex_mail.store.failures import failure_hint, failure_kind
from leadex_mail.store import schema
from leadex_mail.store.schema import MIGRATIONS, MigrationStatus, head_revision, migration_status, upgrade  # noqa: F401 (re-exported)

BUSY_TIMEOUT_MS = BUSY_TIMEOUT_S * 1000
# One lock per SQLite database (by URL) for every Store of this process: see ``Store.write_lock``.
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


# Tables that can hold a person's data (an address, a name, an IP, a server's
# words quoting the address): what an erasure rewrites on PostgreSQL.
PERSONAL_TABLES = ("subscriber", "subscription", "event", "delivery", "test_send", "outgoing_mail", "bounce_report")


class Store:
    """An open subscriber store: the engine plus transaction helpers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Connections taken through ``_writer`` open their transactions with
        # BEGIN IMMEDIATE on SQLite; plain ``engine.connect()`` stays deferred.
        self._writer = engine.execution_options(leadex_write=True)
        # Values read once per open store (e.g. the suppression key).
        self.cache: dict[str, Any] = {}
        # (device, inode) of the SQLite file as opened: see ``check_file``.
        self._file_id: tuple[int, int] | None = None
        # SQLite lets one writer in at a time; threads of one process that
        # collide fall into SQLite's busy handler, which sleeps in steps of
        # 1, 2, 5 ... 100 ms. Queueing them on a Python lock first hands the
        # database over at once. Shared by every Store of the same file in
        # this process (the web app and a send may open their own).
        self.write_lock: threading.Lock | None = None
        if self.is_sqlite:
            with _WRITE_LOCKS_GUARD:
                self.write_lock = _WRITE_LOCKS.setdefault(str(engine.url), threading.Lock())

    @property
    def is_sqlite(self) -> bool:
        """True when the store is a SQLite file (some maintenance differs)."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A ``sqlmodel.Session`` in one transaction: commit on success, rollback on error.

        By default the transaction takes SQLite's write lock when it starts,
        so it can never fail half-way on a lock; other writers wait (up to the
        busy timeout). Do not nest two write sessions in one thread: the inner
        one would wait for the outer. ``write=False`` opens a plain (deferred)
        transaction for reads, which never waits for a writer. Objects stay
        usable after the block (no expiry on commit).
        """
        bind = self._writer if write else self.engine
        self.check_file()
        with self.errors(), Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def begin(self, *, write: bool = True) -> Iterator[Connection]:
        """A Core connection in one transaction, for bulk statements (import)."""
        bind = self._writer if write else self.engine
        self.check_file()
        with self.errors(), bind.begin() as conn:
            yield conn

    def serialised(self) -> AbstractContextManager[object]:
        """Hold this process's SQLite write lock (``write_lock``) for a write transaction; nothing on PostgreSQL.

        PostgreSQL locks rows, not the database: its writers need no queue.
        """
        return self.write_lock if self.write_lock is not None else nullcontext()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction on a pooled connection, queued behind this process's other SQLite writers."""
        with self.serialised(), self.begin() as conn:
            yield conn

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn the database's own failures into one ``StoreError`` saying what and what to do.

        Locked past the busy timeout, disk full, file gone or unreadable, a
        PostgreSQL server gone: from SQLAlchemy or straight from the sqlite3
        driver (the hot paths that bypass SQLAlchemy use this too).
        Constraint violations and programming errors pass through: callers
        turn the first into their own messages, the second are bugs.
        """
        try:
            yield
        except (IntegrityError, ProgrammingError, sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise
        except DBAPIError as exc:
            raise self._failed(exc.orig) from exc
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from exc
        except Exception as exc:
            if _is_psycopg_failure(exc):  # a fast path on psycopg's own connection (store/driver.py)
                raise self._failed(exc) from exc
            raise

    def _failed(self, cause: BaseException) -> StoreError:
        """The ``StoreError`` for the driver's ``cause``: its words, its kind (``store.failures``) and what to do.

        The kind is read from the driver's own code where it has one (a read-only
        file's "disk I/O error" is not a full disk), so the hint says only what it knows.
        """
        where = self.display_url
        text = one_line(str(cause)) or type(cause).__name__
        kind = failure_kind(cause)
        error = StoreError(f"the subscriber store {where} failed: {text}", hint=connection_hint(text, self.engine.url) or failure_hint(kind, where))
        error.failure = kind
        return error

    @property
    def display_url(self) -> str:
        """The store's URL as people should read it: password hidden, a SQLite file by its absolute path."""
        url = self.engine.url
        if self.is_sqlite and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            return f"sqlite:///{Path(url.database).expanduser().resolve()}"
        return redact_url(url.render_as_string(hide_password=False))

    def check_file(self) -> None:
        """SQLite: raise ``StoreError`` if the database file was deleted or replaced since first checked.

        An open SQLite connection goes on reading and writing a deleted file
        without a word; a send would record its deliveries where nobody can
        see them, and the next run would mail everyone again; a long-running
        studio would show a moved store's old figures and write new
        subscribers into it. So every ``session`` and ``begin`` checks first.
        Costs one ``stat`` (microseconds). Does nothing on other databases.
        """
        path = self.engine.url.database if self.is_sqlite else None
        if not path or path == ":memory:" or path.startswith("file:"):
            return
        try:
            st = os.stat(path)
        except OSError as exc:
            gone = StoreError(
                f"the subscriber store {path} is gone: {exc.strerror or exc}",
                hint="it was deleted, moved or its disk unmounted while in use; restore it (or its backup) before going on",
            )
            gone.failure = "missing"
            raise gone from None
        current = (st.st_dev, st.st_ino)
        if self._file_id is None:
            self._file_id = current
        elif current != self._file_id:
            replaced = StoreError(
                f"the subscriber store {path} was replaced by another file while in use",
                hint="put the original file back, or start again on the new one",
            )
            replaced.failure = "missing"
            raise replaced

    def checkpoint(self) -> None:
        """After an erasure (committed): leave the erased bytes in no table or index file of the database.

        SQLite: ``secure_delete`` already zeroed them in the pages; the
        write-ahead log is folded into the file and emptied, so they survive
        in no WAL frame.

        PostgreSQL never overwrites a row in place: a deleted or updated row
        stays in its table's and indexes' pages as a dead version (a plain
        VACUUM frees the space but leaves the bytes), and ANALYZE may have
        copied the value into the planner's statistics. So the tables that
        hold personal data are rewritten into new files, their indexes
        rebuilt and their statistics sampled again (``VACUUM (FULL,
        ANALYZE)``; the old files are emptied at commit), then the
        statistics catalogue, whose replaced samples are dead rows too. Each
        table is locked while it is copied (a send waits for it, it does not
        fail): seconds for a million deliveries. Rewriting ``pg_statistic``
        needs the database's owner (or a superuser); for another user
        PostgreSQL skips it with a warning and the old samples stay until
        autovacuum reuses their space. The write-ahead log and backups are
        the operator's retention (docs/decisions.md). Raises ``StoreError``
        when the database fails.
        """
        with self.errors():
            if self.is_sqlite:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif self.engine.dialect.name == "postgresql":
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM runs outside a transaction
                    conn.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {', '.join(PERSONAL_TABLES)}")
                    # ANALYZE just replaced the samples; the old ones (addresses, IPs) are dead rows of the catalogue.
                    conn.exec_driver_sql("VACUUM FULL pg_catalog.pg_statistic")

    def refresh_statistics(self, tables: tuple[str, ...]) -> None:
        """Update the query planner's statistics after a bulk change (PostgreSQL).

        Without it, PostgreSQL plans the first queries after a 100 000-row
        import as if the tables were empty (a nested loop of sequential
        scans: minutes instead of 0.1 s) until autovacuum catches up.
        SQLite plans well from its indexes alone, so nothing is done there.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self._writer.begin() as conn:
            conn.execute(text("ANALYZE " + ", ".join(conn.dialect.identifier_preparer.quote(t) for t in tables)))

    def connect(self, *, write: bool = True) -> Connection:
        """A Core connection of the caller's own (long-lived, e.g. one per sending worker).

        With ``write`` its transactions take SQLite's write lock when they
        begin; the caller closes it.
        """
        return (self._writer if write else self.engine).connect()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_psycopg_failure(exc: BaseException) -> bool:
    """True for a psycopg error that ``Store.errors`` reports (not a constraint violation nor a programming error).

    Looked up in ``sys.modules``: psycopg is imported only by a store on PostgreSQL.
    """
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return False
    return not isinstance(exc, (psycopg.IntegrityError, psycopg.ProgrammingError))


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would emit its
    # own deferred BEGIN); ``_on_begin`` below decides how each one starts.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA secure_delete = ON")
        _set_wal(cur)
        # NORMAL is durable across a killed process in WAL mode; only an OS
        # crash may lose the last commits, never corrupt the file.
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


def _set_wal(cur: Any) -> None:
    """Switch to WAL, retrying while other processes do the same to a brand-new file.

    Converting needs an exclusive lock; when two processes convert at once,
    SQLite refuses one at once (deadlock avoidance) instead of waiting, so
    the busy timeout does not cover it. Once the file is in WAL mode this
    is a no-op that never conflicts.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _on_sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("leadex_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url`` with leadex-mail's connection settings applied.

    ``url`` is read by ``urls.engine_url`` (``postgres://`` and
    ``postgresql://`` mean psycopg 3; a bad shape is a ``StoreError`` with
    the URL to write). SQLite: a missing file is created (0600) only with
    ``create``, else a ``StoreError`` says there is no store there. Every
    connection opens the file read-write without creating it (``mode=rw``),
    so a store deleted while in use is an error, never a new empty file in
    its place. PostgreSQL: a new connection waits at most
    ``urls.CONNECT_TIMEOUT_S`` for the server.
    """
    parsed = engine_url(url)  # postgres:// and postgresql:// mean psycopg 3; bad shapes are a StoreError with the fix
    kwargs: dict[str, Any] = {"connect_args": connect_args(parsed)}
    if parsed.get_backend_name() == "sqlite":
        # Python's own timeout is the busy handler's limit too; threads (the
        # web server, the send engine) may share pooled connections.
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        if create:
            _create_private_database(parsed.database)
        else:
            _existing_database(parsed.database)
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            target = "file:" + urllib.parse.quote(str(Path(parsed.database).expanduser().resolve())) + "?mode=rw"
            kwargs["creator"] = lambda: sqlite3.connect(target, uri=True, **kwargs["connect_args"])
    # Every statement keeps its cursor's rowcount: since SQLAlchemy 2.1 an
    # executemany or INSERT ... SELECT on psycopg otherwise reports -1, and
    # queueing, retries and erasure say how many rows they changed.
    kwargs["execution_options"] = {"preserve_rowcount": True}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"no database driver for {parsed.drivername!r}: {exc}",
            hint="for PostgreSQL install the extra: pip install 'leadex-mail[postgres]'",
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _existing_database(database: str | None) -> None:
    """Raise ``StoreError`` when the SQLite file ``database`` does not exist (a command that only reads or changes it)."""
    if not database or database == ":memory:" or database.startswith("file:") or Path(database).expanduser().is_file():
        return
    raise StoreError(
        f"there is no subscriber store {database} (in {Path.cwd()})",
        hint="run the command in the folder that holds the store, or name it with LEADEX_DATABASE_URL or --config;"
        " a new store is started by `leadex-mail lists create`, `subscribers add` or `subscribers import`",
    )


def _create_private_database(database: str | None) -> None:
    """Create a new SQLite store file as 0600 before SQLite does (it would use 0644).

    SQLite accepts the empty file as a new database and gives its ``-wal``
    and ``-shm`` files the same mode, so none of them is readable by others.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if not path.parent.is_dir():
        raise StoreError(f"cannot create the store {database}: folder {path.parent} does not exist", hint="create the folder or change database_url")
    try:
        create_private_file(path)
    except OSError as exc:
        raise StoreError(f"cannot create the store {database}: {exc.strerror or exc}", hint="check that the folder is writable") from None


def open_store(settings: Settings, *, migrate: bool = True, create: bool = True) -> Store:
    """Open (creating it on first use) the store named by ``settings.database_url``.

    With ``migrate`` (the default) the schema is brought up to date first;
    ``migrate=False`` is for ``db status``, which must only look.
    ``create=False``: a missing SQLite file, or a database without
    leadex-mail's tables (a new PostgreSQL database, another program's), is
    a ``StoreError`` saying which store was looked for (commands that read,
    or act on what is there, never start an empty store where the operator
    meant another one).
    """
    store = Store(make_engine(settings.database_url, create=create))
    try:
        if migrate:
            schema.migrate(store, create=create)
            store.check_file()  # remembers which file this is
    except BaseException:
        store.close()
        raise
    return store


def ping(store: Store) -> None:
    """Run a trivial query (raises StoreError when the database is unreachable)."""
    with schema.opening_errors(store), store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
