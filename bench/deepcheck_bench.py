"""`check --deep` of issue No. 1 (two editions), browser started once, against the straightforward way.

    python bench/deepcheck_bench.py [--runs 3]

Measured in this one run, on this machine:

- baselines: starting and closing Chromium alone; one ``spamassassin -L -t``
  of one message alone;
- naive: the same checks done the obvious way with the same tools: for
  each edition and each of the four views a fresh page, ``Axe().run`` of
  axe-playwright-python, and SpamAssassin run after the browser work;
- ours: ``deep_check`` as ``check --deep`` calls it (SpamAssassin in the
  background from the start, one page per colour scheme resized between
  widths, light and dark checked in parallel renderer processes), including
  the browser start, and with a browser already started (as the tests and a
  preview reuse it); and ``leadex-mail check ISSUE --deep`` as a new
  process (imports, the plain checks and all), which the target is about.

The target is ``check --deep`` of one issue within 20 s on this 2-core
machine. Wall time depends on what else runs on the machine, so the load
average is printed before and after, and each result as a ratio to the
naive way measured in the same run. CPU seconds (the process and every
process it started: Chromium, SpamAssassin) do not depend on the load:
on an idle machine the wall time approaches CPU / 2.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.gates.accessibility import WCAG_TAGS
from leadex_mail.gates.browser import Browser
from leadex_mail.gates.deep import deep_check
from leadex_mail.gates.sample import build_sample

REPO = Path(__file__).resolve().parents[1]
SLUG = "2026-04-leadex-01"
VIEWS = ((375, "light"), (375, "dark"), (600, "light"), (600, "dark"))


CPU: dict[str, list[float]] = {}


def timed(fn, name: str = "") -> float:
    """Wall seconds of ``fn()``; its CPU seconds (this process and every process it started and reaped) go to CPU[name]."""
    before = _cpu()
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    CPU.setdefault(name, []).append(_cpu() - before)
    return wall


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def naive(issue, settings) -> None:
    """Each view in a fresh page with Axe().run, then SpamAssassin for each edition, one after the other."""
    from axe_playwright_python.sync_playwright import Axe

    samples = [build_sample(issue, lang, settings) for lang in ("sl", "en")]
    with Browser(settings) as browser:
        for sample in samples:
            for width, scheme in VIEWS:
                view = browser.show(sample.html, sample.resources, width=width, scheme=scheme)
                view.call(lambda: Axe().run(view.frame, options={"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}}))
                view.close()
    for sample in samples:
        spamassassin(sample.data)


def spamassassin(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as home:
        subprocess.run(["spamassassin", "-L", "-t"], input=data, capture_output=True, env={"HOME": home, "PATH": os.environ["PATH"]}, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="lx-bench-cache-"))
    settings = Settings(newsletters_dir=REPO / "newsletters", public_url="https://news.example.org")
    issue = load_issue(SLUG, settings)
    sample = build_sample(issue, "sl", settings)  # warms the render and image caches
    load_before = os.getloadavg()
    print(f"check --deep benchmark, issue {SLUG} (sl + en), median of {args.runs} runs; {os.cpu_count()} cores; load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")

    names = ("chromium start", "spamassassin, one message", "naive", "deep_check", "deep_check, browser started", "leadex-mail check --deep")
    results: dict[str, list[float]] = {name: [] for name in names}
    cli_env = {**os.environ, "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"), "LEADEX_PUBLIC_URL": "https://news.example.org", "LEADEX_CONFIG": ""}
    command = [sys.executable, "-m", "leadex_mail", "check", SLUG, "--deep"]
    with Browser(settings) as shared:
        for _ in range(args.runs):
            results["chromium start"].append(timed(lambda: Browser(settings).__enter__().__exit__(None, None, None), "chromium start"))
            results["spamassassin, one message"].append(timed(lambda: spamassassin(sample.data), "spamassassin, one message"))
            results["naive"].append(timed(lambda: naive(issue, settings), "naive"))
            results["deep_check"].append(timed(lambda: deep_check(issue, settings), "deep_check"))
            results["deep_check, browser started"].append(timed(lambda: deep_check(issue, settings, browser=shared), ""))
            results["leadex-mail check --deep"].append(timed(lambda: subprocess.run(command, env=cli_env, capture_output=True, check=False), "leadex-mail check --deep"))
    base = statistics.median(results["naive"])
    for name, values in results.items():
        median = statistics.median(values)
        ratio = f"  ({median / base:.2f}x naive)" if name.startswith(("deep_check", "leadex-mail")) else ""
        cpu = f"  CPU {statistics.median(CPU[name]):.1f} s" if CPU.get(name) else ""  # a shared browser's processes are not reaped yet
        print(f"  {name:<30} {median:6.1f} s{cpu}   runs: {', '.join(f'{v:.1f}' for v in values)}{ratio}")
    report = deep_check(issue, settings)
    for edition in report.editions:
        spam = edition.spam.score if edition.spam else None
        print(f"  {edition.language}: axe {edition.axe}, spam {spam}, HTML {edition.sizes.html_bytes} B, message {edition.sizes.message_bytes} B, {edition.seconds:.1f} s")
    target = statistics.median(results["leadex-mail check --deep"])
    print(f"  target: check --deep of one issue <= 20 s: {'met' if target <= 20 else 'NOT met'} ({target:.1f} s)")
    print(f"  load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
