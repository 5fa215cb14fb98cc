"""Keystroke-to-preview latency of the studio on issue No. 1, against the warm render time measured in the same run.

    python bench/studio_latency_bench.py [--keys 60] [--renders 40] [--accounts]

Serves the studio (single-user, 127.0.0.1, a free port) over a copy of issue
No. 1 in a temporary folder, opens its Slovenian edition in Debian's headless
Chromium (1400 x 1000) and types ``--keys`` characters, one at a time, into the
heading of the first story. For each key, the page records (``performance.now()``)
when the key went down and when the desktop preview (600 px, an iframe) showed
an email containing the heading as typed so far, laid out (layout is forced
before the time is taken; only painting follows): that is the latency an
officer sees -- the change sent, the draft written back as YAML, loaded and
rendered exactly as `render` would, the event sent (it carries the email),
the email swapped into the frame and laid out (the check's findings follow in
a second event after a pause in typing, not waited for here).
The next key is typed only once the preview shows the previous one, so each
key gets its own preview (a fast typist's keys are coalesced into fewer).

Baseline, in this process: the warm render of the same edition
(``render_edition`` after ``clear_cache``: templates, pictures and catalogs
cached, the edition compiled again), ``--renders`` times, each with the
heading changed as typing changes it.

``--accounts`` types twice, alternately: into the single-user studio, then
into one served with accounts (``--require-login``, signed in first), where
each request also reads the account from the store (its sessions follow the
account: ``studio/web.py``); it also times that read alone
(``account_state`` on the SQLite store, ``--renders`` x 25 times).

Prints median and p95 of both, their ratio, the CPU time one key costs (the
studio's process, and Chromium with Playwright's driver: a measure the
machine's load does not move much) and the load average.
Target: keystroke-to-preview p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
ISSUE = "2026-04-leadex-01"
PATH = "sections.1.heading"
CHROMIUM = os.environ.get("LEADEX_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]

INSTRUMENT = """(path) => {
  const input = document.querySelector(`[data-path="${path}"]`);
  const main = document.getElementById("main");
  const frame = document.querySelector("#panel-desktop iframe");
  window.__lat = [];
  window.__event = [];  // key down to the server's event that the new render is ready
  input.addEventListener("keydown", () => { window.__t0 = performance.now(); window.__seen = false; }, true);
  new MutationObserver(() => {
    if (window.__t0 !== undefined && !window.__seen) { window.__seen = true; window.__event.push(performance.now() - window.__t0); }
  }).observe(main, { attributes: true, attributeFilter: ["data-version"] });
  // studio.js sets data-preview-version once a panel shows a new render (the email swapped in).
  new MutationObserver(() => {
    const body = frame.contentDocument && frame.contentDocument.body;
    if (window.__t0 !== undefined && body && body.textContent.includes(window.__want)) {
      frame.contentDocument.documentElement.getBoundingClientRect();  // laid out: the browser's work counts too
      window.__lat.push(performance.now() - window.__t0);
      window.__t0 = undefined;
      if (window.__done) window.__done();
    }
  }).observe(main, { attributes: true, attributeFilter: ["data-preview-version"] });
}"""

# Waits until the preview showed key ``n``: resolved by the page itself (polling, as
# ``wait_for_function`` does every animation frame, costs the browser CPU time the
# measurement competes with).
SHOWN = """(n) => window.__lat.length >= n || new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("the preview did not show the key within 60 s")), 60000);
  window.__done = () => { clearTimeout(timer); window.__done = null; resolve(true); };
})"""


def descendants_cpu() -> float:
    """CPU seconds used so far by this process's descendants (Playwright's driver, Chromium's processes), from /proc."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(entry))
        ticks[int(entry)] = int(fields[11]) + int(fields[12])  # utime + stime
    total, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def warm_renders(folder: Path, count: int) -> list[float]:
    """Milliseconds of ``render_edition`` with the heading changed each time (compiled again, caches warm)."""
    from leadex_mail.config import load_settings
    from leadex_mail.content.loader import load_issue
    from leadex_mail.render.pipeline import clear_cache, render_edition

    settings = load_settings(environ={"LEADEX_NEWSLETTERS_DIR": str(folder)})
    file = folder / ISSUE / "sl.yaml"
    original = file.read_text(encoding="utf-8")
    render_edition(load_issue(ISSUE, settings), "sl", settings)  # warm: templates, pictures, catalogs
    times = []
    try:
        for i in range(count):
            file.write_text(original.replace("heading: LeadEx uvodni sestanek - Murcia", f"heading: LeadEx uvodni sestanek - Murcia {i}", 1), encoding="utf-8")
            issue = load_issue(ISSUE, settings)
            clear_cache()
            started = time.perf_counter()
            render_edition(issue, "sl", settings)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        file.write_text(original, encoding="utf-8")
    return times


ACCOUNT = ("bench", "a bench passphrase")


