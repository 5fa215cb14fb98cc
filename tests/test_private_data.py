"""Personal data on disk and the database password.

Files holding personal data (the SQLite store with its -wal/-shm, exports,
outbox .eml files) are created 0600 and their folders 0700, whatever the
umask lets through; the database password is a secret: never in
``leadex-mail.toml``, never printed, taken from ``LEADEX_DATABASE_URL`` or
``PGPASSWORD``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import load_settings
from leadex_mail.errors import ConfigError, StoreError
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber

REPO = Path(__file__).resolve().parents[1]
ISSUE = "2026-04-leadex-01"
PASSWORD = "geslo-Baze-7f3k"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022, under which files come out world-readable unless created otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def env(tmp_path, monkeypatch, open_umask) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'subscribers.db'}",
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
        "LEADEX_IMAGES_URL": "https://images.example.org",
    }


def run(env: dict[str, str], *args: str):
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def test_a_new_store_and_its_wal_and_shm_are_owner_only(env, tmp_path):
    (tmp_path / "data").mkdir()
    with open_store(load_settings(environ=env)) as store:
        create_list(store, "newsletter", title="LeadEx")
        add_subscriber(store, "ana@example.org", name="Ana Novak", lists=("newsletter",), status="active", source="cli")
        files = sorted((tmp_path / "data").iterdir())
        assert [f.name for f in files] == ["subscribers.db", "subscribers.db-shm", "subscribers.db-wal"]
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}


def test_outbox_folders_and_messages_are_owner_only(env, tmp_path):
    (tmp_path / "data").mkdir()
    with open_store(load_settings(environ=env)) as store:
        create_list(store, "newsletter", title="LeadEx")
        add_subscriber(store, "ana@example.org", name="Ana Novak", lists=("newsletter",), status="active", source="cli")
    run(env, "send", ISSUE, "--list", "newsletter", "--yes")
    run(env, "send-test", ISSUE, "--to", "urednik@example.org")
    outbox = tmp_path / "outbox"
    folders = [outbox, *[p for p in outbox.rglob("*") if p.is_dir()]]
    messages = list(outbox.rglob("*.eml"))
    assert len(folders) == 3 and len(messages) == 2
    assert {oct(mode(p)) for p in folders} == {"0o700"}
    assert {oct(mode(p)) for p in messages} == {"0o600"}


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_exports_are_owner_only_even_over_a_readable_file(env, tmp_path, fmt):
    (tmp_path / "data").mkdir()
    with open_store(load_settings(environ=env)) as store:
        add_subscriber(store, "ana@example.org", name="Ana Novak", status="active", source="cli")
    target = tmp_path / f"export.{fmt}"
    target.write_text("old")
    target.chmod(0o644)
    run(env, "subscribers", "export", "--format", fmt, "--output", str(target))
    assert mode(target) == 0o600 and "ana@example.org" in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []  # no temporary file left


def test_an_export_to_a_missing_folder_is_a_clear_error(env, tmp_path):
    (tmp_path / "data").mkdir()
    run(env, "lists", "create", "news")  # a store to export from (export never starts one)
    result = CliRunner().invoke(main, ["subscribers", "export", "--output", str(tmp_path / "nope" / "x.json")], env=env)
    assert result.exit_code == 1 and "cannot write" in result.output and "Traceback" not in result.output


# -- the database password ----------------------------------------------------------


def test_a_password_in_the_file_is_refused_with_a_hint(tmp_path):
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text(f'newsletters_dir = "newsletters"\ndatabase_url = "postgresql+psycopg://leadex:{PASSWORD}@db.example.org/leadex"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    text = err.value.message + (err.value.hint or "")
    assert f"{cfg}:2" in err.value.message and "database_url" in err.value.message and PASSWORD not in text
    assert "PGPASSWORD" in text and "LEADEX_DATABASE_URL" in text
    cfg.write_text('newsletters_dir = "newsletters"\n')
    settings = load_settings(cfg, environ={"LEADEX_DATABASE_URL": f"postgresql+psycopg://leadex:{PASSWORD}@db.example.org/leadex"})
    assert PASSWORD in settings.database_url  # the environment may carry it


# Every way a password rides in a database URL (tester's finding i8/a8 #4: the query form was shown and accepted).
QUERY_FORMS = [
    f"postgresql+psycopg://leadex@db.example.org:5432/leadex?password={PASSWORD}",
    f"postgresql+psycopg://leadex@db.example.org:5432/leadex?sslmode=require&password={PASSWORD}&application_name=x",
    f"postgresql+psycopg://leadex@db.example.org:5432/leadex?sslmode=verify-full&sslpassword={PASSWORD}",
    f"postgresql+psycopg://leadex@db.example.org:5432/leadex?PASSWORD={PASSWORD}",
]


@pytest.mark.parametrize("url", QUERY_FORMS)
def test_a_password_in_the_query_is_refused_in_the_file_and_masked(tmp_path, monkeypatch, url):
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text(f'database_url = "{url}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert "holds a password" in err.value.message and PASSWORD not in err.value.message + (err.value.hint or "")
    monkeypatch.chdir(tmp_path)
    cfg.unlink()
    shown = CliRunner().invoke(main, ["config", "show"], env={"LEADEX_DATABASE_URL": url})
    assert shown.exit_code == 0 and PASSWORD not in shown.output and "password=***" in shown.output.lower(), shown.output


def test_an_unencoded_at_sign_in_the_password_is_refused_and_hidden(tmp_path, monkeypatch):
    """``u:p@ss@host``: SQLAlchemy would log in as "p" at host "ss@host"; the error showed ``u:***@ss@…``."""
    monkeypatch.chdir(tmp_path)
    url = f"postgresql+psycopg://leadex:{PASSWORD}@part@127.0.0.1:1/leadex"
    result = CliRunner().invoke(main, ["status"], env={"LEADEX_DATABASE_URL": url})
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "more than one '@'" in result.output and "%40" in result.output
    assert PASSWORD not in result.output and "part" not in result.output


def test_config_show_masks_the_database_password(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"postgresql+psycopg://leadex:{PASSWORD}@db.example.org:5432/leadex"
    result = CliRunner().invoke(main, ["config", "show"], env={"LEADEX_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output and "postgresql+psycopg://leadex:***@db.example.org:5432/leadex" in result.output


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://leadex:{PASSWORD}@127.0.0.1:1/leadex",  # nothing listens on port 1
        f"postgresql+psycopg//leadex:{PASSWORD}@127.0.0.1/leadex",  # not a URL
        f"postgresql+psycopg://leadex@127.0.0.1:1/leadex?password={PASSWORD}",  # the query form
        f"postgresql+psycopg://leadex@127.0.0.1:notaport/leadex?password={PASSWORD}",
    ],
)
def test_errors_never_show_the_database_password(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["subscribers", "stats"], env={"LEADEX_DATABASE_URL": url})
    assert result.exit_code != 0 and "error:" in result.output and "Traceback" not in result.output, result.output
    assert PASSWORD not in result.output


def test_pgpassword_logs_in_when_the_url_has_no_password(pg_cluster, tmp_path, monkeypatch):
    """A role that needs a password (scram-sha-256), the URL without it, PGPASSWORD in the environment."""
    import psycopg

    role = "leadex_pw_role"
    hba = Path(pg_cluster.datadir) / "pg_hba.conf"
    rules = hba.read_text()
    if role not in rules:  # first in the file: it wins over the cluster's "trust" lines for this role only
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + rules)
    admin = f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    database = pg_cluster.new_database(migrated=False).rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {database} OWNER TO {role}")
    cfg = tmp_path / "leadex-mail.toml"
    cfg.write_text(f'database_url = "postgresql+psycopg://{role}@127.0.0.1:{pg_cluster.port}/{database}"\n')

    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(StoreError) as err:
        open_store(load_settings(cfg, environ={}))
    assert "password" in err.value.message and PASSWORD not in err.value.message
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with open_store(load_settings(cfg, environ={})) as store:
        create_list(store, "newsletter", title="LeadEx")
