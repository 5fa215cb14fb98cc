"""Subscriber store benchmark: 100 000-row CSV import, and listing/filtering.

    python bench/store_bench.py [--rows 100000] [--runs 3]

What is measured, all in this run on this machine (so the ratios hold even
when the machine is busy; absolute seconds do not):

* import: ``import_csv`` of a generated CSV (names with č/š/ž, attributes,
  one list) into an empty SQLite store, in a fresh subprocess: wall time,
  CPU time and peak RSS (``resource.getrusage``). Twice: the file in UTF-8,
  and the same rows as Excel's Windows-1250 "CSV", whose code page is
  detected (``store/encoding.py``): the second must cost about the same.
* baseline: a plain ``csv.reader`` pass over the same file in a subprocess
  of its own (time and peak RSS of Python with the same imports loaded).
* listing: ``eligible_subscribers(list, language)`` and
  ``list_subscribers(list=..., language=...)`` over the imported store,
  against a raw ``sqlite3`` SELECT of the same rows.

Targets (issue 3): import <= 10 s and <= 300 MB; listing <= 0.5 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CHILD_IMPORT = textwrap.dedent(
    """
    import json, resource, sys, time
    from leadex_mail.config import Settings
    from leadex_mail.store.db import open_store
    from leadex_mail.store import importer, lists
    store = open_store(Settings(database_url=sys.argv[1]))
    lists.create_list(store, "news")
    wall, cpu = time.perf_counter(), time.process_time()
    report = importer.import_csv(store, sys.argv[2], list_name="news")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_mb": rss, "imported": report.imported, "rejected": len(report.rejected), "encoding": report.encoding}))
    """
)

CHILD_BASELINE = textwrap.dedent(
    """
    import csv, json, resource, sys, time
    from leadex_mail.store import importer  # same libraries loaded, for a fair RSS baseline
    wall, cpu = time.perf_counter(), time.process_time()
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        rows = sum(1 for _ in csv.reader(f))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_mb": rss, "rows": rows}))
    """
)


def make_csv(path: Path, rows: int) -> None:
    """A realistic export: Slovenian names, two languages, organisation and country."""
    rnd = random.Random(2026)
    first = ["Ana", "Žiga", "Špela", "Matej", "Nina", "Črt", "Maja", "Luka", "Tjaša", "Jure"]
    last = ["Novak", "Horvat", "Kovačič", "Krajnc", "Zupančič", "Potočnik", "Kos", "Golob", "Šubic", "Žagar"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["E-pošta", "Ime in priimek", "Jezik", "Organizacija", "Država"])
        for i in range(rows):
            w.writerow([
                f"user{i}@org{i % 700}.example.org", f"{rnd.choice(first)} {rnd.choice(last)}", rnd.choice(["sl", "sl", "en"]),
                f"Občina {i % 300}", rnd.choice(["Slovenija", "Estonia", "Spain", "Finland"]),
            ])


def child(script: str, *args: str) -> dict:
    """Run a measuring child process; return what it printed."""
    out = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_listing(db_url: str, db_path: Path, runs: int) -> None:
    """eligible_subscribers / list_subscribers vs a raw sqlite3 SELECT of the same rows."""
    import sqlite3
    import time

    from leadex_mail.config import Settings
    from leadex_mail.store import queries
    from leadex_mail.store.db import open_store

    store = open_store(Settings(database_url=db_url))

    def timed(fn) -> tuple[float, int]:
        times, n = [], 0
        for _ in range(runs):
            t = time.perf_counter()
            n = len(fn())
            times.append(time.perf_counter() - t)
        return statistics.median(times), n

    raw_sql = (
        "SELECT s.id, s.email, s.name, s.language FROM subscriber s JOIN subscription p ON p.subscriber_id = s.id "
        "WHERE p.list_id = 1 AND p.status = 'active' AND s.status = 'active' AND s.language = 'sl' ORDER BY s.id"
    )
    with sqlite3.connect(db_path) as raw:
        base, n_base = timed(lambda: raw.execute(raw_sql).fetchall())
    eligible, n_el = timed(lambda: queries.eligible_subscribers(store, "news", "sl"))
    listing, n_li = timed(lambda: queries.list_subscribers(store, list_name="news", language="sl"))
    everyone, n_all = timed(lambda: queries.eligible_subscribers(store, "news"))
    print(f"raw sqlite3 SELECT (baseline)    {base:7.3f} s  {n_base} rows")
    print(f"eligible_subscribers(news, sl)   {eligible:7.3f} s  {n_el} rows  ratio {eligible / base:5.1f}x  target <= 0.5 s: {'ok' if eligible <= 0.5 else 'OVER'}")
    print(f"eligible_subscribers(news)       {everyone:7.3f} s  {n_all} rows")
    print(f"list_subscribers(news, sl)       {listing:7.3f} s  {n_li} rows  ratio {listing / base:5.1f}x  target <= 0.5 s: {'ok' if listing <= 0.5 else 'OVER'}")
    store.close()


def best_import(tmp: str, db_path: Path, csv_path: Path, runs: int) -> tuple[dict, str]:
    """The fastest of ``runs`` imports of ``csv_path`` into a new store, and every run's wall time."""
    imports = []
    for _ in range(runs):
        for p in Path(tmp).glob("subscribers.db*"):
            p.unlink()
        imports.append(child(CHILD_IMPORT, f"sqlite:///{db_path}", str(csv_path)))
    return min(imports, key=lambda r: r["wall"]), ", ".join(f"{r['wall']:.2f}" for r in imports)


