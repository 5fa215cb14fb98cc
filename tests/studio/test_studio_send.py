"""Test sends and sends to a list from the studio: the CLI's confirmation, live progress, status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.accounts import audit_log
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, add_readers, assert_accessible, copy_newsletters, reviewed, serve_studio, serve_studio_on_store, studio_settings

pytestmark = pytest.mark.browser
DEEP_CHECK = 300_000  # ms

# The brand's footer with one link that says only "here" (its website written as a social link labelled "here"):
# found in the rendered mail only, in every edition (the content check judges each link of an edition at its field,
# partners' and interviews' too: content.linkpurpose; the brand's footer is the operator's, judged by the deep check).
WEBSITE = "website: https://www.interregeurope.eu/leadex"
FOOTER_HERE = "social:\n  - label: here\n    url: https://www.interregeurope.eu/leadex"



@pytest.fixture
def sending_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)

    def fifty_readers(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", title="LeadEx novice", public=True)
        for i in range(50):
            add_subscriber(store, f"reader{i:02d}@example.org", language="en" if i % 5 == 0 else "sl", lists=("newsletter",), source="cli")

    with serve_studio_on_store(studio_settings(tmp_path, smtp_server.port), smtp_server, root=tmp_path, prepare=fifty_readers) as running:
        yield running


def test_test_send_then_send_to_a_list_with_live_progress(sending_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = sending_studio, studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/send")
    assert_accessible(page)
    page.get_by_label("Send the test to").fill("officer@example.org")
    page.get_by_label("Edition", exact=True).select_option("en")
    page.get_by_role("button", name="Send the test").click()
    expect(page.locator("#test-results")).to_contain_text("Sent to officer@example.org (English).", timeout=LIVE)
    [test] = studio.smtp.wait_for("officer@example.org")
    assert test.message()["Subject"].startswith("[TEST] ")

    page.get_by_label("List", exact=True).select_option("newsletter")
    page.get_by_role("button", name="Review the send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the send to newsletter")
    plan = page.locator("dl.plan")
    expect(plan).to_contain_text("English edition")
    expect(plan).to_contain_text("10 recipients")
    expect(plan).to_contain_text("40 recipients")
    expect(page.locator("#plan-total")).to_have_text("50")
    expect(plan).to_contain_text(f"By email, through the mail server 127.0.0.1 (port {studio.smtp.port}), over a connection that is not encrypted")
    assert_accessible(page)
    page.get_by_role("button", name="Send 50 messages now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sending to newsletter")
    expect(page.locator("#job-status")).to_have_text("The send ended: sent.", timeout=LIVE)
    expect(page.locator("[data-campaign-counts=newsletter]")).to_contain_text("50 sent")
    assert_accessible(page)
    assert len({r for m in studio.smtp.messages for r in m.rcpt_tos if r.startswith("reader")}) == 50

    page.goto(f"{studio.url}/")
    expect(page.locator("table.issues")).to_contain_text("sent")
    actions = [(e.action, e.target) for e in audit_log(studio.store)]
    assert ("send_test", ISSUE) in actions and ("send", f"{ISSUE} -> newsletter") in actions
    assert {e.actor for e in audit_log(studio.store)} == {next(e.actor for e in audit_log(studio.store))}
    assert next(e.actor for e in audit_log(studio.store)).startswith("local")


def test_a_send_is_refused_while_the_check_finds_errors(sending_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = sending_studio, studio_page
    file = studio.file(ISSUE, "sl")
    file.write_text(file.read_text(encoding="utf-8").replace("url: https://www.interregeurope.eu/leadex", 'url: "#"', 1), encoding="utf-8")
    page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter")
    expect(page.get_by_role("alert")).to_contain_text("The check found 1 error.")
    expect(page.locator(".problem-list .error")).to_contain_text("Slovenian edition · section 2 (Story) · “More here” link · Address (URL): This link has no real address yet.")
    expect(page.get_by_role("button", name="Send 50 messages now")).to_have_count(0)
    assert_accessible(page)
    assert not any(r.startswith("reader") for m in studio.smtp.messages for r in m.rcpt_tos)


@pytest.mark.slow
def test_the_review_runs_the_deep_checks_as_send_does(tmp_path: Path, smtp_server, studio_page: Page) -> None:
    """A footer link that says only "here" passes `check` but not `check --deep`; the review refuses it like `send`."""
    copy_newsletters(tmp_path, ISSUE)
    brand = tmp_path / "newsletters" / "brand.yaml"
    brand.write_text(brand.read_text(encoding="utf-8").replace(WEBSITE, FOOTER_HERE, 1), encoding="utf-8")
    settings = studio_settings(tmp_path, smtp_server.port, LEADEX_SEND_DEEP_CHECK="true")
    store = open_store(settings)
    create_list(store, "newsletter", title="LeadEx novice", public=True)
    add_subscriber(store, "ana@example.org", language="en", lists=("newsletter",), source="cli")
    try:
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            page = studio_page
            # The page answers once SpamAssassin and a browser have looked at both editions: seconds,
            # and a minute or more on a loaded machine. A bound for a hang, not a speed requirement.
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter", timeout=DEEP_CHECK)
            expect(page.get_by_role("alert")).to_contain_text("The check found 2 errors.")
            english = page.locator(".problem-list .error").filter(has_text="English edition")
            expect(english).to_contain_text("English edition: The email as it would be sent fails a check of its structure or its links.")
            expect(english.locator("details")).to_contain_text("the link 'here'")  # the details, for whoever looks further
            expect(page.get_by_role("button", name="Send 1 message now")).to_have_count(0)
    finally:
        store.close()
    assert not smtp_server.messages


class BusyFor:
    """An aiosmtpd handler that answers 451 (try later) to the addresses in ``busy``, accepts the rest."""

    def __init__(self, busy: set[str]) -> None:
        self.busy = busy
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.busy:
            return "451 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.extend(envelope.rcpt_tos)
        return "250 2.0.0 OK: queued"


def sse_until_done(client, url: str) -> dict:
    """Read a job's Server-Sent Events until its ``done`` event; its data."""
    import json

    with client.stream("GET", url) as response:
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "done":
                return json.loads(line[6:])
    raise AssertionError("the stream ended without a done event")


