"""A 300 000-row CSV import dry run: reads only (now) vs the whole import written and rolled back (before, a15 A1).

    python bench/import_dry_run_bench.py [--n 300000]

Both runs plan the same file against the same real SQLite store (one list, 1 000 subscribers already in it) with the
one planner (``importer._plans``); the baseline then writes every slice in a write transaction and rolls it back, as
the dry run did before. For each the script prints the wall time, how long a second writer (another process adding a
subscriber, started when the first slice is decided) took, and the WAL's size afterwards. The ratio is taken in the
same run, so it holds whatever the machine's load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.store import importer, lists, subscribers
from leadex_mail.store.db import open_store

WRITER = """
import sys, time
from leadex_mail.config import Settings
from leadex_mail.store import subscribers
from leadex_mail.store.db import open_store
store = open_store(Settings(database_url=sys.argv[1]), migrate=False)
t = time.perf_counter()
try:
    subscribers.add_subscriber(store, sys.argv[2], lists=["news"])
    print(f"ok {time.perf_counter() - t:.2f}")
except Exception as exc:
    print(f"failed after {time.perf_counter() - t:.2f} s: {type(exc).__name__}")
"""


def _rolled_back_dry_run(store, path, list_name):  # type: ignore[no-untyped-def]
    """The dry run as it was: the planner's slices written in a write transaction that is then rolled back."""

    class _Back(Exception):
        pass

    try:
        with store.begin() as conn:
            from leadex_mail.store.csvread import read_table
            from leadex_mail.store.importreport import ImportReport as Report
            from leadex_mail.store.importrows import parse_rows
            from leadex_mail.store.suppression import suppression_key
            from leadex_mail.store.validation import AddressNormaliser

            table = read_table(Path(path).read_bytes(), None, source=Path(path).name)
            report = Report(Path(path).name, table.encoding, table.delimiter, headers=table.headers, fields=table.fields, dry_run=True)
            rows = parse_rows(table, report, AddressNormaliser())
            found = importer._Lists(conn, list_name, rows.values())
            hook = _Hook(store.engine.url.render_as_string(hide_password=False), "before@example.org")
            for plan in importer._plans(conn, rows, report, key=suppression_key(store), lists=found, fallback="sl", progress=hook):
                importer._write(conn, plan.new, plan.changes, plan.join, list_id=found.target, now=plan.now, source=Path(path).name)
            raise _Back
    except _Back:
        return report, hook


class _Hook:
    """A progress callback that starts the second writer once, at the first slice, and keeps it."""

    def __init__(self, url: str, email: str) -> None:
        self.url, self.email, self.proc = url, email, None

    def __call__(self, done: int, total: int) -> None:
        if self.proc is None:
            self.proc = subprocess.Popen([sys.executable, "-c", WRITER, self.url, self.email], stdout=subprocess.PIPE, text=True)

    def said(self) -> str:
        return self.proc.communicate()[0].strip() if self.proc else "not started"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "subscribers.db"
        url = f"sqlite:///{db}"
        store = open_store(Settings(database_url=url))
        lists.create_list(store, "news")
        for i in range(1000):
            subscribers.add_subscriber(store, f"h{i}@example.org", lists=["news"])
        store.checkpoint()
        path = Path(tmp) / "huge.csv"
        path.write_text("email,name,language\n" + "".join(f"h{i}@example.org,Name {i},sl\n" for i in range(args.n)), encoding="utf-8")
        wal = db.with_name(db.name + "-wal")

        start = time.perf_counter()
        old, hook = _rolled_back_dry_run(store, path, "news")
        before = time.perf_counter() - start
        before_wal = wal.stat().st_size if wal.exists() else 0
        before_writer = hook.said()
        store.checkpoint()

        hook = _Hook(url, "after@example.org")
        start = time.perf_counter()
        new = importer.import_csv(store, path, list_name="news", dry_run=True, progress=hook)
        after = time.perf_counter() - start
        after_wal = wal.stat().st_size if wal.exists() else 0
        after_writer = hook.said()
        assert (old.imported, old.updated, old.unchanged) == (new.imported, new.updated, new.unchanged)
        store.close()
    print(f"{args.n} rows, 1000 already subscribed; would import {new.imported}, update {new.updated}, unchanged {new.unchanged}")
    print(f"before (write + roll back): {before:6.1f} s   second writer: {before_writer}   WAL {before_wal / 1e6:.1f} MB")
    print(f"now    (read only):         {after:6.1f} s   second writer: {after_writer}   WAL {after_wal / 1e6:.1f} MB")
    print(f"ratio now/before: {after / before:.2f}")


if __name__ == "__main__":
    main()
