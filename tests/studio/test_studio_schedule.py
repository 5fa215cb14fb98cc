"""Scheduling a send from the studio (issue 13 item 6), and the worker sending it at its time.

The studio's clock and the worker's are injected: the officer schedules at
11:00 CEST for 14:00 CEST, the worker looks at 13:59 (nothing goes) and at
14:00 (everyone gets it) -- no waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.campaign.scheduler import run_worker
from leadex_mail.content.loader import load_issue
from leadex_mail.store import schedule
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, RunningStudio, assert_accessible, copy_newsletters, reviewed, serve_studio_on_store, studio_settings
from studio.test_studio_auth import EDITOR, SENDER, Browserish, accounts_studio  # noqa: F401 (a fixture)

READERS = [f"reader{i}@example.org" for i in range(3)]
WHEN = "2026-09-10 14:00 CEST (12:00 UTC)"  # the studio's clock says 09:00 UTC, 11:00 in Ljubljana


def readers(store) -> None:
    create_list(store, "newsletter", title="LeadEx novice", public=True)
    for address in READERS:
        add_subscriber(store, address, language="sl", lists=("newsletter",), source="cli")


@pytest.fixture
def scheduling_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port, LEADEX_TIMEZONE="Europe/Ljubljana")
    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=readers) as running:
        yield running


def review(page: Page, studio: RunningStudio) -> None:
    page.goto(f"{studio.url}/issues/{ISSUE}/send")
    page.get_by_label("List", exact=True).select_option("newsletter")
    page.get_by_role("button", name="Review the send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the send to newsletter")


def worker_round(studio: RunningStudio, now: datetime) -> int:
    settings = studio.settings
    return run_worker(studio.store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now)


@pytest.mark.browser
def test_an_officer_schedules_cancels_and_schedules_again_and_the_worker_sends_at_the_time(scheduling_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = scheduling_studio, studio_page
    review(page, studio)
    expect(page.locator("#schedule-at-help")).to_have_text("Time zone: Europe/Ljubljana (set by the person who runs the studio).")
    expect(page.locator("section.schedule")).to_contain_text("the automatic sender does, a program the person who runs the studio starts for these subscribers (on this computer or on a server), and only while it runs")
    when = page.get_by_label("Send on (date and time)")
    when.fill("2026-09-10T10:30")  # earlier today
    page.get_by_role("button", name="Schedule the send").click()
    expect(page.locator("#schedule-at-error")).to_have_text("That time has passed (it is now 2026-09-10 11:00 CEST). Choose a later time, or send now.")
    expect(when).to_have_attribute("aria-invalid", "true")
    expect(when).to_be_focused()
    expect(page.locator("#plan-total")).to_have_text("3")  # the same confirmation, still there
    assert_accessible(page)
    assert schedule.waiting(studio.store) == []

    when.fill("2026-09-10T14:00")
    page.get_by_role("button", name="Schedule the send").click()
    expect(page.locator("#send-done")).to_contain_text("The send is scheduled.")
    expect(page.locator("#scheduled-list li")).to_have_text(f"To newsletter at {WHEN} Cancel… (newsletter)")
    assert_accessible(page)
    [waiting] = schedule.waiting(studio.store)
    assert waiting.send_at == datetime(2026, 9, 10, 12, 0, tzinfo=UTC)

    page.get_by_role("link", name="Cancel… (newsletter)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the scheduled send?")
    expect(page.locator("main")).to_contain_text(f"The send to newsletter scheduled for {WHEN} will not go out.")
    assert schedule.waiting(studio.store) != []  # asking is not doing
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the scheduled send").click()
    expect(page.locator("#send-done")).to_have_text("The scheduled send was cancelled. Nothing was sent.")
    assert schedule.waiting(studio.store) == []

    review(page, studio)
    page.get_by_label("Send on (date and time)").fill("2026-09-10T14:00")
    page.get_by_role("button", name="Schedule the send").click()
    expect(page.locator("#send-done")).to_contain_text("The send is scheduled.")
    page.goto(studio.url + "/")
    row = page.locator("table.issues tbody tr").first
    expect(row).to_contain_text("scheduled")
    expect(row).to_contain_text(f"to newsletter at {WHEN}")

    assert worker_round(studio, datetime(2026, 9, 10, 11, 59, tzinfo=UTC)) == 0
    assert not studio.smtp.messages
    assert worker_round(studio, datetime(2026, 9, 10, 12, 0, tzinfo=UTC)) == 1
    assert sorted(r for m in studio.smtp.messages for r in m.rcpt_tos) == READERS
    page.reload()
    expect(row).to_contain_text("sent")
    expect(row).not_to_contain_text("scheduled")
    actions = [(e.action, e.target) for e in reversed(audit_log(studio.store))]
    assert actions == [("send_schedule", f"{ISSUE} -> newsletter"), ("send_unschedule", f"{ISSUE} -> newsletter"), ("send_schedule", f"{ISSUE} -> newsletter")]


def test_a_send_past_its_time_and_not_started_says_no_worker_is_seen(scheduling_studio: RunningStudio) -> None:
    studio = scheduling_studio
    client = studio.client()
    client.headers["accept-language"] = "en"
    token = client.get("/").text.split('data-csrf="', 1)[1].split('"', 1)[0]
    confirmed = reviewed(client)  # what the review showed: the schedule confirms it, as "Send now" does
    assert client.post(f"/issues/{ISSUE}/send/schedule", data={"csrf": token, "list": "newsletter", "at": "2026-09-10T14:00", **confirmed}).status_code == 303
    assert "the automatic sender seems not to be running" not in client.get(f"/issues/{ISSUE}/send").text
    studio.clock.advance(hours=3)
    assert "the automatic sender seems not to be running" in client.get(f"/issues/{ISSUE}/send").text
    refused = client.post(f"/issues/{ISSUE}/send/schedule", data={"csrf": token, "list": "newsletter", "at": "next monday", **confirmed})
    assert refused.status_code == 400 and "Give a date and a time" in refused.text


def test_the_form_reads_times_around_clock_changes_as_send_at_does(scheduling_studio: RunningStudio) -> None:
    """Tester's finding a11 #8, through the form: the same core function as ``send --at`` (its clock: 2026-09-10 11:00 CEST)."""
    studio = scheduling_studio
    client = studio.client()
    client.headers["accept-language"] = "en"
    token = client.get("/").text.split('data-csrf="', 1)[1].split('"', 1)[0]

    confirmed = reviewed(client)

    def post(at: str):
        return client.post(f"/issues/{ISSUE}/send/schedule", data={"csrf": token, "list": "newsletter", "at": at, **confirmed})

    skipped = post("2027-03-28T02:30")  # the clocks go from 02:00 to 03:00 that night
    assert skipped.status_code == 400 and "2027-03-28 02:30 does not exist in Europe/Ljubljana" in skipped.text
    assert "Choose a time before 02:00 or from 03:00" in skipped.text  # the hint begins its own sentence (saying.sentences)
    far = post("9999-12-31T23:59")  # refused once the issue is checked (schedule_campaign), as send --at
    assert far.status_code == 409 and "9999-12-31 23:59 CET is more than a year ahead" in far.text
    assert schedule.waiting(studio.store) == []
    assert post("2026-10-25T02:30").status_code == 303  # happens twice: the first, shown with its zone
    [waiting] = schedule.waiting(studio.store)
    assert waiting.send_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert "To newsletter at 2026-10-25 02:30 CEST (00:30 UTC)" in client.get(f"/issues/{ISSUE}/send").text


