"""The send confirms what was reviewed, once, and shows editors no addresses (session 6, brief B2: a13d minors 7, 8, 10, 11).

HTTP against the studio served for real (uvicorn in this process) over real SQLite files and real SMTP servers
(aiosmtpd) on loopback.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import EDITOR, ISSUE, SENDER, Replies, english_client, free_port, reviewed, serve_accounts_studio, serve_with_readers, serve_with_replies
from studio.test_studio_send import sse_until_done

HIDDEN = re.compile(r'<input type="hidden" name="(reviewed_version|reviewed_counts)" value="([^"]*)">')


def _sends(store) -> list:  # noqa: ANN001
    return [e for e in audit_log(store) if e.action == "send"]


def test_send_now_of_a_review_older_than_a_subscriber_sends_nothing_and_shows_the_new_review(tmp_path: Path) -> None:
    """a13d minor 7: "Send 44 messages now" sent 45 (a subscriber added to the list after the review)."""
    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 3)
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)
            assert confirmed["reviewed_counts"] == "sl=3"
            add_subscriber(studio.store, "late-added@example.org", language="sl", lists=("newsletter",), source="cli")
            stale = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed})
            assert stale.status_code == 409, stale.text[:300]
            assert "Nothing was sent: the list changed since you looked. 4 messages would go now." in stale.text
            assert "Send 4 messages now" in stale.text  # the new review, to confirm again
            assert handler.accepted == [] and _sends(studio.store) == []
            again = dict(HIDDEN.findall(stale.text))
            assert again["reviewed_counts"] == "sl=4"
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **again})
            assert started.status_code == 303, started.text[:300]
            assert sse_until_done(client, started.headers["location"] + "/events")["counts"]["sent"] == 4
            assert [e.detail["recipients"] for e in _sends(studio.store)] == [4]
    finally:
        controller.stop()


def test_send_now_of_a_review_of_other_files_sends_nothing(tmp_path: Path) -> None:
    """The same for the issue: a file saved after the review (in the studio, a terminal, git) is not sent unseen."""
    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 2)
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)
            edition = studio.newsletters / ISSUE / "sl.yaml"
            edition.write_text(edition.read_text(encoding="utf-8") + "\n# changed after the review\n", encoding="utf-8")
            stale = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed})
            assert stale.status_code == 409 and "Nothing was sent: the issue changed since you looked" in stale.text
            assert handler.accepted == [] and _sends(studio.store) == []
            # Without what was reviewed (a forged or an old form) nothing is sent either.
            bare = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter"})
            assert bare.status_code == 409 and handler.accepted == []
    finally:
        controller.stop()


def test_send_now_reuses_the_checks_of_the_review_of_the_same_files(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """a13d minor 8: confirming ran the whole (deep) check again; for the same files the review's results are the same."""
    from leadex_mail.studio import views_send

    calls: list[bool] = []
    real = views_send.check_readiness

    def counted(ctx, slug, force):  # noqa: ANN001, ANN202
        calls.append(force)
        return real(ctx, slug, force)

    monkeypatch.setattr(views_send, "check_readiness", counted)
    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 2)
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)
            assert calls == [True]
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed})
            assert started.status_code == 303, started.text[:300]
            assert calls == [True]  # not checked again
            sse_until_done(client, started.headers["location"] + "/events")
            # A change since the review is still caught: the checks run again (and the confirmation is refused).
            reviewed_now = reviewed(client)
            edition = studio.newsletters / ISSUE / "sl.yaml"
            edition.write_text(edition.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
            client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed_now})
            assert calls[1:3] == [True, False]
    finally:
        controller.stop()


def test_two_confirmations_at_once_are_audited_as_one_send(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """a13d minor 11: two tabs confirming together wrote two 'send' records (45 recipients, and 1) for one send.

    The first confirmation is held while it writes its audit record until the second one is as far as it can go
    (past its checks: writing its own record on the old code, waiting for the first one's send on the new, which
    ``SendJobs.confirm_waiting`` says). Waits on those events only: never on the clock.
    """
    from leadex_mail.studio import views_send

    real = views_send.record
    sends: list[str] = []
    second_came = threading.Event()  # the second confirmation waits for the first (or, on the old code, records too)

    def held(store, actor, action, target, **kwargs):  # noqa: ANN001, ANN202
        if action == "send":
            sends.append(action)
            if len(sends) == 1:
                assert second_came.wait(60), "the second confirmation never came"
            else:
                second_came.set()
        return real(store, actor, action, target, **kwargs)

    monkeypatch.setattr(views_send, "record", held)
    controller, handler, settings, served = serve_with_replies(tmp_path, {"reader01@example.org": "451 4.2.1 Mailbox busy, try later"}, 3, LEADEX_SEND_BACKOFF_SECONDS="3600")
    try:
        with served as studio:
            jobs = studio.server.config.app.state.studio.jobs
            jobs.confirm_waiting = lambda slug, list_name: second_came.set()
            first, token = english_client(studio)
            confirmed = reviewed(first)
            answers: list[httpx.Response] = []

            def confirm() -> None:
                answers.append(first.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed}))

            tabs = [threading.Thread(target=confirm) for _ in range(2)]
            for tab in tabs:
                tab.start()
            for tab in tabs:
                tab.join()
            assert sorted(a.status_code for a in answers) == [303, 303]
            locations = sorted(a.headers["location"] for a in answers)
            assert locations[1] == locations[0] + "?joined=1"  # the second follows the first's send
            assert [e.detail["recipients"] for e in _sends(studio.store)] == [3]
            assert len(jobs.jobs) == 1
    finally:
        controller.stop()


