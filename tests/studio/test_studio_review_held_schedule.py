"""The review's "Already scheduled for …" line says when that send is held, and why (brief s8-sched #2).

Before: a send held at its time (the check refused the issue then) was shown
on the review as "Already scheduled for 2026-09-10 14:00 …", a time already
past, as if it were still to come. Now the line says it is held, that
nothing went out, why, and when it goes, in English and Slovenian. HTTP on a
real studio, real SQLite store, loopback SMTP, a real worker round with an
injected clock.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadex_mail.campaign.scheduler import run_worker
from leadex_mail.content.loader import load_issue
from leadex_mail.store import schedule
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, reviewed, serve_studio_on_store, studio_settings
from studio.test_studio_schedule import readers

DUE = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)  # 14:00 in Ljubljana
WHEN = "2026-09-10 14:00 CEST (12:00 UTC)"


@pytest.fixture
def studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port, LEADEX_TIMEZONE="Europe/Ljubljana")
    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=readers) as running:
        yield running


def client_in(studio: RunningStudio, language: str):
    client = studio.client()
    client.headers["accept-language"] = language
    return client


def schedule_it(studio: RunningStudio) -> None:
    client = client_in(studio, "en")
    token = client.get("/").text.split('data-csrf="', 1)[1].split('"', 1)[0]
    confirmed = reviewed(client)
    assert client.post(f"/issues/{ISSUE}/send/schedule", data={"csrf": token, "list": "newsletter", "at": "2026-09-10T14:00", **confirmed}).status_code == 303


def worker_round(studio: RunningStudio) -> int:
    settings = studio.settings
    return run_worker(studio.store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: DUE)


def current_line(page: str) -> str:
    start = page.index('id="schedule-current"')
    return html.unescape(page[page.index(">", start) + 1:page.index("</p>", start)])


def test_the_review_says_a_held_send_is_held_and_why(studio: RunningStudio) -> None:
    schedule_it(studio)
    assert current_line(client_in(studio, "en").get(f"/issues/{ISSUE}/send/review?list=newsletter").text) == (
        f"Already scheduled for {WHEN}. Scheduling again moves it."
    )
    sl_file = studio.root / "newsletters" / ISSUE / "sl.yaml"
    good = sl_file.read_text(encoding="utf-8")
    sl_file.write_text("".join("subject: ✎ NI ŠE PRIPRAVLJENO\n" if line.startswith("subject:") else line for line in good.splitlines(keepends=True)),
                       encoding="utf-8")
    assert worker_round(studio) == 0
    assert schedule.waiting(studio.store)[0].held is not None and not studio.smtp.messages
    sl_file.write_text(good, encoding="utf-8")  # corrected: the review is clean again, the worker has not looked yet

    en = client_in(studio, "en").get(f"/issues/{ISSUE}/send/review?list=newsletter").text
    assert current_line(en) == (
        f"Already scheduled for {WHEN}, but held: at that time the check found 1 error, so nothing was sent yet."
        " It goes out at the next look after the error is corrected and saved. Scheduling again moves it to the time you choose."
    )
    assert 'id="schedule-current" class="held"' in en
    sl = client_in(studio, "sl").get(f"/issues/{ISSUE}/send/review?list=newsletter").text
    assert current_line(sl) == (
        f"Že načrtovano za {WHEN}, a zadržano: takrat je preverjanje našlo 1 napako, zato še ni bilo poslano nič."
        " Gre ven ob prvem pogledu, potem ko je napaka popravljena in shranjena. Če ga načrtujete znova, se premakne na čas, ki ga izberete."
    )


def test_the_review_says_a_send_held_on_files_that_could_not_be_read(studio: RunningStudio) -> None:
    schedule_it(studio)
    sl_file = studio.root / "newsletters" / ISSUE / "sl.yaml"
    good = sl_file.read_text(encoding="utf-8")
    sl_file.write_text("title: [unclosed\n", encoding="utf-8")
    worker_round(studio)
    assert schedule.waiting(studio.store)[0].held.reason == "unreadable"
    sl_file.write_text(good, encoding="utf-8")
    en = client_in(studio, "en").get(f"/issues/{ISSUE}/send/review?list=newsletter").text
    assert current_line(en).startswith(f"Already scheduled for {WHEN}, but held: at that time the issue's files could not be read, so nothing was sent yet.")
    sl = client_in(studio, "sl").get(f"/issues/{ISSUE}/send/review?list=newsletter").text
    assert current_line(sl).startswith(f"Že načrtovano za {WHEN}, a zadržano: takrat datotek številke ni bilo mogoče prebrati")
