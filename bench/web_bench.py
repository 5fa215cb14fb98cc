"""Load test of the RFC 8058 one-click endpoint, against a baseline on the same server.

    python bench/web_bench.py [--seconds 5] [--clients 4] [--subscribers 500]

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

Prints requests/s and latency percentiles of each, and the ratio one-click /
baseline. Targets: >= 500 req/s, p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-0123456789abcdef"
MAX_REQUESTS_PER_CLIENT = 200_000


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LEADEX_DATABASE_URL": f"sqlite:///{folder / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_SECRET_KEY": SECRET,
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
            paths.append(urlsplit(links.unsubscribe_url(settings, int(sub.id or 0), 1)).path)
    return paths


def start_server(folder: Path) -> tuple[subprocess.Popen[str], str, int]:
    """``leadex-mail serve --port 0`` in a subprocess; returns it with its host and port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadex_mail", "serve", "--port", "0"],
        env=_env(folder),
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"http://([\d.]+):(\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    host, port = match.group(1), int(match.group(2))
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, host, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not answer /healthz")


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
) -> dict[str, float]:
    """Load with ``clients`` processes for ``seconds`` (or ``limit`` requests each); req/s and latency (ms)."""
    shares = [paths[i::clients] for i in range(clients)] if paths else [[] for _ in range(clients)]
    started = time.perf_counter()
    results = pool.map(client, [(host, port, kind, share, seconds, limit) for share in shares])
    wall = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r)
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "rps": len(latencies) / wall, "p50": q[49] * 1000, "p99": q[98] * 1000, "max": latencies[-1] * 1000}


def main() -> None:
    """Run both loads and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--subscribers", type=int, default=2000)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = prepare(folder, opts.subscribers)
        proc, host, port = start_server(folder)
        try:
            with multiprocessing.get_context("spawn").Pool(opts.clients) as pool:
                run(pool, host, port, "healthz", [], opts.clients, 0.5)  # warm up connections and imports
                base = run(pool, host, port, "healthz", [], opts.clients, opts.seconds)
                first = run(pool, host, port, "one-click", paths, opts.clients, 600.0, limit=len(paths) // opts.clients)
                repeat = run(pool, host, port, "one-click", paths, opts.clients, opts.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"{opts.clients} client processes, keep-alive, {opts.seconds:.0f} s each, {opts.subscribers} subscribers, {os.cpu_count()} cores")
    print(f"{'endpoint':<28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = (("GET /healthz (baseline)", base), ("one-click, first time", first), ("one-click, repeated", repeat))
    for name, r in rows:
        print(f"{name:<28}{r['requests']:>9.0f}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['max']:>9.1f}")
    for name, r in rows[1:]:
        verdict = "met" if r["rps"] >= 500 and r["p99"] <= 50 else "NOT met"
        print(f"{name}: {r['rps'] / base['rps']:.2f} x baseline; target (>= 500 req/s, p99 <= 50 ms) {verdict}")


if __name__ == "__main__":
    main()
