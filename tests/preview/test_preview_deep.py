"""The preview's dark-mode view and its deep check (`preview --deep`): served, polled, updated after a save."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from leadex_mail.preview.deep import force_dark
from leadex_mail.preview.server import make_server

CHROMIUM = Path(os.environ.get("LEADEX_CHROMIUM", "/usr/bin/chromium"))
DEEP_SECONDS = 300  # bounds a hung test only; the runner is waited on, not the clock

# The brand's footer with one link that says only "here" (its website written as a social link labelled "here"):
# found in the rendered mail only, in every edition (the content check judges each link of an edition at its field,
# partners' and interviews' too: content.linkpurpose; the brand's footer is the operator's, judged by the deep check).
WEBSITE = "website: https://www.interregeurope.eu/leadex"
FOOTER_HERE = "social:\n  - label: here\n    url: https://www.interregeurope.eu/leadex"



def test_force_dark_makes_dark_rules_unconditional_and_light_ones_void():
    css = "@media (prefers-color-scheme: dark) { a {} } @media screen and (prefers-color-scheme:light) { b {} } @media (max-width: 479px) { c {} }"
    assert force_dark(css) == "@media (min-width: 0px) { a {} } @media screen and (max-width: 0px) { b {} } @media (max-width: 479px) { c {} }"


def test_without_deep_the_page_says_how_to_turn_it_on(live_preview):
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        page = client.get("/")
        assert 'id="deep" class="problems" data-state="off"' in page.text
        assert "Start the preview with <code>--deep</code>" in page.text
        assert '<iframe id="dark"' in page.text and 'src="/email/sl?scheme=dark&amp;v=1"' in page.text
        dark = client.get("/email/sl", params={"scheme": "dark"}).text
        assert "prefers-color-scheme: dark" in client.get("/email/sl").text
        assert "prefers-color-scheme: dark" not in dark and "(min-width: 0px)" in dark


@pytest.fixture
def deep_preview(issue_copy):
    settings = dataclasses.replace(issue_copy.settings, public_url="https://news.example.org", chromium_path=CHROMIUM)
    server = make_server(issue_copy.slug, settings, port=0, deep=True)
    thread = server.start_in_thread()
    try:
        yield server, server.config.app.state.deep
    finally:
        server.should_exit = True
        thread.join(60)
        assert not thread.is_alive(), "the preview server did not stop"


@pytest.mark.browser
@pytest.mark.slow
def test_deep_results_show_and_follow_a_save(deep_preview, issue_copy, page: Page):
    server, runner = deep_preview
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/?lang=en")
    # The page polls /deep while the check runs, then shows the table.
    assert runner.wait_idle(DEEP_SECONDS).state == "done"
    expect(page.locator("#deep")).to_have_attribute("data-state", "done", timeout=DEEP_SECONDS * 1000)
    rows = page.locator("#deep tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("en")
    assert page.locator("#deep tbody tr").nth(1).locator("td").all_inner_texts()[:4] == ["0", "0", "0", "0"]
    expect(page.locator("#deep")).to_contain_text("No findings in the en edition's message.")
    # The dark view shows the dark-mode rules: its page background is dark.
    background = page.frame_locator("#dark").locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), background

    # A save that passes `check` but not the deep check: the results follow it.
    issue_copy.edit_file(issue_copy.folder.parent / "brand.yaml", WEBSITE, FOOTER_HERE)
    with httpx.Client(base_url=server.url, timeout=20) as client:
        with client.stream("GET", "/events") as events:  # the rebuild is announced, then the deep check runs again
            for line in events.iter_lines():
                if line.startswith("data: ") and int(line.removeprefix("data: ")) > 1:
                    break
        assert runner.wait_idle(DEEP_SECONDS).state == "done"
        deep = client.get("/deep", params={"lang": "en"}).text
    assert "error: markup (here): the link &#39;here&#39; (to https://www.interregeurope.eu/leadex) says nothing about where it leads" in deep
