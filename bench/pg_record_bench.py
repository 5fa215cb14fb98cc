"""Where PostgreSQL's CPU per message goes: the delivery records alone, no SMTP (issue 11, not a test).

The scale benchmark (``bench/scale_bench.py``) is CPU-bound on this 2-core
machine, and PostgreSQL's share is ~0.5 ms per message. This runs exactly
the statements the campaign engine's workers run on PostgreSQL, in the same
order, with nothing else: per worker a ``Deliveries`` (``open_deliveries``),
claims of 50 (``claim``), and per message ``start`` then ``sent(defer=True)``
(the previous "sent" and this "start" as one statement), a ``close`` at the
end. ``--procs`` processes x ``--concurrency`` worker threads, one campaign
of ``--recipients`` deliveries, on a throwaway server set up as the scale
benchmark's (``fsync = on``, ``full_page_writes = on``) with
``pg_stat_statements`` loaded.

Prints, per message: PostgreSQL's CPU split by process kind (the backends
serving the workers, autovacuum, the WAL writer, the checkpointer, the
rest), the senders' CPU, WAL records / full-page images / bytes, heap
updates and how many of them were HOT, and the statements by server time
(``pg_stat_statements``). ``--sql`` runs statements on the database before
the campaign is queued (a schema variant to compare: a fillfactor, an index
dropped), ``--server`` a server setting (``name=value``, reloaded).

    python bench/pg_record_bench.py [--recipients 20000] [--procs 1] [--concurrency 2] [--sql SQL]... [--server NAME=VALUE]...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _folder in ("tests", "tests/campaign"):
    sys.path.insert(0, str(REPO / _folder))

from campaign_helpers import ISSUE, add_people, make_settings  # noqa: E402
from pgcluster import PgCluster  # noqa: E402

LIST = "newsletter"
LEASE = timedelta(seconds=60)


def worker_process(url: str, campaign_id: int, threads: int) -> None:
    """One sender process: ``threads`` workers claiming and recording until the queue is empty; prints its CPU seconds."""
    from leadex_mail.store import deliveries
    from leadex_mail.store.db import open_store

    store = open_store(make_settings(Path(tempfile.gettempdir()), database_url=url))
    prefix = deliveries.owner_prefix(store)
    recorders = [deliveries.open_deliveries(store) for _ in range(threads)]  # connected before "ready" (--perf finds them)
    print("ready", flush=True)
    sys.stdin.readline()

    def work(i: int) -> None:
        owner = f"{prefix}/{i}"
        with recorders[i] as rec:
            while True:
                now = datetime.now(timezone.utc)
                held = rec.claim(campaign_id, owner, 50, now, LEASE)
                if not held:
                    return
                for c in held:
                    now = datetime.now(timezone.utc)
                    if rec.start(c.delivery_id, owner, now, LEASE):
                        rec.sent(c.delivery_id, reply="250 2.0.0 Ok: queued as 4ZxYz", message_id=f"<{c.delivery_id}.x@example.org>", now=now, defer=True)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    store.close()
    u = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cpu": u.ru_utime + u.ru_stime}), flush=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu(cluster: PgCluster) -> dict[str, float]:
    """CPU seconds of the server's processes by kind (ps title), ended backends counted under the postmaster."""
    main = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        pid = int(stat.parent.name)
        if pid == main:
            out["backends ended + postmaster"] = out.get("backends ended + postmaster", 0) + sum(int(f) for f in fields[11:15]) / tick
        elif int(fields[1]) == main:
            kind = title.removeprefix("postgres: ").split(" ")[0] if title.startswith("postgres: ") else "other"
            kind = {"autovacuum": "autovacuum", "walwriter": "walwriter", "checkpointer": "checkpointer", "background": "bgwriter"}.get(kind, "backend" if "127.0.0.1" in title else kind)
            out[kind] = out.get(kind, 0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def backends(cluster: PgCluster) -> list[int]:
    """Process ids of the server's backends serving TCP clients."""
    main = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            title = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if parent == main and "127.0.0.1" in title:
            found.append(int(stat.parent.name))
    return found


def admin(cluster: PgCluster, *statements: str, database: str = "postgres") -> list[tuple]:
    """Run statements as the superuser (autocommit); the last one's rows."""
    import psycopg

    rows: list[tuple] = []
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname={database}", autocommit=True) as conn:
        for sql in statements:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description else []
    return rows


def prepare(cluster: PgCluster, recipients: int, tmp: Path) -> str:
    """A database template with ``recipients`` people on the list; its name."""
    from leadex_mail.store.db import open_store

    url = cluster.new_database(migrated=True)
    store = open_store(make_settings(tmp, database_url=url))
    add_people(store, recipients)
    store.close()
    name = url.rsplit("/", 1)[1]
    admin(cluster, f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
    return name


def queue(url: str, tmp: Path) -> int:
    """Open the campaign and queue everyone; its id."""
    from leadex_mail.store import campaigns
    from leadex_mail.store.db import open_store

    store = open_store(make_settings(tmp, database_url=url))
    c = campaigns.open_campaign(store, ISSUE, LIST, {"sl": "x", "en": "y"}, "subject")
    campaigns.queue_eligible(store, c, ("sl", "en"), "sl")
    store.close()
    return int(c.id)  # type: ignore[arg-type]


def run(cluster: PgCluster, template: str, args: argparse.Namespace, tmp: Path, label: str) -> None:
    """One measured run on a fresh copy of ``template``."""
    name = f"r{int(time.time() * 1000) % 10**9}"
    admin(cluster, f"CREATE DATABASE {name} TEMPLATE {template}")
    url = cluster.url(name)
    for sql in args.sql:
        admin(cluster, sql, database=name)
    if args.real:  # the scale benchmark's run: `leadex-mail send` x procs to the fast sink, queueing included
        from scale_bench import Senders, sink_cmd

        admin(cluster, "SELECT pg_stat_statements_reset()", "SELECT pg_stat_reset_shared('wal')", database=name)
        sink_cmd(args.sink_port, "XRESET")
        before, t0, cpu0 = server_cpu(cluster), time.monotonic(), _children_cpu()
        codes = Senders(url, args.sink_port, tmp / name, args.procs, args.concurrency).wait()
        assert not any(codes), codes
        client, campaign_id = _children_cpu() - cpu0, 1
    else:
        campaign_id = queue(url, tmp)
        admin(cluster, "VACUUM ANALYZE", "CHECKPOINT", database=name)
        admin(cluster, "SELECT pg_stat_statements_reset()", "SELECT pg_stat_reset_shared('wal')", database=name)
        cmd = [sys.executable, __file__, "--worker", url, str(campaign_id), str(args.concurrency)]
        procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(args.procs)]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        perf = None
        pids = ",".join(str(pid) for pid in backends(cluster))  # the workers' backends: connected once all said "ready"
        if args.perf:  # where their CPU goes
            perf = subprocess.Popen(["perf", "record", "-F", "1999", "-g", "-o", args.perf, "-p", pids], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        before, t0 = server_cpu(cluster), time.monotonic()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        client = 0.0
        for p in procs:
            assert p.stdout is not None
            client += json.loads(p.stdout.readline())["cpu"]
            p.wait()
        if perf is not None:
            perf.send_signal(2)
            perf.wait()
    elapsed = time.monotonic() - t0
    after = server_cpu(cluster)
    n = admin(cluster, f"SELECT count(*) FROM delivery WHERE campaign_id = {campaign_id} AND state = 'sent'", database=name)[0][0]
    wal = admin(cluster, "SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal", database=name)[0]
    tab = admin(cluster, "SELECT n_tup_upd, n_tup_hot_upd, autovacuum_count, pg_relation_size('delivery') FROM pg_stat_user_tables WHERE relname = 'delivery'", database=name)[0]
    idx = admin(cluster, "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes WHERE relname = 'delivery' ORDER BY 1", database=name)
    stmts = admin(cluster, (
        "SELECT calls, total_exec_time, shared_blks_hit + shared_blks_read, shared_blks_dirtied, wal_records, wal_fpi, wal_bytes, left(regexp_replace(query, '\\s+', ' ', 'g'), 110)"
        " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 12"
    ), database=name)
    admin(cluster, f"DROP DATABASE {name} WITH (FORCE)")
    per = 1000 / max(1, n)
    cpu = {k: (after.get(k, 0) - before.get(k, 0)) * per for k in sorted(set(after) | set(before))}
    print(f"\n== {label}: {n} messages, {args.procs} process(es) x {args.concurrency} workers, {elapsed:.1f} s ({n / elapsed:.0f} msg/s), load {os.getloadavg()[0]:.2f}")
    print(f"  PG CPU ms/msg: {sum(cpu.values()):.3f} = " + ", ".join(f"{k} {v:.3f}" for k, v in cpu.items() if abs(v) >= 0.0005))
    print(f"  senders' CPU ms/msg: {client * per:.3f}")
    print(f"  WAL per msg: {wal[0] / n:.1f} records, {wal[1] / n:.2f} full-page images, {float(wal[2]) / n:.0f} bytes")
    print(f"  delivery: {tab[0] / n:.2f} updates/msg, {100 * tab[1] / max(1, tab[0]):.0f}% HOT, autovacuums {tab[2]}, heap {tab[3] // 1024} kB; indexes "
          + ", ".join(f"{i} {s // 1024} kB" for i, s in idx))
    print("  statements (server exec ms per msg, calls, ms/call, blocks/call, dirtied/call, WAL B/call):")
    for calls, total, blks, dirtied, _recs, _fpi, walb, q in stmts:
        print(f"    {total / n:7.3f}  {calls:6d}  {total / calls:7.3f} {blks / calls:7.1f} {dirtied / calls:6.2f} {float(walb) / calls:8.0f}  {q}")


def main() -> None:
    """Set up the server, then one run per ``--sql`` group."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--sql", action="append", default=[], help="a statement run on the database before queueing")
    parser.add_argument("--server", action="append", default=[], help="a server setting NAME=VALUE")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--perf", help="perf record the backends into this file (loop mode)")
    parser.add_argument("--real", action="store_true", help="run `leadex-mail send` to the fast sink instead (as scale_bench.py)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_process(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return
    tmp = Path(tempfile.mkdtemp(prefix="leadex-pgrec-"))
    sink = None
    if args.real:
        sys.path.insert(0, str(REPO / "bench"))
        from send_bench import start_sink

        sink, args.sink_port = start_sink()
    cluster = PgCluster.start()
    try:
        admin(cluster, "ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on",
              "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'", "ALTER SYSTEM SET track_io_timing = on")
        for setting in args.server:
            key, value = setting.split("=", 1)
            admin(cluster, f"ALTER SYSTEM SET {key} = '{value}'")
        cluster.shutdown()
        cluster.restart()
        template = prepare(cluster, args.recipients, tmp)
        admin(cluster, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database="postgres")
        admin(cluster, f"ALTER DATABASE {template} WITH ALLOW_CONNECTIONS true")
        admin(cluster, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database=template)
        admin(cluster, f"ALTER DATABASE {template} WITH ALLOW_CONNECTIONS false")
        for k in range(args.repeat):
            run(cluster, template, args, tmp, f"run {k + 1}" + (f" with {args.sql}" if args.sql else ""))
    finally:
        cluster.stop()
        if sink is not None:
            sink.terminate()
            sink.wait()


if __name__ == "__main__":
    main()
