"""Screenshots of the studio for the docs: the Issues page, the editor beside its desktop and phone previews.

    python scripts/studio_screenshots.py [--out docs/images]

Serves the studio (single-user, 127.0.0.1, a free port) over a copy of the
repository's ``newsletters/`` in a temporary folder, with an empty SQLite
store beside it, and photographs it in Debian's headless Chromium (the
flags of the tests) at 1400 px wide, in English: nothing is written to the
repository but the PNG files the README shows. In the copy, issue No. 1
names its brand file (``brand: brand.yaml``, the one it uses anyway), so the
editor shows the brand as the officer sees it: read only, kept by whoever
runs leadex-mail. The editor's pictures show its fields down to the first
story beside the live preview. Run it again after a change to the studio's
pages, and look at the result.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ISSUE = "2026-04-leadex-01"
CHROMIUM = os.environ.get("LEADEX_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
EDITOR_HEIGHT = 1800  # px: the editor's fields from the check box down to the first story, beside the preview
PREVIEW_SHOWN = "() => Number(document.getElementById('main').dataset.previewVersion || 0) > 0"


def shoot(folder: Path, out: Path) -> list[Path]:
    """Write the PNG files into ``out``; returns their paths."""
    from playwright.sync_api import sync_playwright

    from leadex_mail.config import load_settings
    from leadex_mail.studio.server import make_server

    settings = load_settings(environ={"LEADEX_NEWSLETTERS_DIR": str(folder), "LEADEX_DATABASE_URL": f"sqlite:///{folder.parent / 'subscribers.db'}"})
    server = make_server(settings, port=0, watch=False)
    thread = server.start_in_thread()
    written: list[Path] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-GB")

            page.goto(f"{server.url}/")
            written.append(out / "studio-issues.png")
            page.screenshot(path=written[-1])

            page.set_viewport_size({"width": 1400, "height": EDITOR_HEIGHT})
            page.goto(f"{server.url}/issues/{ISSUE}/sl")
            page.wait_for_function(PREVIEW_SHOWN, timeout=60_000)
            page.locator("fieldset.edition-fields .field.kept").wait_for(state="visible")  # the brand, read only
            written.append(out / "studio-editor-desktop.png")
            page.screenshot(path=written[-1])
            page.click("#tab-phone")
            page.locator("#panel-phone").wait_for(state="visible")
            written.append(out / "studio-editor-phone.png")
            page.screenshot(path=written[-1])
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="leadex-shots-") as tmp:
        folder = Path(tmp) / "newsletters"
        shutil.copytree(REPO / "newsletters", folder)
        for edition in (folder / ISSUE).glob("*.yaml"):
            text = edition.read_text(encoding="utf-8")
            edition.write_text(text.replace("\nsections:", "\nbrand: brand.yaml\nsections:", 1), encoding="utf-8")
        for path in shoot(folder, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
