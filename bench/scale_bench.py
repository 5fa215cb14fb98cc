"""Scale-out benchmark: several ``leadex-mail send`` processes on one campaign (issue 11, not a test).

Everything runs on this machine, on loopback, in one run:

- the fast sink of ``bench/sinks.py`` in its own process, which counts every
  recipient it accepted, per client EHLO name (each sender process gets its
  own ``smtp_helo_name``, so the share each process sent is counted at the sink);
- a throwaway PostgreSQL server (the test suite's ``tests/pgcluster.py``:
  initdb into a temp folder, a free port on 127.0.0.1), turned back to
  ``fsync = on`` as a real server runs (the tests turn it off);
- 20 000 subscribers of issue No. 1 (``campaign_helpers.add_people``), one
  fresh copy of that database per run (``CREATE DATABASE … TEMPLATE``).

Runs, each the same command ``leadex-mail send ISSUE --list newsletter --yes
--no-deep --concurrency C`` started N times at once on a new campaign:

1. the ceiling: the raw smtplib loop of ``bench/send_bench.py`` (pre-built
   messages) in N processes with C connections each, the same total
   connections as the row it is compared with;
2. PostgreSQL with N = 1, 2, 4 processes, and SQLite with 1;
3. kill -9 of one of two senders mid-run, and separately kill -9 of the
   PostgreSQL server mid-run (restarted, then the same command run again to
   resume): lost, duplicates, in flight at the kill, duplicates marked uncertain;
4. the shared rate: N = 2 and 4 processes at ``--rate 600/min`` together,
   counted at the sink over a whole minute after a warm-up.

Rates are measured at the sink, the same way for the ceiling and the senders:
messages accepted between its first and its last accepted message. Each figure
is printed with the 1-minute load average at its end: the machine has 2 cores,
shared with the sink, PostgreSQL and whoever else works on it.

    python bench/scale_bench.py [--recipients 20000] [--concurrency 2] [--quick]

``--quick`` shrinks everything (2 000 recipients, a 15 s rate window) for a smoke run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _folder in ("bench", "tests", "tests/campaign"):  # send_bench and sinks; pgcluster; campaign_helpers
    sys.path.insert(0, str(REPO / _folder))

from campaign_helpers import ISSUE, add_people, make_settings, smtp_env  # noqa: E402
from pgcluster import PgCluster  # noqa: E402
from send_bench import baseline, prebuilt_messages, start_sink  # noqa: E402

LIST = "newsletter"


# --- the sink ---------------------------------------------------------------------


@dataclass
class SinkStat:
    """What the sink accepted since its last reset (its XSTAT reply)."""

    total: int
    distinct: int
    first: float  # epoch seconds of the first accepted message
    last: float
    by_helo: dict[str, int] = field(default_factory=dict)
    dups: dict[str, int] = field(default_factory=dict)  # recipient -> times accepted (> 1)
    cpu_ms: float = 0.0  # CPU of the client processes per accepted message (start-up included), set by the caller
    server_ms: float = 0.0  # PostgreSQL's CPU per accepted message

    @property
    def rate(self) -> float:
        """Messages per second between the first and the last accepted message."""
        return (self.total - 1) / (self.last - self.first) if self.total > 1 and self.last > self.first else 0.0


def sink_cmd(port: int, verb: str) -> str:
    """Send one of the sink's own commands; its reply text."""
    with smtplib.SMTP("127.0.0.1", port) as conn:
        code, text = conn.docmd(verb)
    if code != 250:
        raise RuntimeError(f"sink answered {code} {text!r} to {verb}")
    return text.decode()


def sink_stat(port: int) -> SinkStat:
    """The sink's counts (see ``bench/sinks.py``, XSTAT)."""
    head, *rest = sink_cmd(port, "XSTAT").splitlines()
    total, distinct, first, last = head.split()
    stat = SinkStat(int(total), int(distinct), float(first), float(last))
    for line in rest:
        kind, name, n = line.split()
        (stat.by_helo if kind == "helo" else stat.dups)[name] = int(n)
    return stat


# --- the ceiling: raw smtplib in N processes ---------------------------------------


