"""``render --screenshots``: each edition as subscribers see it, as PNG files beside its HTML.

Three pictures per edition, of the sample message's HTML (the exact message
``send`` builds, pictures included) in headless Chromium, full height:

    <lang>-375.png        a phone, 375 px wide
    <lang>-600.png        the message's own width (desktop mail programs)
    <lang>-375-dark.png   the phone with ``prefers-color-scheme: dark``
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.model import Issue
from leadex_mail.gates.browser import Browser
from leadex_mail.gates.sample import build_sample

SHOTS: tuple[tuple[str, int, str], ...] = (("375", 375, "light"), ("600", 600, "light"), ("375-dark", 375, "dark"))


def write_screenshots(issue: Issue, settings: Settings, out_dir: Path, languages: Sequence[str], *, browser: Browser | None = None) -> list[Path]:
    """Write the three PNGs of each edition in ``languages`` into ``out_dir``; return their paths.

    Raises ``DeepCheckUnavailable`` when Chromium or Playwright is missing.
    """
    if browser is None:
        with Browser(settings) as own:
            return write_screenshots(issue, settings, out_dir, languages, browser=own)
    written = []
    for language in languages:
        sample = build_sample(issue, language, settings)
        view = browser.show(sample.html or "", sample.resources, width=SHOTS[0][1], scheme=SHOTS[0][2])
        try:
            for suffix, width, scheme in SHOTS:  # one page, switched between the views: no second load
                if view.scheme != scheme:
                    view.set_scheme(scheme)
                if view.width != width:
                    view.set_width(width)
                written.append(view.screenshot(out_dir / f"{language}-{suffix}.png"))
        finally:
            view.close()
    return written
