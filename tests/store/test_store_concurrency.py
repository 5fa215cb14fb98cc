"""Two processes on one store: an import running while another process reads and writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sqlalchemy import text

from leadex_mail.store import lists, subscribers

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