def ceiling_worker(port: int, count: int, connections: int) -> None:
    """One process of the ceiling: build messages, say ready, wait for "go" on stdin, send ``count``."""
    settings = make_settings(Path(tempfile.gettempdir()), images_url="https://images.example.org")
    from leadex_mail.content.loader import load_issue

    messages = prebuilt_messages(settings, load_issue(ISSUE, settings))
    print("ready", flush=True)
    sys.stdin.readline()
    baseline(port, messages, count, connections)


def ceiling(port: int, total: int, procs: int, connections: int) -> SinkStat:
    """The raw smtplib loop, ``procs`` processes x ``connections`` connections, ``total`` messages in all."""
    sink_cmd(port, "XRESET")
    cmd = [sys.executable, __file__, "--ceiling-worker", str(port), str(total // procs), str(connections)]
    workers = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(procs)]
    for w in workers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    for w in workers:  # all start together, as the senders do
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    cpu = _children_cpu()
    for w in workers:
        if w.wait() != 0:
            raise RuntimeError("a ceiling process failed")
    stat = sink_stat(port)
    stat.cpu_ms = (_children_cpu() - cpu) * 1000 / max(1, stat.total)
    return stat


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's children that ended so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- stores -------------------------------------------------------------------------


class Stores:
    """Where the runs' databases come from: one populated PostgreSQL template and one SQLite file."""

    def __init__(self, tmp: Path, recipients: int) -> None:
        from leadex_mail.store.db import open_store

        self.tmp = tmp
        self.cluster = PgCluster.start()
        # A real server makes commits durable: the tests' cluster does not (fsync = off).
        self.admin("ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on", "SELECT pg_reload_conf()")
        people_url = self.cluster.new_database(migrated=True)
        self.template = people_url.rsplit("/", 1)[1]
        for url in (people_url, f"sqlite:///{tmp / 'people.db'}"):
            store = open_store(make_settings(tmp, database_url=url))
            add_people(store, recipients)
            store.close()
        self.admin(f"ALTER DATABASE {self.template} WITH ALLOW_CONNECTIONS false")  # a template nobody uses
        self.runs = 0

    def admin(self, *statements: str, database: str = "postgres") -> list[tuple]:
        """Run statements on the cluster as its superuser (autocommit); the last one's rows."""
        import psycopg

        rows: list[tuple] = []
        with psycopg.connect(f"host=127.0.0.1 port={self.cluster.port} user=postgres dbname={database}", autocommit=True) as conn:
            for sql in statements:
                cur = conn.execute(sql)  # type: ignore[arg-type]
                rows = cur.fetchall() if cur.description else []
        return rows

    def fresh(self, kind: str) -> str:
        """A new database holding only the people (no campaign yet); its URL."""
        self.runs += 1
        if kind == "sqlite":
            path = self.tmp / f"run{self.runs}.db"
            shutil.copyfile(self.tmp / "people.db", path)
            return f"sqlite:///{path}"
        name = f"run{self.runs}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return self.cluster.url(name)

    def query(self, url: str, sql: str) -> list[tuple]:
        """Rows of one read on the database of ``url``."""
        if url.startswith("sqlite:///"):
            import sqlite3

            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql).fetchall()
        return self.admin(sql, database=url.rsplit("/", 1)[1])

    def server_cpu(self) -> float:
        """CPU seconds PostgreSQL's processes used so far (the postmaster, its live children, and those that ended)."""
        main = int((self.cluster.datadir / "postmaster.pid").read_text().split()[0])
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            if pid == main:  # its own CPU and its children's that ended (backends of closed connections)
                total += sum(int(f) for f in fields[11:15])
            elif int(fields[1]) == main:
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        """Stop the server and delete its folder."""
        self.cluster.stop()


# --- the senders --------------------------------------------------------------------


def _leadex() -> list[str]:
    script = Path(sys.executable).parent / "leadex-mail"
    return [str(script)] if script.exists() else [sys.executable, "-m", "leadex_mail"]


