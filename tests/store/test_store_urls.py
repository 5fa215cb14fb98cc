"""database_url in every shape operators are handed, and every way of not reaching the store: one clear line each (a11 #10).

Reported: ``postgres://…`` (as Heroku and most hosts print it) was answered
with "install the extra: pip install 'leadex-mail[postgres]'", which was
installed. The class: every URL shape (PostgreSQL spellings, SQLite paths,
other databases, ports) and every connection failure (nothing listening,
something else listening, unknown host, user, database, bad or missing
password) gives one ``error:`` line and one ``hint:`` line with the fix,
exit 1, no traceback, no password. ``postgres://``, ``postgresql://`` and
``postgresql+psycopg2://`` all open the store through psycopg 3.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main

ENV = {"LEADEX_CONFIG": None}


def status(url: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["status"], env={**ENV, "LEADEX_DATABASE_URL": url})
    return result.exit_code, result.output.splitlines()


def assert_one_clear_error(code: int, lines: list[str], error: str, hint: str) -> None:
    assert code == 1, lines
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), lines
    assert error in lines[0] and hint in lines[1], lines
    assert "pw-s3cret" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@db.example.org/leadex", "postgresql+psycopg://u@db.example.org/leadex"),
        ("postgresql://u@db.example.org:5433/leadex", "postgresql+psycopg://u@db.example.org:5433/leadex"),
        ("postgresql+psycopg2://u@db.example.org/leadex", "postgresql+psycopg://u@db.example.org/leadex"),
        ("postgresql+psycopg://u@db.example.org/leadex?sslmode=require", "postgresql+psycopg://u@db.example.org/leadex?sslmode=require"),
        ("sqlite:///subscribers.db", "sqlite:///subscribers.db"),
    ],
)
def test_every_postgresql_spelling_means_psycopg_3(url, expected) -> None:
    from leadex_mail.store.urls import engine_url

    assert engine_url(url).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    ("url", "error", "hint"),
    [
        ("postgres://u:pw-s3cret@127.0.0.1:1/leadex", "port 1 failed: Connection refused", "nothing answers at 127.0.0.1 port 1"),
        ("postgresql+asyncpg://u:pw-s3cret@db.example.org/leadex", "the PostgreSQL driver 'asyncpg'", "write postgresql+psycopg://u:***@db.example.org/leadex"),
        ("mysql://u@db.example.org/leadex", "leadex-mail keeps its store in SQLite or PostgreSQL", "sqlite:///subscribers.db"),
        ("sqlite://subscribers.db", "two slashes", "write sqlite:///subscribers.db"),
        ("sqlite:subscribers.db", "is not a database URL", "write sqlite:///subscribers.db"),
        ("/srv/leadex/subscribers.db", "is not a database URL", "write sqlite:////srv/leadex/subscribers.db"),
        ("postgresql://u@db.example.org:99999/leadex", "has the port 99999", "a port is 1-65535"),
        ("postgresql://u@db.example.org:notaport/leadex", "is not a database URL", "the port is a number"),
    ],
)
def test_a_url_that_cannot_open_a_store_is_one_clear_error(url, error, hint) -> None:
    assert_one_clear_error(*status(url), error, hint)


def test_an_unknown_host_is_named() -> None:
    """psycopg's words for a name DNS does not know (a lookup would reach the internet, so the text is given)."""
    from leadex_mail.store.urls import connection_hint, engine_url, one_line

    words = one_line("connection failed: failed to resolve host 'db.exmaple.org': [Errno -2] Name or service not known\n")
    assert connection_hint(words, engine_url("postgres://u@db.exmaple.org/leadex"), opening=True) == "the host name 'db.exmaple.org' is not known: check it in database_url"


def test_a_port_where_something_else_answers(tmp_path: Path) -> None:
    """Not PostgreSQL on that port (a web server, say): it hangs up on PostgreSQL's first message."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def hang_up() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                conn.recv(100)
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                conn.close()

        threading.Thread(target=hang_up, daemon=True).start()
        code, lines = status(f"postgres://u@127.0.0.1:{port}/leadex")
    assert_one_clear_error(code, lines, f"port {port}", f"127.0.0.1 port {port}")


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg2"])
def test_postgres_urls_as_hosts_print_them_open_the_store(pg_cluster, backend, scheme) -> None:
    url = pg_cluster.new_database()
    code, lines = status(scheme + "://" + url.split("://", 1)[1])
    assert code == 0 and "No campaigns yet" in "\n".join(lines), lines


@pytest.fixture
def password_user(pg_cluster):
    """A PostgreSQL user that must give its password ("right") over TCP: a pg_hba.conf line for that user alone, ahead of trust."""
    name = "leadex_pw_user"
    hba = pg_cluster.datadir / "pg_hba.conf"
    before = hba.read_text()
    pg_cluster._admin(f"DROP ROLE IF EXISTS {name}", f"CREATE ROLE {name} LOGIN PASSWORD 'right'")
    hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n" + before)
    pg_cluster._admin("SELECT pg_reload_conf()")
    try:
        yield name
    finally:
        hba.write_text(before)
        pg_cluster._admin("SELECT pg_reload_conf()", f"DROP ROLE IF EXISTS {name}")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_every_way_postgresql_refuses_us_is_one_clear_error(pg_cluster, backend, password_user) -> None:
    port, url = pg_cluster.port, pg_cluster.new_database()
    database = url.rsplit("/", 1)[1]
    cases = [
        (f"postgres://{password_user}:pw-s3cret@127.0.0.1:{port}/{database}", f'password authentication failed for user "{password_user}"',
         f"the server refused the password of user {password_user}"),
        (f"postgres://{password_user}@127.0.0.1:{port}/{database}", "no password supplied", "set PGPASSWORD"),
        (f"postgres://nobody_here@127.0.0.1:{port}/{database}", 'role "nobody_here" does not exist', "the server has no user nobody_here"),
        (f"postgres://postgres@127.0.0.1:{port}/no_such_db", 'database "no_such_db" does not exist',
         f"createdb -h 127.0.0.1 -p {port} -U postgres no_such_db"),
    ]
    for bad, error, hint in cases:
        assert_one_clear_error(*status(bad), error, hint)
    # The right password logs in; the tables belong to another user, which is said as plainly.
    assert_one_clear_error(*status(f"postgres://{password_user}:right@127.0.0.1:{port}/{database}"), "permission denied for table",
                           f"user {password_user} logs in but may not use the store's tables")


def test_without_the_postgresql_driver_the_hint_installs_it(monkeypatch) -> None:
    """psycopg not installed (leadex-mail without its ``postgres`` extra): the hint is the one that helps, for every spelling."""
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # ``import psycopg`` now fails as if it were not installed
    for url in ("postgres://u@127.0.0.1:1/leadex", "postgresql+psycopg2://u@127.0.0.1:1/leadex"):
        assert_one_clear_error(*status(url), "no database driver for 'postgresql+psycopg'", "pip install 'leadex-mail[postgres]'")
