"""Two processes on one store: an import running while another process reads and writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sqlalchemy import text

from leadex_mail.store import db, lists, subscribers

ROWS = 6000

IMPORTER = textwrap.dedent(
    """
    import sys
    from leadex_mail.config import Settings
    from leadex_mail.store.db import open_store
    from leadex_mail.store.importer import import_csv
    store = open_store(Settings(database_url=sys.argv[1]))
    print("started", flush=True)
    report = import_csv(store, sys.argv[2], list_name="news")
    print("imported", report.imported, flush=True)
    """
)


def test_reads_and_writes_during_an_import(store, settings, tmp_path):
    lists.create_list(store, "news")
    subscribers.add_subscriber(store, "first@example.org", lists=["news"])
    csv_path = tmp_path / "big.csv"
    csv_path.write_text("email,name\n" + "".join(f"user{i}@example.org,User {i}\n" for i in range(ROWS)), encoding="utf-8")

    proc = subprocess.Popen([sys.executable, "-c", IMPORTER, settings.database_url, str(csv_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    reads = writes = 0
    seen: set[int] = set()
    # Keep both kinds of work going until the importer is done: none may fail.
    while proc.poll() is None or writes < 3:
        seen.add(len(subscribers.eligible_subscribers(store, "news")))
        reads += 1
        subscribers.add_subscriber(store, f"side{writes}@example.org", lists=["news"])
        writes += 1
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert out.strip() == f"imported {ROWS}"

    # Every reader saw a consistent snapshot: before the import (plus side writes) or after it, never half.
    assert all(n < 1 + writes + 1 or n >= ROWS for n in seen)
    assert len(subscribers.eligible_subscribers(store, "news")) == 1 + ROWS + writes
    if store.is_sqlite:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


FIRST_USE = textwrap.dedent(
    """
    import os, sys, time
    from leadex_mail.config import Settings
    from leadex_mail.store.db import open_store, migration_status
    from leadex_mail.store.suppression import suppression_key
    print("ready", flush=True)
    while not os.path.exists(sys.argv[2]):  # start together, so the first uses really race
        time.sleep(0.002)
    store = open_store(Settings(database_url=sys.argv[1]))
    print(migration_status(store).current, suppression_key(store).hex())
    """
)


def test_first_use_by_several_processes_at_once(tmp_path, sqlite_only):
    # Each process finds an empty file and migrates; the write lock makes one do it, the others wait and see it done.
    url, go = f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", FIRST_USE, url, str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
    lines = {out.strip() for out, _ in results}
    assert len(lines) == 1 and lines.pop().startswith(f"{db.head_revision()} ")  # one schema, one suppression key