def _settings(folder: Path):  # type: ignore[no-untyped-def]
    from leadex_mail.config import load_settings

    return load_settings(environ={"LEADEX_NEWSLETTERS_DIR": str(folder), "LEADEX_DATABASE_URL": f"sqlite:///{folder.parent / 'subscribers.db'}"})


def account_checks(folder: Path, count: int) -> list[float]:
    """Microseconds of one ``account_state`` read (what each request of a signed-in session adds), ``count`` times."""
    from leadex_mail.store.accounts import account_state
    from leadex_mail.store.db import open_store

    with open_store(_settings(folder)) as store:
        account_state(store, ACCOUNT[0])  # connection opened
        times = []
        for _ in range(count):
            started = time.perf_counter()
            account_state(store, ACCOUNT[0])
            times.append((time.perf_counter() - started) * 1e6)
    return times


def keystrokes(folder: Path, keys: int, *, accounts: bool = False) -> tuple[list[float], list[float], tuple[float, float]]:
    """Milliseconds from each key down to the preview showing it, in Chromium; to the server's event before it;
    and the CPU milliseconds per key of this process (the studio, and this script's side of Playwright) and of the browser's.

    ``accounts``: the studio requires signing in (the page signs in as ``ACCOUNT`` first).
    """
    from playwright.sync_api import sync_playwright

    from leadex_mail.studio.server import make_server

    server = make_server(_settings(folder), port=0, watch=False, require_login=accounts)
    thread = server.start_in_thread()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.url}/issues/{ISSUE}/sl")
            if accounts:
                page.fill("#login-name", ACCOUNT[0])
                page.fill("#login-password", ACCOUNT[1])
                page.click("button[type=submit]")
            page.wait_for_function("() => Number(document.getElementById('main').dataset.previewVersion || 0) > 0", timeout=60_000)
            page.evaluate(INSTRUMENT, PATH)
            field = page.locator(f'[data-path="{PATH}"]')
            field.click()
            field.press("End")
            text = field.input_value()
            cpu = (time.process_time(), descendants_cpu())
            for i in range(keys):
                char = "abcdefghijklmnopqrstuvwxyz"[i % 26]
                text += char
                page.evaluate("(want) => { window.__want = want; }", text)
                page.keyboard.press(char)
                page.evaluate(SHOWN, i + 1)
            cpu = ((time.process_time() - cpu[0]) * 1000 / keys, (descendants_cpu() - cpu[1]) * 1000 / keys)
            latencies = page.evaluate("() => window.__lat")
            events = page.evaluate("() => window.__event")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return latencies, events, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--accounts", action="store_true", help="also type into a studio with accounts (each request reads the account)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "newsletters"
        folder.mkdir()
        for name in ("brand.yaml", "schema.json", "brand.schema.json"):
            shutil.copy2(REPO / "newsletters" / name, folder / name)
        shutil.copytree(REPO / "newsletters" / "brand-images", folder / "brand-images")
        shutil.copytree(REPO / "newsletters" / ISSUE, folder / ISSUE)
        if args.accounts:
            from leadex_mail.store.accounts import add_user
            from leadex_mail.store.db import open_store

            with open_store(_settings(folder)) as store:
                add_user(store, ACCOUNT[0], "editor", ACCOUNT[1], actor="bench")
        before = os.getloadavg()
        renders = warm_renders(folder, args.renders)
        runs = [("single-user", keystrokes(folder, args.keys))]
        if args.accounts:
            runs.append(("with accounts", keystrokes(folder, args.keys, accounts=True)))
            checks = account_checks(folder, args.renders * 25)
        renders_after = warm_renders(folder, args.renders)
        after = os.getloadavg()
    baseline = renders + renders_after
    print(f"warm render of the sl edition ({len(baseline)} runs): median {statistics.median(baseline):.1f} ms, p95 {percentile(baseline, 95):.1f} ms")
    for name, (latency, events, cpu) in runs:
        print(f"{name}: keystroke to preview ({len(latency)} keys): median {statistics.median(latency):.1f} ms, p95 {percentile(latency, 95):.1f} ms, max {max(latency):.1f} ms")
        print(f"  of which key to the render's event: median {statistics.median(events):.1f} ms, p95 {percentile(events, 95):.1f} ms (the rest: showing the email)")
        print(f"  CPU per key: {cpu[0]:.1f} ms in this process (the studio; the script's Playwright calls), {cpu[1]:.1f} ms in Chromium and Playwright's driver")
        print(f"  ratio (keystroke/render): median {statistics.median(latency) / statistics.median(baseline):.1f}x, p95 {percentile(latency, 95) / percentile(baseline, 95):.1f}x")
        verdict = "meets" if percentile(latency, 95) <= 300 else "MISSES"
        print(f"  target p95 <= 300 ms: {verdict}")
    if args.accounts:
        print(f"one account read (account_state, SQLite, {len(checks)} runs): median {statistics.median(checks):.0f} us, p95 {percentile(checks, 95):.0f} us")
    print(f"load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
