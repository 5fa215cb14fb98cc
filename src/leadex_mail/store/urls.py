"""The store's URL: read once into the engine's URL, and the hints for what goes wrong reaching it.

``engine_url(text)`` turns ``database_url`` into the SQLAlchemy URL the
store opens, or raises one ``StoreError`` (what, a hint with the exact
fix). It accepts the shapes operators are handed:

- ``postgres://`` and ``postgresql://`` (Heroku, Render, Supabase and
  ``psql`` print these) and ``postgresql+psycopg2://`` (SQLAlchemy's old
  default) all mean PostgreSQL through psycopg 3, the one driver
  leadex-mail installs and uses (its fast paths speak psycopg 3's API);
  other PostgreSQL drivers are refused with the URL to write instead;
- ``sqlite:///relative.db`` and ``sqlite:////absolute.db``; a plain path
  (``subscribers.db``, ``/srv/leadex/subscribers.db``) or two slashes
  (``sqlite://subscribers.db``, which names a *host*) is refused with the
  right URL for that file;
- anything else (``mysql://``) is refused: the store is SQLite or PostgreSQL.

``connection_hint(text, url)`` reads the driver's words when the server
cannot be reached or refuses the login (wrong port, unknown host, bad
password, no such database) and says what to check; ``failure_hint``
does the same for any other failure of an open store (locked, disk full,
server gone); ``one_line`` keeps the first line of a driver's message
(libpq adds its own hint lines).
Passwords never appear: URLs are shown through ``config.redact_url``.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from leadex_mail.config import redact_url
from leadex_mail.errors import StoreError

# The driver leadex-mail uses for PostgreSQL (the ``postgres`` extra installs it).
POSTGRES_DRIVER = "postgresql+psycopg"
# Seconds to wait for the PostgreSQL server to answer a new connection (libpq waits for ever by default):
# a worker retrying a lost server must not hang on a silent network.
CONNECT_TIMEOUT_S = 10
# How long a SQLite connection waits for another's write lock (``db.BUSY_TIMEOUT_MS``); named in the hint when it ran out.
BUSY_TIMEOUT_S = 30
_EXAMPLES = "e.g. sqlite:///subscribers.db or postgresql://user@host:5432/db (the port is a number)"


def engine_url(text: str) -> URL:
    """``database_url`` as the URL to open: PostgreSQL spellings mapped to psycopg 3, shapes checked.

    Raises ``StoreError`` for a URL that cannot be read or names neither a
    SQLite file nor a PostgreSQL database, with the URL to write instead.
    """
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise StoreError(f"database_url {redact_url(text)!r} is not a database URL: {mask_password(str(exc))}", hint=_shape_hint(text)) from None
    backend, driver = url.get_backend_name(), url.drivername.partition("+")[2]
    if backend in ("postgres", "postgresql"):
        if driver not in ("", "psycopg", "psycopg2"):
            fixed = redact_url(url.set(drivername=POSTGRES_DRIVER).render_as_string(hide_password=False))
            raise StoreError(
                f"database_url {redact_url(text)!r} asks for the PostgreSQL driver {driver!r}; leadex-mail uses psycopg 3",
                hint=f"write {fixed} (or postgresql://…, which means the same)",
            )
        url = url.set(drivername=POSTGRES_DRIVER)
        _check_port(url, text)
        return url
    if backend == "sqlite":
        if url.host:  # sqlite://subscribers.db: the name after two slashes is read as a host
            name = url.host + (f"/{url.database}" if url.database else "")
            raise StoreError(
                f"database_url {redact_url(text)!r} has two slashes, so {name!r} is read as a server's name, not a file",
                hint=f"write sqlite:///{name} (three slashes: a path from the folder it runs in) or sqlite:////srv/leadex/subscribers.db (four: an absolute path)",
            )
        return url
    raise StoreError(
        f"database_url {redact_url(text)!r} names a {backend!r} database; leadex-mail keeps its store in SQLite or PostgreSQL",
        hint=_EXAMPLES,
    )


def _check_port(url: URL, text: str) -> None:
    if url.port is not None and not 0 < url.port < 65536:
        raise StoreError(f"database_url {redact_url(text)!r} has the port {url.port}, which no server can listen on",
                         hint="a port is 1-65535; PostgreSQL listens on 5432 unless told otherwise")


def _shape_hint(text: str) -> str:
    """The fix for a database_url that is not a URL: a plain path gets its sqlite:/// URL."""
    stripped = text.strip()
    if stripped and "://" not in stripped and not stripped.startswith(("sqlite:", "postgres")) and re.search(r"\.(db|sqlite3?)$", stripped):
        return f"for the SQLite file {stripped} write sqlite:///{stripped}"
    if stripped.startswith("sqlite:") and not stripped.startswith("sqlite://"):
        path = stripped.removeprefix("sqlite:")
        return f"write sqlite:///{path} (three slashes, then the path)"
    return _EXAMPLES