class Senders:
    """``procs`` copies of the same ``leadex-mail send`` command, started together."""

    def __init__(self, url: str, port: int, folder: Path, procs: int, concurrency: int, extra: tuple[str, ...] = ()) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ, **smtp_env(_Server(port)),
            "LEADEX_DATABASE_URL": url, "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
            "LEADEX_IMAGES_URL": "https://images.example.org", "LEADEX_OUTBOX_DIR": str(folder / "outbox"),
        }
        cmd = [*_leadex(), "send", ISSUE, "--list", LIST, "--yes", "--no-deep", "--concurrency", str(concurrency), *extra]
        self.folder, self.procs = folder, []
        for k in range(procs):
            out = open(folder / f"sender{k + 1}.log", "w")  # noqa: SIM115 (closed in wait)
            # Its own EHLO name: the sink counts what each process sent.
            penv = {**env, "LEADEX_SMTP_HELO_NAME": f"sender{k + 1}.bench.example.org"}
            self.procs.append((subprocess.Popen(cmd, cwd=folder, env=penv, stdout=out, stderr=subprocess.STDOUT), out))

    def wait(self) -> list[int]:
        """Wait for every process; their exit codes."""
        codes = []
        for proc, out in self.procs:
            codes.append(proc.wait())
            out.close()
        return codes

    def tail(self, k: int) -> str:
        """The last lines process ``k`` (0-based) printed."""
        return "\n".join((self.folder / f"sender{k + 1}.log").read_text().splitlines()[-4:])


@dataclass(frozen=True)
class _Server:
    port: int
    host: str = "127.0.0.1"


def wait_for_sink(port: int, at_least: int, procs: list[subprocess.Popen]) -> None:
    """Poll the sink until it accepted ``at_least`` messages (or every sender ended)."""
    while sink_stat(port).total < at_least and any(p.poll() is None for p in procs):
        time.sleep(0.05)


def shares(stat: SinkStat, procs: int) -> str:
    """Each sender process's share of the messages the sink accepted ("50% 50%"; 0% for one that sent nothing)."""
    sent = [stat.by_helo.get(f"sender{k + 1}.bench.example.org", 0) for k in range(procs)]
    return " ".join(f"{100 * n / max(1, stat.total):.0f}%" for n in sent)


# --- rows of the table ----------------------------------------------------------------


@dataclass
class Row:
    """One measured figure."""

    label: str
    procs: int
    stat: SinkStat
    load: float
    codes: list[int] = field(default_factory=list)

    def shares(self) -> str:
        """Each sender process's share of the messages, as counted at the sink."""
        return shares(self.stat, self.procs)


def send_run(stores: Stores, port: int, tmp: Path, kind: str, procs: int, concurrency: int, recipients: int) -> Row:
    """N senders on a new campaign to the end; exactly once checked at the sink."""
    url = stores.fresh(kind)
    sink_cmd(port, "XRESET")
    cpu, server = _children_cpu(), stores.server_cpu()
    senders = Senders(url, port, tmp / f"{kind}-{procs}", procs, concurrency)
    codes = senders.wait()
    stat = sink_stat(port)
    stat.cpu_ms = (_children_cpu() - cpu) * 1000 / max(1, stat.total)
    if kind == "postgresql":
        stat.server_ms = (stores.server_cpu() - server) * 1000 / max(1, stat.total)
    row = Row(f"{'PostgreSQL' if kind == 'postgresql' else 'SQLite'}", procs, stat, os.getloadavg()[0], codes)
    if any(codes) or stat.total != recipients or stat.distinct != recipients:
        tails = "\n".join(senders.tail(k) for k in range(procs))
        print(f"  !! {kind} x{procs}: exit codes {codes}, sink {stat.total} messages to {stat.distinct} recipients\n{tails}")
    return row


# --- kill -9 --------------------------------------------------------------------------


@dataclass
class KillResult:
    """What a kill -9 mid-run did to exactly-once delivery."""

    what: str
    recipients: int
    stat: SinkStat
    in_flight: int  # accepted by the sink at the kill, not recorded as sent by the store
    uncertain_dups: int  # duplicated recipients whose delivery is marked uncertain
    uncertain_rows: int  # deliveries marked uncertain in all
    load: float

    @property
    def lost(self) -> int:
        """Recipients the sink never got."""
        return self.recipients - self.stat.distinct

    @property
    def duplicates(self) -> int:
        """Extra copies the sink got."""
        return self.stat.total - self.stat.distinct

    @property
    def ok(self) -> bool:
        """0 lost, duplicates <= in flight, every duplicate marked uncertain."""
        return self.lost == 0 and self.duplicates <= self.in_flight and self.uncertain_dups == len(self.stat.dups)


