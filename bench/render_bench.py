"""Render benchmark for issue No. 1 (not a test: prints a table).

    python bench/render_bench.py [--runs 50]

What is measured, all in this process and this run:

* warm render: ``render_edition(issue, "sl")`` after ``pipeline.clear_cache()``,
  so every run compiles (templates -> MJML -> HTML, and the text part); the
  issue is loaded, templates are parsed, processed images are in memory, and
  the per-process memo caches of pure functions (Markdown parsing, styled
  fragments, Babel dates) are warm -- as in ``preview`` or a campaign.
* compile, memo caches cleared: the same with those memo caches emptied too
  (images still cached): the cost when every paragraph is new.
* baseline: ``mjml.mjml2html`` of the very MJML this edition compiles to.
  Ratios divide CPU times by this baseline's, so they hold on a busy machine.
* cold CLI: ``leadex-mail render ISSUE --out TMP`` as a subprocess (both
  editions, .html/.txt/.eml and images); first with an empty image cache,
  then with the disk cache filled.
* sizes of the final HTML per edition.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mjml

from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.render import i18n, markdown, pipeline, styles
from leadex_mail.render.context import RenderHelpers

REPO = Path(__file__).resolve().parents[1]
SLUG = "2026-04-leadex-01"


def median_ms(fn, runs: int) -> tuple[float, float]:
    """Median wall and CPU (this thread) time of ``fn()`` in ms, after one warm-up call.

    CPU time is printed too because other processes share the two cores:
    wall time then includes waiting for a core, CPU time does not.
    """
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def clear_memos() -> None:
    """Empty the memo caches of pure functions (not the processed images)."""
    pipeline.clear_cache()
    markdown.to_html.cache_clear()
    markdown._text_segments.cache_clear()
    styles._inline.cache_clear()
    i18n.date_range.cache_clear()
    i18n.month_year.cache_clear()


def cold_cli(settings_dir: Path, cache: Path, runs: int) -> list[float]:
    """Wall times (s) of ``leadex-mail render`` subprocesses sharing one image cache folder."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "LEADEX_NEWSLETTERS_DIR": str(settings_dir)}
    times = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "leadex_mail", "render", SLUG, "--out", str(out)], check=True, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
        shutil.rmtree(out)
    return times


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache-inproc")
        settings = Settings(newsletters_dir=REPO / "newsletters")
        issue = load_issue(SLUG, settings)
        edition = issue.edition("sl")
        rendered = pipeline.render_edition(issue, "sl", settings)
        helpers = RenderHelpers(issue, edition, settings)
        env = pipeline.environment(pipeline.templates_dir(), pipeline.templates_version())
        mjml_source = env.get_template(pipeline.HTML_TEMPLATE).render(helpers.context())

        warm = median_ms(lambda: (pipeline.clear_cache(), pipeline.render_edition(issue, "sl", settings)), args.runs)
        memo_cleared = median_ms(lambda: (clear_memos(), pipeline.render_edition(issue, "sl", settings)), args.runs)
        baseline = median_ms(lambda: mjml.mjml2html(mjml_source, disable_comments=True), args.runs)
        cli = cold_cli(REPO / "newsletters", Path(tmp) / "cache-cli", 4)
        sizes = {lang: len(r.html.encode()) for lang, r in pipeline.render_issue(issue, settings).items()}

    def timed(name: str, value: tuple[float, float], note: str = "") -> tuple[str, str, str, str, str]:
        # the ratio uses CPU time: on a shared machine it is the steadier of the two
        return (name, f"{value[0]:.2f} ms", f"{value[1]:.2f} ms", f"{value[1] / baseline[1]:.2f}x", note)

    rows = [
        timed("baseline: mjml2html of the same MJML", baseline),
        timed("warm render_edition (compile miss)", warm, "target <= 10 ms"),
        timed("compile, memo caches cleared", memo_cleared),
        ("cold CLI render, empty image cache", f"{cli[0]:.2f} s", "", "", "target <= 1 s"),
        ("cold CLI render, image cache filled", f"{statistics.median(cli[1:]):.2f} s", "", "", f"median of {len(cli) - 1}"),
    ]
    rows += [(f"final HTML size ({lang})", f"{size / 1024:.1f} KB", "", "", "target <= 80 KB") for lang, size in sizes.items()]
    print(f"render benchmark, issue {SLUG}, median of {args.runs} runs, load average {os.getloadavg()[0]:.2f}")
    width = max(len(r[0]) for r in rows)
    print(f"  {'':<{width}}  {'wall':>10}  {'cpu':>9}  {'ratio':>6}")
    for name, value, cpu, ratio, note in rows:
        print(f"  {name:<{width}}  {value:>10}  {cpu:>9}  {ratio:>6}  {note}")
    assert rendered.html


if __name__ == "__main__":
    main()