def connect_args(url: URL) -> dict[str, object]:
    """Driver options for ``url``: a connect timeout on PostgreSQL unless the URL sets one."""
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        return {"connect_timeout": CONNECT_TIMEOUT_S}
    return {}


def one_line(text: str) -> str:
    """The first non-empty line of a driver's message (libpq follows it with hint lines of its own)."""
    for line in text.strip().splitlines():
        if line.strip():
            return " ".join(line.split())  # libpq writes "FATAL:  ..." with two spaces
    return text.strip()


def connection_hint(text: str, url: URL, *, opening: bool = False) -> str | None:
    """What to check when PostgreSQL at ``url`` cannot be reached or refuses us, read from the driver's ``text``; None when it is not that.

    ``opening``: the store was being opened (a connection closed at once
    then is more likely a wrong port than a server going away).
    """
    lowered = text.lower()
    host, port, user = url.host or "localhost", url.port or 5432, url.username or "(your system user)"
    if "password authentication failed" in lowered:
        return f"the server refused the password of user {user}: check it (in LEADEX_DATABASE_URL, or PGPASSWORD)"
    if "no password supplied" in lowered:
        return "the server asks for a password: set PGPASSWORD in the environment (or write it in LEADEX_DATABASE_URL, never in a file)"
    if re.search(r'role ".*" does not exist', lowered):
        return f"the server has no user {user}: check the user name in database_url"
    if re.search(r'database ".*" does not exist', lowered):
        return (f"create it first (`createdb -h {host} -p {port} -U {user} {url.database}`), then `leadex-mail db upgrade` makes its tables;"
                " or correct the name in database_url")
    if "permission denied for" in lowered:
        return (f"user {user} logs in but may not use the store's tables: connect as their owner, or grant them"
                f" (GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user}, and USAGE ON ALL SEQUENCES)")
    if "connection refused" in lowered:
        return f"nothing answers at {host} port {port}: check the host and port in database_url (PostgreSQL's default is 5432) and that the server is running"
    if "resolve host" in lowered or "translate host name" in lowered or "name or service not known" in lowered:
        return f"the host name {host!r} is not known: check it in database_url"
    if "timeout expired" in lowered or "timed out" in lowered:
        return f"{host} port {port} did not answer within {CONNECT_TIMEOUT_S} s: check the host, the port and any firewall between"
    if "ssl negotiation" in lowered or "invalid response" in lowered:
        return f"something answers at {host} port {port}, but not PostgreSQL: check the port in database_url"
    if opening and "closed the connection" in lowered:
        return f"{host} port {port} hung up at once: if PostgreSQL does not listen there, correct the port in database_url; else the server is restarting, try again"
    return None


def failure_hint(text: str, where: str) -> str:
    """What to do about a database failure, read from the driver's words (``store.failures``)."""
    from leadex_mail.store.failures import failure_hint as hint_for, failure_kind

    return hint_for(failure_kind(text), where)


def mask_password(text: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host``, ``?password=secret`` -> ``?password=***`` (for messages)."""
    text = re.sub(r"(://[^:/@\s]*:)[^/\s]*@", r"\1***@", text)
    return re.sub(r"([?&][^=&#\s]*password[^=&#\s]*=)[^&#\s]*", r"\1***", text, flags=re.IGNORECASE)
