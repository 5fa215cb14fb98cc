"""Load test of the RFC 8058 one-click endpoint, against a baseline on the same server.

    python bench/web_bench.py [--seconds 2] [--rounds 4] [--clients 4] [--subscribers 2000] [--access-log]

Starts ``leadex-mail serve --port 0`` (uvicorn, one process, SQLite store in a
temporary folder) in a subprocess, then loads it from a pool of client
processes, each with one keep-alive ``http.client`` connection sending
requests back to back, for a bounded time and count:

1. baseline: ``GET /healthz`` (routing, middleware, no store);
2. one-click, first time: ``POST /unsubscribe/<token>`` with
   ``List-Unsubscribe=One-Click``, each of ``--subscribers`` subscribers once
   (each a write transaction: status, subscriptions, an event);
3. one-click, repeated: the same requests again for ``--seconds`` (providers
   retry, people click twice): idempotent, nothing left to write.

Baseline and repeat rounds alternate, so both see the same load from
whatever else runs on the machine; the ratio is given per round. Prints
requests/s and latency percentiles of each phase. Targets: >= 500 req/s,
p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from serve_process import start_serve

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-0123456789abcdef"
MAX_REQUESTS_PER_CLIENT = 200_000


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LEADEX_DATABASE_URL": f"sqlite:///{folder / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_SECRET_KEY": SECRET,
        "LEADEX_PUBLIC_URL": "https://news.example.org",  # pre-flight: a public serve needs its https address
        "LEADEX_TRANSPORT": "outbox",
        "LEADEX_OUTBOX_DIR": str(folder / "outbox"),
    }


def prepare(folder: Path, count: int) -> list[str]:
    """A store with ``count`` active subscribers; return the path of each one's unsubscribe link."""
    os.environ.update(_env(folder))
    from leadex_mail import links
    from leadex_mail.config import load_settings
    from leadex_mail.store.db import open_store
    from leadex_mail.store.lists import create_list
    from leadex_mail.store.subscribers import add_subscriber

    settings = load_settings()
    paths = []
    with open_store(settings) as store:
        create_list(store, "newsletter", title="Bench")
        for n in range(count):
            sub = add_subscriber(store, f"bench{n}@example.org", lists=("newsletter",), status="active", source="cli")
            paths.append(urlsplit(links.unsubscribe_url(settings, int(sub.id or 0), 1, nonce=sub.link_nonce)).path)
    return paths


def start_server(folder: Path, access_log: bool = False) -> tuple[subprocess.Popen[str], str, int]:
    """``leadex-mail serve --port 0`` in a subprocess; returns it with its host and port."""
    return start_serve(folder, _env(folder), "--access-log" if access_log else "--no-access-log")


def client(args: tuple[str, int, str, list[str], float, int]) -> list[float]:
    """One client process: requests back to back on one connection; returns latencies (s)."""
    host, port, kind, paths, seconds, limit = args
    conn = http.client.HTTPConnection(host, port, timeout=10)
    body = b"List-Unsubscribe=One-Click"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    n = 0
    while n < limit and time.perf_counter() < deadline:
        start = time.perf_counter()
        if kind == "healthz":
            conn.request("GET", "/healthz")
        else:
            conn.request("POST", paths[n % len(paths)], body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{kind}: HTTP {response.status}")
        latencies.append(time.perf_counter() - start)
        n += 1
    conn.close()
    return latencies


def run(
    pool: multiprocessing.pool.Pool, host: str, port: int, kind: str, paths: list[str], clients: int, seconds: float, limit: int = MAX_REQUESTS_PER_CLIENT
) -> tuple[int, float, list[float]]:
    """Load with ``clients`` processes for ``seconds`` (or ``limit`` requests each): (requests, wall s, latencies)."""
    shares = [paths[i::clients] for i in range(clients)] if paths else [[] for _ in range(clients)]
    started = time.perf_counter()
    results = pool.map(client, [(host, port, kind, share, seconds, limit) for share in shares])
    wall = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    return len(latencies), wall, latencies


def summary(runs: list[tuple[int, float, list[float]]]) -> dict[str, float]:
    """Requests/s over all runs and latency percentiles (ms) of all their requests."""
    count = sum(r[0] for r in runs)
    latencies = sorted(x for r in runs for x in r[2])
    q = statistics.quantiles(latencies, n=100)
    return {"requests": count, "rps": count / sum(r[1] for r in runs), "p50": q[49] * 1000, "p99": q[98] * 1000, "max": latencies[-1] * 1000}


def measure(opts: argparse.Namespace) -> tuple[dict[str, float], dict[str, float], dict[str, float], list[float]]:
    """Start the server, run every phase; baseline and repeats alternate so both see the same machine load."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = prepare(folder, opts.subscribers)
        proc, host, port = start_server(folder, opts.access_log)
        try:
            with multiprocessing.get_context("spawn").Pool(opts.clients) as pool:
                run(pool, host, port, "healthz", [], opts.clients, 0.5)  # warm up connections and imports
                first = run(pool, host, port, "one-click", paths, opts.clients, 600.0, limit=len(paths) // opts.clients)
                base, repeat = [], []
                for _ in range(opts.rounds):
                    base.append(run(pool, host, port, "healthz", [], opts.clients, opts.seconds))
                    repeat.append(run(pool, host, port, "one-click", paths, opts.clients, opts.seconds))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    ratios = [(r[0] / r[1]) / (b[0] / b[1]) for b, r in zip(base, repeat)]
    return summary(base), summary([first]), summary(repeat), ratios


def main() -> None:
    """Run every phase and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each baseline and repeat round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--access-log", action="store_true", help="run the server with its access log on")
    opts = parser.parse_args()
    base, first, repeat, ratios = measure(opts)
    log = "on" if opts.access_log else "off"
    print(
        f"{opts.clients} client processes, keep-alive; {opts.rounds} x {opts.seconds:.0f} s rounds; "
        f"{opts.subscribers} subscribers; {os.cpu_count()} cores; access log {log}; load avg {os.getloadavg()[0]:.1f}"
    )
    print(f"{'endpoint':<28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = (("GET /healthz (baseline)", base), ("one-click, first time", first), ("one-click, repeated", repeat))
    for name, r in rows:
        print(f"{name:<28}{r['requests']:>9.0f}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['max']:>9.1f}")
    print(f"one-click repeated / baseline, per round: {', '.join(f'{x:.2f}' for x in ratios)} (median {statistics.median(ratios):.2f})")
    print(f"one-click first time / baseline: {first['rps'] / base['rps']:.2f}")
    for name, r in rows[1:]:
        verdict = "met" if r["rps"] >= 500 and r["p99"] <= 50 else "NOT met"
        print(f"{name}: target (>= 500 req/s, p99 <= 50 ms) {verdict}")


if __name__ == "__main__":
    main()
