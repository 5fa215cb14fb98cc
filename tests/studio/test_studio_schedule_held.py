"""The studio says what a scheduled send does with the issue as it is at its time (tester's finding a14, major).

The finding: after "Schedule the send", the editor said nothing of it, a
subject saved with ✎ went out at its time, and nothing said it would. Now
the editor of an issue with a scheduled send says at the top that what is
saved is what goes out and that a check error holds the send; once the
worker has held it, "Test and send", the Issues page and the editor say
"held" and why, in the officer's language. HTTP on a real studio, real
SQLite store, loopback SMTP; the studio's and the worker's clocks injected.
"""

from __future__ import annotations

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

DUE = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)  # 14:00 in Ljubljana; the studio's clock says 11:00 there


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
    confirmed = reviewed(client)  # what the review showed: a schedule confirms it, as "Send now" does (s7-send)
    assert client.post(f"/issues/{ISSUE}/send/schedule", data={"csrf": token, "list": "newsletter", "at": "2026-09-10T14:00", **confirmed}).status_code == 303


def mark_subject(studio: RunningStudio) -> None:
    """What the tester saved in the editor after scheduling: a subject still marked ✎."""
    path = studio.root / "newsletters" / ISSUE / "sl.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join("subject: ✎ NI ŠE PRIPRAVLJENO\n" if line.startswith("subject:") else line for line in lines), encoding="utf-8")


def worker_round(studio: RunningStudio, now: datetime) -> int:
    settings = studio.settings
    return run_worker(studio.store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now,
                      actor="worker:officer@host")


def test_the_editor_of_a_scheduled_issue_says_what_you_save_is_what_goes_out(studio: RunningStudio) -> None:
    en = client_in(studio, "en")
    assert 'id="scheduled-note"' not in en.get(f"/issues/{ISSUE}/sl").text  # nothing scheduled: nothing said
    schedule_it(studio)
    page = en.get(f"/issues/{ISSUE}/sl").text
    assert 'id="scheduled-note"' in page
    assert ("Scheduled to newsletter on 2026-09-10 14:00 CEST (12:00 UTC): what you save is what goes out then."
            " If the check finds an error at that time, the send is held (nothing is sent) until it is corrected.") in page
    assert page.index('id="scheduled-note"') < page.index('class="group edition-fields"')  # at the top, above the subject
    side = en.get(f"/issues/{ISSUE}/side-by-side").text
    assert 'id="scheduled-note"' in side
    sl = client_in(studio, "sl").get(f"/issues/{ISSUE}/sl").text
    assert "Načrtovano pošiljanje na newsletter ob 2026-09-10 14:00 CEST (12:00 UTC): kar shranite, to gre takrat ven." in sl


def test_a_held_send_is_said_held_with_its_reason_in_slovenian(studio: RunningStudio) -> None:
    schedule_it(studio)
    mark_subject(studio)
    assert worker_round(studio, DUE) == 0
    assert not studio.smtp.messages
    [waiting] = schedule.waiting(studio.store)
    assert waiting.held is not None and waiting.held.errors == 1

    sl = client_in(studio, "sl")
    send_page = sl.get(f"/issues/{ISSUE}/send").text
    said = "Zadržano: ob svojem času je preverjanje našlo 1 napako, zato ni bilo poslano nič. Pošiljanje gre ven, takoj ko je napaka popravljena in shranjena"
    assert said in send_page and 'data-held="newsletter"' in send_page
    studio.clock.advance(hours=4)  # past its time and not started: held, not "the scheduled sending seems not to be running"
    send_page = sl.get(f"/issues/{ISSUE}/send").text
    assert said in send_page and "videti je, da samodejni pošiljatelj ne teče" not in send_page
    assert "zadržano: 1 napaka za popravek" in sl.get("/").text
    editor = sl.get(f"/issues/{ISSUE}/sl").text
    assert "Načrtovano pošiljanje na newsletter" in editor and said in editor
    audit = sl.get("/audit").text
    assert "zadržal načrtovano pošiljanje: preverjanje je številko zavrnilo" in audit and "preverjanje je našlo napake" in audit

    en = client_in(studio, "en")
    assert "Held: at its time the check found 1 error, so nothing was sent." in en.get(f"/issues/{ISSUE}/send").text
    assert "held: 1 error to correct" in en.get("/").text


def test_the_editor_of_a_send_forced_from_the_command_line_says_errors_go_out_too(studio: RunningStudio) -> None:
    from leadex_mail.campaign.scheduler import schedule_campaign

    schedule_campaign(studio.store, load_issue(ISSUE, studio.settings), "newsletter", DUE, now=studio.clock(), forced=True)  # send --at … --force
    page = client_in(studio, "en").get(f"/issues/{ISSUE}/sl").text
    assert ("Scheduled to newsletter on 2026-09-10 14:00 CEST (12:00 UTC), forced by the person who runs the studio:"
            " what you save is what goes out then, even if the check finds errors.") in page
    assert "the send is held" not in page
