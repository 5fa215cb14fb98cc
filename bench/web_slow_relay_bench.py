"""The web app's latency while its SMTP relay is slow, against a baseline on the same server.

    python bench/web_slow_relay_bench.py [--delay 2] [--sign-ups 80] [--parallel 8] [--seconds 20] [--rounds 10]

Starts, each in its own process:

- ``bench/sinks.py --delay 2``: a loopback SMTP relay that takes 2 s to
  accept each message (the time sits between the end of DATA and "250");
- ``leadex-mail serve --port 0`` with the SMTP transport pointed at it, over
  a SQLite store in a temporary folder whose archive holds issue No. 1;
- a sign-up client posting ``--sign-ups`` sign-ups, ``--parallel`` at a
  time, each as a browser does (GET the form for its CSRF cookie and token,
  then POST), each from its own visitor address (``X-Forwarded-For``,
  trusted from loopback), so every one queues a confirmation for the relay.

Meanwhile one keep-alive client alternates rounds of ``GET /healthz``
(baseline: routing and middleware, no store, no thread pool) and ``GET
/archive/`` (store reads on the request thread pool, a template) for
``--seconds`` in all. Prints p50/p99/max of both, the archive/baseline
ratio of p50 per round, the sign-up answers' latency, how many
confirmations the relay accepted meanwhile, and the load average.
Target: ``GET /archive/`` p99 <= 100 ms while the relay works through the
confirmations. A request unanswered after ``--timeout`` seconds counts as
that long.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from serve_process import start_serve

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-0123456789abcdef"
ISSUE = "2026-04-leadex-01"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _env(folder: Path, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "LEADEX_DATABASE_URL": f"sqlite:///{folder / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_SECRET_KEY": SECRET,
        "LEADEX_PUBLIC_URL": "https://news.example.org",  # pre-flight: a public serve needs its https address
        "LEADEX_TRANSPORT": "smtp",
        "LEADEX_SMTP_HOST": "127.0.0.1",
        "LEADEX_SMTP_PORT": str(smtp_port),
        "LEADEX_SMTP_SECURITY": "none",
        "LEADEX_OUTBOX_DIR": str(folder / "outbox"),
    }


def prepare(folder: Path) -> None:
    """A store with the list ``newsletter`` and issue No. 1 sent to it (through the outbox), so the archive shows it."""
    from leadex_mail.config import load_settings
    from leadex_mail.content.loader import load_issue
    from leadex_mail.campaign.runner import send_campaign
    from leadex_mail.store.db import open_store
    from leadex_mail.store.lists import create_list
    from leadex_mail.store.subscribers import add_subscriber

    env = {**_env(folder, 25), "LEADEX_TRANSPORT": "outbox"}
    settings = load_settings(environ=env)
    with open_store(settings) as store:
        create_list(store, "newsletter", title="LeadEx novice", public=True)  # its issues are in the archive measured
        for n in range(3):
            add_subscriber(store, f"reader{n}@example.org", lists=("newsletter",), status="active", source="cli")
        send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter")


def start_relay(delay: float) -> tuple[subprocess.Popen[str], int]:
    """``bench/sinks.py`` taking ``delay`` seconds per message, in its own process."""
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "sinks.py"), "--delay", str(delay)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    return proc, int(line.split()[1])


def relay_total(port: int) -> int:
    """Messages the relay accepted so far (the sink's XCOUNT command)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as conn:
        return int(conn.docmd("XCOUNT")[1])


def start_server(folder: Path, smtp_port: int) -> tuple[subprocess.Popen[str], str, int]:
    """``leadex-mail serve --port 0`` in a subprocess; returns it with its host and port once /healthz answers."""
    return start_serve(folder, _env(folder, smtp_port))


def sign_up(host: str, port: int, n: int, timeout: float) -> float:
    """One sign-up as a browser from its own address does it (form, then post); the POST's latency (s)."""
    visitor = {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"}
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.request("GET", "/subscribe", headers=visitor)
    page = conn.getresponse()
    cookie = (page.getheader("set-cookie") or "").split(";", 1)[0]
    token = CSRF.search(page.read().decode())
    body = f"csrf={token.group(1) if token else ''}&email=bench{n}%40example.org&name=&language=sl&lists=newsletter&consent=2026-04&website="
    headers = {**visitor, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    start = time.perf_counter()
    conn.request("POST", "/subscribe", body=body, headers=headers)
    answer = conn.getresponse()
    answer.read()
    took = time.perf_counter() - start
    conn.close()
    if answer.status != 200:
        raise RuntimeError(f"sign-up {n}: HTTP {answer.status}")
    return took


def sign_ups(args: tuple[str, int, int, int, float]) -> tuple[list[float], float]:
    """``count`` sign-ups, ``parallel`` at a time; each POST's latency and how long they all took (s)."""
    host, port, count, parallel, timeout = args
    began = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        latencies = list(pool.map(lambda n: sign_up(host, port, n, timeout), range(count)))
    return latencies, time.perf_counter() - began


def load(host: str, port: int, path: str, seconds: float, timeout: float) -> list[float]:
    """``GET path`` back to back on one keep-alive connection for ``seconds``; latencies (s), a timeout counting as ``timeout``."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
        except TimeoutError:
            latencies.append(timeout)
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            continue
        latencies.append(time.perf_counter() - start)
    conn.close()
    return latencies


def stop(proc: subprocess.Popen[str]) -> None:
    """Stop the server as Ctrl-C would; kill it if it is still busy after a minute."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stats(latencies: list[float]) -> dict[str, float]:
    """Count and p50/p99/max in milliseconds."""
    ordered = sorted(latencies)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"n": len(ordered), "p50": q[49] * 1000, "p99": q[98] * 1000, "max": ordered[-1] * 1000}


def measure(opts: argparse.Namespace) -> dict[str, object]:
    """Everything in one run: relay, server, sign-ups in a process of their own, the two endpoints in alternating rounds."""
    relay, relay_port = start_relay(opts.delay)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            prepare(folder)
            proc, host, port = start_server(folder, relay_port)
            try:
                load(host, port, "/archive/", 0.5, opts.timeout)  # warm up imports and caches
                load(host, port, "/healthz", 0.5, opts.timeout)
                with multiprocessing.get_context("spawn").Pool(1) as pool:
                    started = time.perf_counter()
                    posting = pool.apply_async(sign_ups, ((host, port, opts.sign_ups, opts.parallel, opts.timeout),))
                    base: list[list[float]] = []
                    archive: list[list[float]] = []
                    each = opts.seconds / opts.rounds / 2
                    for _ in range(opts.rounds):
                        base.append(load(host, port, "/healthz", each, opts.timeout))
                        archive.append(load(host, port, "/archive/", each, opts.timeout))
                    window = time.perf_counter() - started
                    accepted = relay_total(relay_port)
                    posted, posting_took = posting.get(timeout=opts.timeout * opts.sign_ups)
            finally:
                stop(proc)
    finally:
        relay.terminate()
        relay.wait(timeout=10)
    ratios = [statistics.median(a) / statistics.median(b) for a, b in zip(archive, base)]
    return {
        "base": stats([x for r in base for x in r]),
        "archive": stats([x for r in archive for x in r]),
        "signup": stats(posted),
        "ratios": ratios,
        "window": window,
        "posting_took": posting_took,
        "accepted": accepted,
    }


def main() -> None:
    """Run once and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the relay takes per message")
    parser.add_argument("--sign-ups", type=int, default=80)
    parser.add_argument("--parallel", type=int, default=8, help="sign-ups in flight at once (browsers)")
    parser.add_argument("--seconds", type=float, default=20.0, help="total length of the measuring rounds")
    parser.add_argument("--rounds", type=int, default=10, help="baseline/archive round pairs")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a request counts as unanswered")
    opts = parser.parse_args()
    r = measure(opts)
    print(
        f"relay {opts.delay:g} s/message; {opts.sign_ups} sign-ups, {opts.parallel} at a time; {opts.rounds} x 2 rounds in "
        f"{r['window']:.1f} s; {os.cpu_count()} cores; load avg {os.getloadavg()[0]:.2f}"
    )
    print(f"{'request':<34}{'count':>7}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, key in (("GET /healthz (baseline)", "base"), ("GET /archive/", "archive"), ("POST /subscribe", "signup")):
        s = r[key]  # type: ignore[index]
        print(f"{name:<34}{s['n']:>7.0f}{s['p50']:>10.2f}{s['p99']:>10.2f}{s['max']:>10.1f}")
    ratios = r["ratios"]  # type: ignore[assignment]
    print(f"archive / baseline p50, per round: {', '.join(f'{x:.1f}' for x in ratios)} (median {statistics.median(ratios):.1f})")
    print(f"the {opts.sign_ups} sign-ups (form + post each) took {r['posting_took']:.1f} s; the relay accepted {r['accepted']} confirmations during the rounds")
    p99 = r["archive"]["p99"]  # type: ignore[index]
    print(f"GET /archive/ p99 {p99:.1f} ms: target (<= 100 ms) {'met' if p99 <= 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