def _sent_rows(stores: Stores, url: str) -> int:
    return stores.query(url, "SELECT count(*) FROM delivery WHERE state = 'sent'")[0][0]


def _uncertain(stores: Stores, url: str, dups: dict[str, int]) -> tuple[int, int]:
    """(duplicated recipients whose delivery is uncertain, deliveries uncertain in all)."""
    rows = stores.query(url, "SELECT s.email FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id WHERE d.uncertain")
    marked = {email for (email,) in rows}
    return len(marked & set(dups)), len(marked)


def kill_sender(stores: Stores, port: int, tmp: Path, concurrency: int, recipients: int) -> KillResult:
    """Two senders; kill -9 one when 40 % went out; the other finishes; the same command again resumes."""
    url = stores.fresh("postgresql")
    sink_cmd(port, "XRESET")
    senders = Senders(url, port, tmp / "kill-sender", 2, concurrency)
    victim, survivor = senders.procs[0][0], senders.procs[1][0]
    wait_for_sink(port, int(recipients * 0.4), [victim])
    survivor.send_signal(signal.SIGSTOP)  # hold the other still while we look (it would take over meanwhile)
    victim.kill()
    victim.wait()
    time.sleep(0.5)  # the sink reads what the dead process's sockets still held
    in_flight = sink_stat(port).total - _sent_rows(stores, url)
    survivor.send_signal(signal.SIGCONT)
    senders.wait()
    Senders(url, port, tmp / "kill-sender-resume", 1, concurrency).wait()
    stat = sink_stat(port)
    marked, uncertain_rows = _uncertain(stores, url, stat.dups)
    return KillResult("kill -9 of one of 2 senders", recipients, stat, in_flight, marked, uncertain_rows, os.getloadavg()[0])


def kill_server(stores: Stores, port: int, tmp: Path, concurrency: int, recipients: int) -> KillResult:
    """Two senders; kill -9 of PostgreSQL when 40 % went out; restart it; the same command (x2) resumes."""
    url = stores.fresh("postgresql")
    sink_cmd(port, "XRESET")
    senders = Senders(url, port, tmp / "kill-server", 2, concurrency)
    wait_for_sink(port, int(recipients * 0.4), [p for p, _ in senders.procs])
    stores.cluster.kill()
    senders.wait()  # they stop with "the database went away"
    stores.cluster.restart()
    in_flight = sink_stat(port).total - _sent_rows(stores, url)  # what the recovered store does not know was sent
    Senders(url, port, tmp / "kill-server-resume", 2, concurrency).wait()
    stat = sink_stat(port)
    marked, uncertain_rows = _uncertain(stores, url, stat.dups)
    return KillResult("kill -9 of the PostgreSQL server", recipients, stat, in_flight, marked, uncertain_rows, os.getloadavg()[0])


# --- the shared rate ------------------------------------------------------------------


def shared_rate(stores: Stores, port: int, tmp: Path, procs: int, concurrency: int, warmup: float, window: float) -> tuple[float, float, str]:
    """N senders at --rate 600/min: (messages per minute at the sink over ``window`` s after ``warmup`` s, load, shares)."""
    url = stores.fresh("postgresql")
    sink_cmd(port, "XRESET")
    senders = Senders(url, port, tmp / f"rate-{procs}", procs, concurrency, ("--rate", "600/min"))
    procs_ = [p for p, _ in senders.procs]
    wait_for_sink(port, 1, procs_)
    time.sleep(warmup)
    start, started = sink_stat(port).total, time.monotonic()
    time.sleep(window)
    end, ended = sink_stat(port), time.monotonic()
    for p in procs_:
        p.send_signal(signal.SIGTERM)  # a clean stop: the rest waits in the queue
    senders.wait()
    per_minute = (end.total - start) * 60 / (ended - started)
    return per_minute, os.getloadavg()[0], shares(end, procs)


