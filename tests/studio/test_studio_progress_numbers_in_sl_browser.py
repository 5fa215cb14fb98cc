"""Numbers on the studio's pages use the page language's decimal mark: "0,1 na sekundo" in sl (s8 tester).

The live progress line said "0.1 sporočil na sekundo": the page's first figures were the server's, the later
ones written by studio-send.js from the send's events, and neither used the mark. Both now write numbers
through one function per side (``Words.number`` on the server, ``Studio.number`` in the page), which read the
catalog's ``decimal_mark``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.db import open_store
from leadex_mail.studio.i18n import words
from studio.studio_helpers import ISSUE, LIVE, add_readers, copy_newsletters, serve_studio, studio_settings
from studio.test_studio_send import BusyFor

pytestmark = pytest.mark.browser
SL_RATE = re.compile(r"obdelanih 4 od 5, \d+,\d na sekundo")


def test_the_live_progress_line_and_the_page_say_the_rate_with_a_decimal_comma_in_sl(tmp_path: Path, studio_page: Page, start_smtp) -> None:  # noqa: ANN001
    port = start_smtp(BusyFor({"reader03@example.org"}))  # one waits an hour for its retry: the progress page stays
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, port, LEADEX_SEND_BACKOFF_SECONDS="3600")
    store = open_store(settings)
    try:
        add_readers(store, 5, address="reader{i:02d}@example.org")
        page = studio_page
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter&ui=sl")
            page.get_by_role("button", name=words("sl").t("send_now", n=5)).click()
            expect(page.locator("#job-waiting")).to_be_visible(timeout=LIVE)
            expect(page.locator("#job-line")).to_have_text(SL_RATE)  # written by the page's script from the events
            served = page.request.get(page.url).text()  # the same line as the studio writes it into the page
            line = re.search(r'<p id="job-line"[^>]*>([^<]*)</p>', served)
            assert line is not None and SL_RATE.search(line.group(1)), line
    finally:
        store.close()


@pytest.mark.parametrize(("ui", "said"), [("sl", "0,1"), ("en", "0.1")])
def test_the_pages_number_function_uses_the_languages_mark(studio, studio_page: Page, ui: str, said: str) -> None:  # noqa: ANN001
    studio_page.goto(f"{studio.url}/?ui={ui}")
    assert studio_page.evaluate("Studio.number(0.1)") == said == words(ui).number(0.1)
    assert studio_page.evaluate("Studio.number(1234.56, 2)") == words(ui).number(1234.56, 2)
