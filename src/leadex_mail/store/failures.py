"""What kind of failure a database error is, and what to do about it: one reading for the CLI, the web app and the studio.

``failure_kind(cause)`` sorts a driver's error (or the text of a
``StoreError`` made from one) into one of ``KINDS``; ``failure_hint``
says what to do for that kind. Each kind says only what the error
proves (a14 finding 1: SQLite's "disk I/O error" on a read-only file was
reported as "the disk is full"):

- ``full``: no room to grow (SQLite's SQLITE_FULL "database or disk is
  full"; PostgreSQL's disk_full 53100, "No space left on device");
- ``io``: the disk refused a read or a write without saying why (SQLite's
  SQLITE_IOERR "disk I/O error", PostgreSQL's io_error 58030): full,
  read-only and failing disks all look like this;
- ``readonly``: the database can be read but not written (SQLite's
  SQLITE_READONLY "attempt to write a readonly database", a file system
  mounted read-only; a PostgreSQL standby or default_transaction_read_only,
  25006);
- ``locked``: another program held it past the busy timeout;
- ``missing``: the file was deleted, moved or cannot be opened;
- ``damaged``: the file is not (or no longer) a database;
- ``gone``: a PostgreSQL server that went away or cannot be reached;
- ``character``: a value the database cannot store (a bug of ours);
- ``other``: anything else.

The driver's own code is read first (``sqlite_errorname`` since Python
3.11; psycopg's ``sqlstate``): it does not depend on the server's
language. Otherwise the words are read, first match wins.
"""

from __future__ import annotations

KINDS = ("full", "io", "readonly", "locked", "missing", "damaged", "gone", "character", "other")

# SQLite primary result codes (``sqlite_errorname`` up to the first "_" after "SQLITE_").
_SQLITE_CODES = {
    "SQLITE_FULL": "full",
    "SQLITE_IOERR": "io",
    "SQLITE_READONLY": "readonly",
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_CANTOPEN": "missing",
    "SQLITE_CORRUPT": "damaged",
    "SQLITE_NOTADB": "damaged",
}

# PostgreSQL SQLSTATEs: exact codes, then classes (the first two characters).
_SQLSTATES = {
    "53100": "full",  # disk_full
    "58030": "io",  # io_error
    "25006": "readonly",  # read_only_sql_transaction
    "55P03": "locked",  # lock_not_available
    "XX001": "damaged",  # data_corrupted
    "XX002": "damaged",  # index_corrupted
    "22021": "character",  # character_not_in_repertoire
    "22P05": "character",  # untranslatable_character
    "57P01": "gone",  # admin_shutdown
    "57P02": "gone",  # crash_shutdown
    "57P03": "gone",  # cannot_connect_now
}
_SQLSTATE_CLASSES = {"08": "gone"}  # connection exceptions

# The driver's words, lower case, first match wins (read-only before full: "Read-only file system" is no full disk).
_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("locked", ("database is locked", "table is locked", "locked", "busy", "lock timeout")),
    ("readonly", ("readonly", "read-only", "read only", "recovery is in progress", "hot standby")),
    ("full", ("database or disk is full", "disk is full", "disk full", "no space", "quota exceeded", "could not extend file")),
    ("io", ("disk i/o error", "i/o error", "input/output error", "file too large", "could not write to file", "could not read block", "could not fsync")),
    ("damaged", ("malformed", "not a database", "corrupt")),
    ("missing", ("is gone", "replaced by another", "unable to open", "no such table")),
    ("gone", ("connection", "server closed", "terminat", "could not connect", "no route", "timeout expired", "timed out", "shutting down")),
    ("character", ("nul (0x00)", "invalid byte sequence", "character with byte sequence", "unsupported unicode escape", "surrogates not allowed")),
)


def failure_kind(cause: BaseException | str) -> str:
    """The kind (one of ``KINDS``) of the database failure ``cause``: an exception from the driver (or SQLAlchemy's wrapper), or its words."""
    if not isinstance(cause, str):
        cause = getattr(cause, "orig", None) or cause  # SQLAlchemy's DBAPIError wraps the driver's
        name = getattr(cause, "sqlite_errorname", None)
        if isinstance(name, str) and name.startswith("SQLITE_"):
            primary = "SQLITE_" + name.removeprefix("SQLITE_").split("_", 1)[0]
            if primary in _SQLITE_CODES:
                return _SQLITE_CODES[primary]
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state:
            found = _SQLSTATES.get(state) or _SQLSTATE_CLASSES.get(state[:2])
            if found:
                return found
        cause = str(cause)
    lowered = cause.lower()
    for kind, cues in _CUES:
        if any(cue in lowered for cue in cues):
            return kind
    return "other"


def failure_hint(kind: str, where: str) -> str:
    """What to do about a failure of ``kind`` of the store at ``where`` (its URL as people read it: a ``sqlite:`` file or a server)."""
    sqlite = where.startswith("sqlite")
    if kind == "locked":
        from leadex_mail.store.urls import BUSY_TIMEOUT_S

        return f"another process held it for over {BUSY_TIMEOUT_S} s; try again when it is done"
    if kind == "full":
        if sqlite:
            return "the disk holding it is full: free some space (or move the store) and try again"
        return f"the database server's disk is full ({where}): free some space there, then try again"
    if kind == "io":
        if sqlite:
            return ("the disk holding it refused a read or a write: it is full, read-only or failing; check its free space,"
                    " that the file, its -wal and -shm files and their folder are writable, and the system log for disk errors; then try again")
        return f"the database server ({where}) could not read or write its files: check its disk and its log, then try again"
    if kind == "readonly":
        if sqlite:
            return ("it can be read but not written: make the file, its -wal and -shm files and their folder writable by this user"
                    " (and check that the disk is not mounted read-only), then try again")
        return f"the database server ({where}) accepts only reads (a standby, or default_transaction_read_only): point database_url at the primary"
    if kind == "missing":
        return "the database file was deleted, moved or cannot be opened: restore it, and check that this user may read and write it and its folder"
    if kind == "damaged":
        return "the database file is damaged or is not a subscriber store: restore it from its backup"
    if kind == "gone":
        return f"the database server ({where}) went away or cannot be reached: check that it is running, then try again"
    if kind == "character":
        return "a value held a character this database cannot store; that is a bug in leadex-mail: please report it with the command you ran"
    return f"check that the database ({where}) is reachable and not damaged"
