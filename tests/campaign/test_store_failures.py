"""The store failing under a running ``send``: one clear error and the resume command, never a traceback.

Real failures, no mocks: a file-size limit on the sending process
(``RLIMIT_FSIZE``: its writes past the limit fail as on a full disk, and
SQLite answers SQLITE_FULL), a write lock really held by another connection
past the busy timeout, the database file deleted while a message is on the
wire, and database URLs that cannot work.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from campaign_helpers import ISSUE, REPO, add_people, email_of, smtp_env
from faulty_smtp import faulty_server
from sqlalchemy import Engine, event, select
from test_interrupt import WAIT, HoldAtEndOfData, Output

from leadex_mail.config import Settings
from leadex_mail.store import campaigns
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store import db
from leadex_mail.store.models import Delivery, Subscriber

RECIPIENTS = 30


def send_process(tmp_path: Path, settings, server, *extra: str, file_limit: int | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "LEADEX_DATABASE_URL": settings.database_url,
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_IMAGES_URL": "https://images.example.org",
        **smtp_env(server),
    }

    def limit_files() -> None:  # in the child, before exec: every file it writes stops at this size
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))  # type: ignore[arg-type]

    cmd = [sys.executable, "-m", "leadex_mail", "send", ISSUE, "--list", "newsletter", "--yes", "--concurrency", "2", *extra]
    return subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=limit_files if file_limit is not None else None,
    )


def run(proc: subprocess.Popen) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=WAIT)
    return proc.returncode, out


def assert_one_clear_error(code: int, out: str, *words: str) -> None:
    assert code == 1, out
    assert "Traceback" not in out and "Exception in thread" not in out, out
    assert out.count("error: ") == 1, out
    for word in words:
        assert word in out, out
    # the command as invoked: its --concurrency comes back too (finding i8/a8 #6)
    assert re.search(rf"continue with: leadex-mail send {ISSUE} --list newsletter (--concurrency \d )?--resume", out), out


@pytest.mark.sqlite_only_reason("fills the file system holding the SQLite file; a PostgreSQL server's disk is the operator's")
def test_disk_full_mid_send_is_one_clear_error_and_resuming_loses_nobody(sqlite_only, tmp_path, settings, store, people, issue) -> None:
    people(RECIPIENTS)
    server = faulty_server(HoldAtEndOfData())
    server.policy.release.set()  # no holding here
    try:
        send_campaign(store, issue, settings, list_name="newsletter", limit=0)  # the campaign is queued; nothing sent yet
        store.checkpoint()  # the write-ahead log starts empty: the limit below leaves room for a few commits only
        code, out = run(send_process(tmp_path, settings, server, file_limit=64 * 1024))
        # A write past the limit fails with EFBIG, which SQLite reports as an I/O error (ENOSPC as "disk is full": below).
        assert_one_clear_error(code, out, "failed: disk I/O error", "hint: the disk holding it refused a read or a write: it is full, read-only or failing")
        assert 0 < server.total < RECIPIENTS  # it failed mid-send, not before or after
        code, out = run(send_process(tmp_path, settings, server, "--resume"))  # space freed: the same command
        assert code == 0, out
    finally:
        server.stop()
    d, s = Delivery.__table__, Subscriber.__table__
    with store.begin(write=False) as conn:
        rows = {r.email: r for r in conn.execute(select(s.c.email, d.c.state, d.c.uncertain).join(s, s.c.id == d.c.subscriber_id))}
    assert {e: r.state for e, r in rows.items()} == {email_of(i): "sent" for i in range(RECIPIENTS)}
    twice = {e for e, n in server.counts.items() if n > 1}
    assert all(rows[e].uncertain for e in twice) and len(twice) <= 2  # only what was in hand, and marked
    assert set(server.counts) == set(rows)


@pytest.mark.sqlite_only_reason("SQLITE_FULL from SQLite's page limit")
def test_database_full_is_one_clear_error(sqlite_only, cli, settings, store, people, issue) -> None:
    """SQLITE_FULL itself, from SQLite's page limit: every connection of the send may not grow the file by a page."""
    people(RECIPIENTS)
    send_campaign(store, issue, settings, list_name="newsletter", limit=0)
    raw = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    raw.execute("VACUUM")  # no free pages left to reuse: any growth needs a new page
    [(pages,)] = raw.execute("PRAGMA page_count").fetchall()
    raw.close()

    def no_room(dbapi_conn, _record) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", no_room)
    server = faulty_server(HoldAtEndOfData())
    server.policy.release.set()
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--resume", "--yes", **smtp_env(server))
    finally:
        event.remove(Engine, "connect", no_room)
        server.stop()
    assert_one_clear_error(result.exit_code, result.output, "failed: database or disk is full", "hint: the disk holding it is full")