def test_editors_see_counts_of_failed_deliveries_and_no_addresses(tmp_path: Path) -> None:
    """a13d minor 10: an editor (who may not see subscribers) saw failed addresses and the servers' replies; states as codes."""
    from aiosmtpd.controller import Controller

    from studio.test_studio_account_changes import signed_in

    handler = Replies({"reader@example.org": "550 5.1.1 <reader@example.org>: User unknown"})
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {
        "LEADEX_TRANSPORT": "smtp", "LEADEX_SMTP_HOST": "127.0.0.1", "LEADEX_SMTP_PORT": str(port), "LEADEX_SMTP_SECURITY": "none",
        "LEADEX_SECRET_KEY": "studio-test-secret-key-0123456789", "LEADEX_PUBLIC_URL": "https://news.example.org",
    }
    try:
        with serve_accounts_studio(tmp_path, **smtp) as studio:
            send_campaign(studio.store, load_issue(ISSUE, studio.settings), studio.settings, list_name="newsletter")
            editor = signed_in(studio, EDITOR).get(f"/issues/{ISSUE}/send").text
            assert "1 failed" in editor  # the counts
            assert "reader@example.org" not in editor and "User unknown" not in editor
            assert "is shown to senders only" in editor
            sender = signed_in(studio, SENDER).get(f"/issues/{ISSUE}/send").text
            assert "reader@example.org" in sender and "User unknown" in sender
            assert "not delivered (the address does not exist or was refused for good)" in sender
            assert "failed (permanent)" not in sender
    finally:
        controller.stop()


class BusyThenHeld:
    """aiosmtpd handler: ``address`` gets 451 ``busy`` times, then its next attempt is held until ``release``; others 250."""

    def __init__(self, address: str, busy: int) -> None:
        self.address, self.busy = address, busy
        self.tries = 0
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        import asyncio

        if address == self.address:
            self.tries += 1
            if self.tries <= self.busy:
                return "451 4.2.1 Mailbox busy, try later"
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        return "250 2.0.0 OK: queued"


def test_the_progress_line_says_the_figures_status_says(tmp_path: Path) -> None:
    """a13d minor 6: "1 failed, 3 to try again" when one message waited (attempts counted), and a rate of its own.

    One address is busy three times, then its fourth attempt is held: the line counts messages (at most the one that
    waits to be tried again; never its three attempts) and says the average rate ``status`` says (the same core
    function, ``runner.campaign_figures``).
    """
    from leadex_mail.campaign.runner import campaign_status

    handler = BusyThenHeld("reader01@example.org", 3)
    env = {"LEADEX_SEND_BACKOFF_SECONDS": "0.01", "LEADEX_SEND_MAX_ATTEMPTS": "6", "LEADEX_SEND_CONCURRENCY": "1"}
    controller, settings, served = serve_with_readers(tmp_path, handler, 3, **env)
    try:
        with served as studio:
            client, token = english_client(studio)
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)})
            assert started.status_code == 303, started.text[:300]
            assert handler.holding.wait(60), "the fourth attempt never came"
            page = client.get(started.headers["location"]).text
            line = re.search(r'<p id="job-line"[^>]*>([^<]*)</p>', page).group(1)
            status = campaign_status(studio.store, ISSUE)[0]  # what `leadex-mail status` prints (its rate to one decimal)
            assert status.counts["sent"] == 2 and status.counts["failed"] == 0
            said = [f"2 of 3 handled, {round(status.rate, 1)} a second, 0 failed, {w} to try again" for w in (1, 0)]
            assert line in said, (line, said)  # 1 waiting, or 0 once claimed again (then being sent): never 3
            handler.release.set()
            done = sse_until_done(client, started.headers["location"] + "/events")
            final = campaign_status(studio.store, ISSUE)[0]
            assert done["figures"] == {"handled": 3, "total": 3, "failed": 0, "waiting": 0, "rate": round(final.rate, 1)}
    finally:
        handler.release.set()
        controller.stop()