def test_only_a_sender_schedules_and_cancels_with_the_pages_token(accounts_studio: RunningStudio) -> None:  # noqa: F811
    studio, url = accounts_studio, f"/issues/{ISSUE}/send"
    editor, sender = Browserish(studio), Browserish(studio)
    editor.login(*EDITOR)
    sender.login(*SENDER)
    form = {"list": "newsletter", "at": "2026-09-12T09:00"}
    assert editor.post(f"{url}/schedule", data={**form, "csrf": editor.token()}).status_code == 403
    assert sender.post(f"{url}/schedule", data=form).status_code == 403  # no CSRF token
    assert schedule.waiting(studio.store) == []
    assert sender.post(f"{url}/schedule", data={**form, **reviewed(sender), "csrf": sender.token()}).status_code == 303
    seen = editor.get(url).text
    assert "To newsletter at 2026-09-12 09:00" in seen and "/send/unschedule" not in seen  # editors see it, may not cancel
    assert editor.get(f"{url}/unschedule?list=newsletter").status_code == 403
    assert editor.post(f"{url}/unschedule", data={"list": "newsletter", "csrf": editor.token()}).status_code == 403
    assert sender.post(f"{url}/unschedule", data={"list": "newsletter"}).status_code == 403
    assert len(schedule.waiting(studio.store)) == 1
    assert sender.post(f"{url}/unschedule", data={"list": "newsletter", "csrf": sender.token()}).status_code == 303
    assert schedule.waiting(studio.store) == []
    again = sender.post(f"{url}/unschedule", data={"list": "newsletter", "csrf": sender.token()})
    assert again.status_code == 404 and "Nothing is scheduled for the list newsletter" in again.text
    assert [(e.actor, e.action) for e in audit_log(studio.store) if e.action.startswith("send_")] == [("tina", "send_unschedule"), ("tina", "send_schedule")]
    assert editor.get("/audit").status_code == 403 and 'href="/audit"' not in editor.get("/").text
    shown = sender.get("/audit?actor=tina&action=send_unschedule")
    assert shown.status_code == 200 and "1 entry; page 1 of 1." in shown.text and "cancelled a scheduled send" in shown.text
