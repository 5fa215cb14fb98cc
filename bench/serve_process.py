"""``leadex-mail serve`` in a subprocess for the web benchmarks, ready once ``/healthz`` answers.

Shared by ``web_bench.py`` and ``web_slow_relay_bench.py``; run them from the
repository (``python bench/web_bench.py``), which puts ``bench/`` on the path.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import threading
import time
from pathlib import Path


def start_serve(folder: Path, env: dict[str, str], *options: str) -> tuple[subprocess.Popen[str], str, int]:
    """``leadex-mail serve --port 0 OPTIONS`` in ``folder`` with ``env``; returns it with its host and port once /healthz answers 200.

    Exits the benchmark (``SystemExit``) when the server prints no address
    or does not answer within ~200 tries.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadex_mail", "serve", "--port", "0", *options],
        env=env,
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
    # Keep reading what the server prints (access log lines), or it blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
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