@pytest.mark.sqlite_only_reason("SQLite's database-wide write lock and busy timeout; PostgreSQL locks rows")
def test_database_locked_past_the_timeout_when_recording_a_sent_message(sqlite_only, cli, settings, store, people, monkeypatch) -> None:
    people(5)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)  # SQLite's own wait, shortened so the test stays quick
    policy = HoldAtEndOfData()
    server = faulty_server(policy)
    holder = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)

    def lock_while_the_first_message_is_in_hand() -> None:
        policy.wait_in_hand(1)
        holder.execute("BEGIN IMMEDIATE")  # another process's write lock, held on
        policy.release.set()  # the server says 250; recording it must wait for the lock, and give up

    helper = threading.Thread(target=lock_while_the_first_message_is_in_hand, daemon=True)
    helper.start()
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", "--concurrency", "1", **smtp_env(server))
    finally:
        policy.release.set()
        helper.join(WAIT)
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        server.stop()
    assert_one_clear_error(result.exit_code, result.output, "database is locked", "another process held it")
    assert server.total == 1


@pytest.mark.sqlite_only_reason("deletes the SQLite file; the PostgreSQL counterpart is the server killed mid-send, below")
@pytest.mark.parametrize("what", ["deleted", "restored over"])
def test_database_deleted_mid_send_is_one_clear_error(sqlite_only, tmp_path, settings, store, people, what) -> None:
    """The file removed (``rm subscribers.db*``) or a backup restored over it mid-send (finding i8/a8 #5).

    Reported: ``Campaign done: sent 60``, exit 0, and a fresh empty store in
    its place (a new connection created it); a restored file would have had
    the records written to the old one's inode.
    """
    people(RECIPIENTS)
    policy = HoldAtEndOfData()
    server = faulty_server(policy)
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    store.checkpoint()
    shutil.copyfile(path, backup)
    try:
        proc = send_process(tmp_path, settings, server)
        out = Output(proc)
        policy.wait_in_hand(1)
        store.close()
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        if what == "restored over":
            shutil.copyfile(backup, path)
        policy.release.set()
        assert proc.wait(WAIT) == 1
        text = out.text()
    finally:
        policy.release.set()
        server.stop()
    assert_one_clear_error(1, text, "subscriber store", "restore it" if what == "deleted" else "replaced by another file")
    assert ("is gone" in text or "there is no subscriber store" in text) if what == "deleted" else "was replaced" in text, text
    assert path.exists() == (what == "restored over")  # no empty store was made in its place
    if what == "deleted":
        status = subprocess.run([sys.executable, "-m", "leadex_mail", "status"], env={**os.environ, "LEADEX_DATABASE_URL": settings.database_url},
                                capture_output=True, text=True, timeout=WAIT)  # fmt: skip
        assert status.returncode == 1 and "there is no subscriber store" in status.stderr and not path.exists(), status


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_server_gone_mid_send_is_one_clear_error(cli, pg_cluster, issue) -> None:
    """The PostgreSQL server dies (SIGKILL) while a message is on the wire: one error, the resume command."""
    url = pg_cluster.new_database()
    store = db.open_store(Settings(database_url=url))
    add_people(store, 10)
    store.close()
    policy = HoldAtEndOfData()
    server = faulty_server(policy)

    def kill_the_server_while_a_message_is_in_hand() -> None:
        policy.wait_in_hand(1)
        pg_cluster.kill()
        policy.release.set()

    helper = threading.Thread(target=kill_the_server_while_a_message_is_in_hand, daemon=True)
    helper.start()
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", "--concurrency", "1", LEADEX_DATABASE_URL=url, **smtp_env(server))
    finally:
        policy.release.set()
        helper.join(WAIT)
        pg_cluster.restart()
        server.stop()
    assert_one_clear_error(result.exit_code, result.output, "the subscriber store postgresql+psycopg://", "hint: the database server")
    assert server.total == 1


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://u@db.example.org:notaport/leadex", "is not a database URL"),
        ("postgresql://u:s3cret-pw@db.example.org:notaport/leadex", "is not a database URL"),
        ("nonsense", "is not a database URL"),
    ],
)
@pytest.mark.parametrize("backend", ["sqlite"])  # the URL given replaces the test's store
def test_bad_database_url_is_a_clear_error(cli, url, words) -> None:
    result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_DATABASE_URL=url)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and words in result.output and "hint: " in result.output
    assert "s3cret-pw" not in result.output  # a password in the URL is never echoed


def test_a_good_url_still_works(cli, store, people) -> None:
    people(2)
    result = cli("send", ISSUE, "--list", "newsletter", "--yes")
    assert result.exit_code == 0, result.output
    assert campaigns.find_campaign(store, ISSUE).status == "done"
