"""The store's schema: the Alembic migrations, where a store stands against them, and bringing it up to date.

``db.open_store`` calls ``migrate`` (a store behind is upgraded on first
use); ``leadex-mail db status`` and ``db upgrade`` call ``migration_status``
and ``upgrade``. Alembic costs ~0.6 s to import, so it is imported only when
a migration is due: a store at the head is recognised by one query
(``head_revision`` reads the newest revision from the file names).

Upgrading is safe when several processes start at once (the first takes the
write lock and migrates, the others find nothing left), and on SQLite runs
with foreign keys off, checked before commit (``foreign_keys_off``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from leadex_mail.counts import counted
from leadex_mail.errors import StoreError
from leadex_mail.store.urls import connection_hint, mask_password, one_line

if TYPE_CHECKING:  # alembic costs ~0.6 s to import: only when a migration is due
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from leadex_mail.store.db import Store

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# An arbitrary constant naming the PostgreSQL advisory lock taken while migrating.
_PG_MIGRATION_LOCK = 0x1EAD_E8


@dataclass(frozen=True)
class MigrationStatus:
    """Where a store's schema stands against the migrations this version knows."""

    current: str | None
    head: str
    pending: tuple[str, ...]  # "revision: message", oldest first

    @property
    def up_to_date(self) -> bool:
        """True when no migration is pending."""
        return not self.pending


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration for the migrations folder; with ``conn``, migrations run on that connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def script_directory() -> ScriptDirectory:
    """Alembic's view of the migrations this version knows (revisions, head)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration, read from the file names (``NNNN_name.py`` holds revision ``NNNN``).

    Lets every command see "up to date" without importing alembic; a test
    keeps this equal to alembic's own head.
    """
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _is_current(store: Store) -> bool:
    """True when the store's recorded revision is the head (one plain query)."""
    try:
        with store.engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    except SQLAlchemyError:  # no table yet (new store) or not a store: the full path says which
        return False


def _pending(script: ScriptDirectory, current: str | None) -> tuple[str, ...]:
    head = script.get_current_head()
    if current == head:
        return ()
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the store's schema is at revision {current!r}, which this version of leadex-mail does not know",
            hint="the database was upgraded by a newer leadex-mail; upgrade leadex-mail too",
        )
    revs = list(script.iterate_revisions(head, current))
    return tuple(f"{r.revision}: {r.doc}" for r in reversed(revs))


def migration_status(store: Store) -> MigrationStatus:
    """The store's current revision, the newest one known, and what is pending."""
    script = script_directory()
    with opening_errors(store), store.engine.connect() as conn:
        current = _current_revision(conn)
    return MigrationStatus(current, script.get_current_head() or "", _pending(script, current))


def upgrade(store: Store) -> tuple[str, ...]:
    """Apply every pending migration in one locked transaction; return what ran.

    Safe when several processes start at once: the first takes the write
    lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL advisory lock) and migrates;
    the others wait, then find nothing left to do.
    """
    script = script_directory()
    with opening_errors(store), store.connect(write=True) as conn, foreign_keys_off(conn), conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
        pending = _pending(script, _current_revision(conn))
        if pending:
            from alembic import command

            command.upgrade(alembic_config(conn), "head")
            _check_foreign_keys(conn)
    return pending


@contextmanager
def foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off on this connection while migrating (a no-op elsewhere).

    Batch migrations rebuild a table by copying it and dropping the old one;
    with foreign keys on, that DROP deletes every row first and so cascades
    to the rows referring to it (all subscriptions of ``subscriber``). The
    pragma has no effect inside a transaction, so it is set before BEGIN,
    on the driver's connection (SQLAlchemy would open a transaction for it).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(conn: Connection) -> None:
    """SQLite: refuse to commit a migration that left a reference dangling."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise StoreError(
            f"a migration left {counted(len(broken), 'broken reference')}, first: {tuple(broken[0])}; nothing was changed",
            hint="report this as a bug of leadex-mail, with `leadex-mail db status`",
        )


@contextmanager
def opening_errors(store: Store) -> Iterator[None]:
    """Turn a database error while opening or migrating ``store`` into a ``StoreError`` (password masked, with a hint)."""
    try:
        yield
    except SQLAlchemyError as exc:
        words = one_line(mask_password(str(getattr(exc, "orig", None) or exc)))
        raise StoreError(
            f"cannot open the subscriber store {store.display_url}: {words}",
            hint=connection_hint(words, store.engine.url, opening=True)
            or ("check database_url (LEADEX_DATABASE_URL) and that the file is a leadex-mail store" if store.is_sqlite
                else "check database_url (LEADEX_DATABASE_URL), that the database server is running and reachable, and the login"),
        ) from None


def migrate(store: Store, attempts: int = 5, *, create: bool = True) -> None:
    """Bring the schema up to date, retrying when first users of a new file collide.

    Checking and upgrading are idempotent, so a "locked" answer that SQLite
    gives without waiting (lock upgrades it refuses to avoid deadlock) is
    simply tried again. Without ``create`` a database holding no
    leadex-mail schema at all is refused, not given one.
    """
    if _is_current(store):
        return
    if not create:
        _require_schema(store)
    for attempt in range(attempts):
        try:
            if not migration_status(store).up_to_date:
                upgrade(store)
            return
        except StoreError as err:
            if "locked" not in err.message or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _require_schema(store: Store) -> None:
    """Raise ``StoreError`` when the database has no leadex-mail schema (no ``alembic_version`` table)."""
    from sqlalchemy import inspect

    with opening_errors(store), store.engine.connect() as conn:
        if inspect(conn).has_table("alembic_version"):
            return
    raise StoreError(
        f"there is no subscriber store in {store.display_url}: the database holds no leadex-mail tables",
        hint="point LEADEX_DATABASE_URL (or --config) at the store you use; to start a new store there run `leadex-mail db upgrade`",
    )