# --- main -----------------------------------------------------------------------------


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description="scale-out benchmark (issue 11)")
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=2, help="connections per sender process")
    parser.add_argument("--procs", default="1,2,4", help="PostgreSQL sender process counts")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 000 recipients, a 15 s rate window")
    parser.add_argument("--no-kill", action="store_true", help="leave out the kill -9 runs")
    parser.add_argument("--no-rate", action="store_true", help="leave out the shared-rate runs")
    parser.add_argument("--ceiling-worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_worker:
        ceiling_worker(*args.ceiling_worker)
        return
    n = 2_000 if args.quick else args.recipients
    warmup, window = (3.0, 15.0) if args.quick else (15.0, 60.0)
    counts = [int(p) for p in args.procs.split(",")]
    c = args.concurrency
    sink, port = start_sink()
    tmp = Path(tempfile.mkdtemp(prefix="leadex-scale-"))
    stores = None
    try:
        print(f"scale benchmark: {n} recipients, issue No. 1, {c} connections per process, fast sink and PostgreSQL (fsync on) on loopback")
        print(f"  load average before: {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
        stores = Stores(tmp, n)
        ceilings = {}
        for procs in sorted({1, *counts}):
            stat = ceiling(port, n, procs, c)
            ceilings[procs] = (stat, os.getloadavg()[0])
        rows = [send_run(stores, port, tmp, "postgresql", procs, c, n) for procs in counts]
        rows.append(send_run(stores, port, tmp, "sqlite", 1, c, n))
        one = next((r.stat.rate for r in rows if r.label == "PostgreSQL" and r.procs == 1), None)
        print()
        print(f"  {'run':<32} {'msg/s':>7} {'x 1 proc':>8} {'x ceiling':>9} {'CPU ms/msg':>10} {'PG ms/msg':>9} {'exactly once':>12}  {'load':>5}  share per process")
        for procs, (stat, load) in sorted(ceilings.items()):
            print(f"  {f'ceiling: raw smtplib, {procs} x {c} conn':<32} {stat.rate:7.0f} {'':>8} {1:9.2f} {stat.cpu_ms:10.2f} {'':>9} {'':>12}  {load:5.2f}")
        for r in rows:
            ceil = ceilings[r.procs][0].rate
            once = "yes" if r.stat.total == n == r.stat.distinct and not any(r.codes) else f"NO ({r.stat.total}/{r.stat.distinct})"
            vs_one = f"{r.stat.rate / one:8.2f}" if one and r.label == "PostgreSQL" else f"{'':>8}"
            print(f"  {f'{r.label}, {r.procs} process' + ('es' if r.procs > 1 else ''):<32} {r.stat.rate:7.0f} {vs_one} {r.stat.rate / ceil:9.2f} {r.stat.cpu_ms:10.2f} {r.stat.server_ms or float('nan'):9.2f} {once:>12}  {r.load:5.2f}  {r.shares()}")
        print("  targets: PostgreSQL 1 process >= 0.8 x ceiling; N processes >= 0.8*N x 1 process or >= 0.8 x ceiling")
        print("  CPU ms/msg: the sender (or ceiling) processes' own CPU per message, start-up included; PG ms/msg: PostgreSQL's")
        if not args.no_kill:
            print()
            for result in (kill_sender(stores, port, tmp, c, n), kill_server(stores, port, tmp, c, n)):
                s = result
                print(f"  {s.what:<34} lost {s.lost}, duplicates {s.duplicates}, in flight at the kill {s.in_flight},"
                      f" duplicates marked uncertain {s.uncertain_dups}/{len(s.stat.dups)} ({s.uncertain_rows} uncertain in all)"
                      f"  load {s.load:.2f}  {'ok' if s.ok else 'FAILED'}")
        if not args.no_rate:
            print()
            for procs in (2, 4):
                per_minute, load, share = shared_rate(stores, port, tmp, procs, c, warmup, window)
                verdict = "ok" if abs(per_minute - 600) <= 12 else "OUTSIDE 600 +- 2 %"
                print(f"  --rate 600/min, {procs} processes: {per_minute:6.1f} msg/min together over {window:.0f} s"
                      f" (after {warmup:.0f} s)  load {load:.2f}  shares {share}  {verdict}")
    finally:
        if stores is not None:
            stores.close()
        sink.terminate()
        sink.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