def main() -> None:
    """Generate, import, list; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, db_path = Path(tmp) / "people.csv", Path(tmp) / "subscribers.db"
        make_csv(csv_path, args.rows)
        cp_path = Path(tmp) / "people-1250.csv"
        cp_path.write_bytes(csv_path.read_text(encoding="utf-8").encode("cp1250"))
        print(f"{args.rows} rows, {csv_path.stat().st_size / 1e6:.1f} MB CSV")
        base = min((child(CHILD_BASELINE, str(csv_path)) for _ in range(args.runs)), key=lambda r: r["wall"])
        cp, cp_walls = best_import(tmp, db_path, cp_path, args.runs)
        imp, walls = best_import(tmp, db_path, csv_path, args.runs)  # last: the listing below uses this store
        assert imp["imported"] == args.rows and cp["imported"] == args.rows and cp["encoding"] == "cp1250", (imp, cp)
        print(f"csv.reader pass (baseline)  wall {base['wall']:6.2f} s  cpu {base['cpu']:6.2f} s  peak RSS {base['rss_mb']:6.1f} MB")
        print(
            f"import_csv into empty store wall {imp['wall']:6.2f} s  cpu {imp['cpu']:6.2f} s  peak RSS {imp['rss_mb']:6.1f} MB"
            f"  (best of {args.runs}; walls {walls})"
        )
        print(
            f"same rows as Windows-1250   wall {cp['wall']:6.2f} s  cpu {cp['cpu']:6.2f} s  peak RSS {cp['rss_mb']:6.1f} MB"
            f"  (best of {args.runs}; walls {cp_walls}; code page detected)"
        )
        print(f"ratio import/baseline       wall {imp['wall'] / base['wall']:6.1f}x  cpu {imp['cpu'] / base['cpu']:6.1f}x")
        print(f"ratio Windows-1250/UTF-8    wall {cp['wall'] / imp['wall']:6.2f}x  cpu {cp['cpu'] / imp['cpu']:6.2f}x")
        worst = max(imp["wall"], cp["wall"]), max(imp["rss_mb"], cp["rss_mb"])
        print(f"targets: import <= 10 s: {'ok' if worst[0] <= 10 else 'OVER'}; peak RSS <= 300 MB: {'ok' if worst[1] <= 300 else 'OVER'}")
        bench_listing(f"sqlite:///{db_path}", db_path, args.runs)


if __name__ == "__main__":
    main()