def test_the_offer_of_changes_kept_at_a_stop_goes_when_the_edition_is_saved(studio, studio_page) -> None:  # noqa: ANN001
    """a13d minor 15: after Save the banner still offered "Restore my unsaved changes" (until a reload): pressing it
    would have brought the older draft back over what was just saved."""
    from playwright.sync_api import expect

    from leadex_mail.studio import recovery
    from leadex_mail.studio.auth import local_actor
    from leadex_mail.studio.document import read_stamp
    from studio.studio_helpers import LIVE, editor_field

    edition = studio.file(ISSUE, "sl")
    before = edition.read_text(encoding="utf-8")
    recovery.keep(studio.settings, local_actor(), ISSUE, "sl", before.replace("Uvodni sestanek", "Kept heading", 1), read_stamp(edition), studio.clock())
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    expect(page.locator("#kept")).to_have_count(1)
    editor_field(page, "sections.1.heading").fill("Saved after the stop")
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=LIVE)
    expect(page.locator("#kept")).to_have_count(0)
    assert recovery.find(studio.settings, local_actor(), ISSUE, "sl") is None
    assert "Saved after the stop" in edition.read_text(encoding="utf-8")


def test_send_now_says_it_is_working_and_a_second_press_sends_nothing_more(tmp_path: Path, studio_page, monkeypatch) -> None:  # noqa: ANN001
    """a13d minor 8: "Send 44 messages now" gave no sign for 30-240 s (the checks again), so officers pressed again.

    The send's plan is held until the test has seen the button working and pressed it again: one request, one send.
    """
    from playwright.sync_api import expect

    from leadex_mail.campaign import runner

    real = runner.plan_campaign
    plans: list[int] = []
    go_on = threading.Event()

    def held(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        plans.append(1)
        if len(plans) == 2:  # the send's (the first is the review's)
            go_on.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "plan_campaign", held)
    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 2)
    try:
        with served as studio:
            page = studio_page
            page.goto(f"{studio.url}/issues/{ISSUE}/send/review?list=newsletter")
            button = page.locator("#send-now")
            expect(button).to_have_text("Send 2 messages now")
            # Pressed, pressed again, and read, in one script: the page is navigating (its request held), and Playwright's
            # own clicks and locators wait for that to end.
            working = page.evaluate("""() => {
              const button = document.getElementById('send-now'), status = document.getElementById('send-now-status');
              button.click();
              document.getElementById('send-now-form').requestSubmit();  // a second press (Enter, a script)
              return new Promise((done) => setTimeout(() => done([button.disabled, button.textContent, status.textContent, status.getAttribute('aria-live')]), 0));
            }""")
            assert working == [True, "Checking the issue again before sending…", "Checking the issue again before sending…", "polite"]
            go_on.set()
            page.wait_for_url(re.compile(r"/send/jobs/newsletter-[0-9a-f]{8}$"))
            assert len(plans) == 2
            assert [e.detail["recipients"] for e in _sends(studio.store)] == [2]
    finally:
        go_on.set()
        controller.stop()


def test_the_page_of_a_send_of_an_earlier_studio_links_to_the_running_send_once(tmp_path: Path) -> None:
    """Left by brief B: the page of a send from before a restart showed "A send to newsletter is running: follow it" twice."""
    from leadex_mail.store.campaigns import find_campaign

    controller, handler, settings, served = serve_with_replies(tmp_path, {"reader01@example.org": "451 4.2.1 Mailbox busy, try later"}, 3, LEADEX_SEND_BACKOFF_SECONDS="3600")
    try:
        with served as studio:
            send_campaign(studio.store, load_issue(ISSUE, settings), settings, list_name="newsletter", limit=1)  # stopped after one
            client, token = english_client(studio)
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", "resume": "1"})
            assert started.status_code == 303, started.text[:300]
            jobs = studio.server.config.app.state.studio.jobs
            assert any(not j.finished for j in jobs.jobs.values())  # waits to retry reader01 for an hour: running
            page = client.get(f"/issues/{ISSUE}/send/jobs/newsletter-0badf00d").text  # an earlier studio's send
            assert "The studio was started again since this send began" in page
            assert page.count("A send to newsletter is running: follow it") == 1, page
            assert find_campaign(studio.store, ISSUE, "newsletter") is not None
    finally:
        controller.stop()