def test_temporary_failures_are_shown_with_the_reply_and_retried(tmp_path: Path) -> None:
    import re

    from aiosmtpd.controller import Controller

    from studio.studio_helpers import free_port  # not `from conftest`: in the whole suite that name is another folder's conftest

    handler = BusyFor({"reader03@example.org"})
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        copy_newsletters(tmp_path, ISSUE)
        settings = studio_settings(tmp_path, port, LEADEX_SEND_MAX_ATTEMPTS="1")
        store = open_store(settings)
        add_readers(store, 5)
        with serve_studio(settings, store=store, root=tmp_path) as studio:
            client = studio.client()
            token = re.search(r'data-csrf="([^"]+)"', client.get("/").text).group(1)
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)})
            assert started.status_code == 303
            job = started.headers["location"]
            assert sse_until_done(client, job + "/events")["counts"] == {"queued": 0, "sending": 0, "sent": 4, "retry_wait": 0, "failed": 1, "skipped": 0, "uncertain": 0, "held": 0}
            page = client.get(job).text
            assert "reader03@example.org" in page and "451 4.2.1 Mailbox busy" in page
            handler.busy.clear()
            again = client.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"})
            assert again.status_code == 303
            assert sse_until_done(client, again.headers["location"] + "/events")["counts"]["sent"] == 5
            assert sorted(handler.accepted) == [f"reader{i:02d}@example.org" for i in range(5)]
        store.close()
    finally:
        controller.stop()


def test_the_review_says_who_on_the_list_has_the_issue_through_another_list(tmp_path: Path, smtp_server) -> None:
    """The studio's review is the CLI's confirmation: people on both lists who got the issue are not counted, and it says so."""
    from leadex_mail.campaign.runner import send_campaign
    from leadex_mail.content.loader import load_issue

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)
    store = open_store(settings)
    create_list(store, "newsletter", public=True)
    create_list(store, "partners")
    for i in range(4):
        add_subscriber(store, f"reader{i:02d}@example.org", language="sl", lists=("newsletter", "partners") if i < 3 else ("newsletter",), source="cli")
    add_subscriber(store, "partner@example.org", language="en", lists=("partners",), source="cli")
    assert send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter").sent_now == 4
    with serve_studio(settings, store=store, root=tmp_path) as studio:
        page = studio.client().get(f"/issues/{ISSUE}/send/review?list=partners").text
    store.close()
    # The studio speaks the officer's language (sl here): "already received it through the list 'newsletter': will not get it again".
    assert "To številko so že prejeli prek seznama »newsletter«: še enkrat je ne bodo dobili</dt><dd class=\"elsewhere\">3</dd>" in page
    assert '<dd id="plan-total">1</dd>' in page  # only the partner
