"""The send pages offer only what would do something; a second "Send now" follows the first (session 6, brief B).

HTTP against the studio served for real over real SQLite files and real SMTP servers (aiosmtpd) on loopback.
"""

from __future__ import annotations

from pathlib import Path

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.accounts import audit_log
from studio.studio_helpers import ISSUE, english_client, reviewed, serve_with_replies
from studio.test_studio_send import sse_until_done

RETRY = "Try the temporary failures again (newsletter)"
FOR_GOOD = "Failed for good: 1. The mail server said these addresses do not exist"


def test_only_permanent_failures_offer_no_retry_and_say_what_to_do(tmp_path: Path) -> None:
    """The tester's report: "Try the temporary failures again" shown for a campaign whose only failure is permanent."""
    controller, _, settings, served = serve_with_replies(tmp_path, {"reader01@example.org": "550 5.1.1 <reader01@example.org>: User unknown"}, 3)
    try:
        with served as studio:
            client, token = english_client(studio)
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)})
            job = started.headers["location"]
            assert sse_until_done(client, job + "/events")["counts"]["failed"] == 1
            for page in (client.get(job).text, client.get(f"/issues/{ISSUE}/send").text):  # the outcome, and Test and send
                assert "550 5.1.1" in page  # the failure is shown, with the server's reply
                assert RETRY not in page and "/send/retry" not in page
                assert FOR_GOOD in page
            # Pressed anyway (an old page): refused in words, nothing sent again.
            refused = client.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"})
            assert "There is nothing to try again" in refused.text
    finally:
        controller.stop()


def test_a_temporary_failure_beside_a_permanent_one_is_offered_again(tmp_path: Path) -> None:
    replies = {"reader01@example.org": "550 5.1.1 <reader01@example.org>: User unknown", "reader02@example.org": "451 4.2.1 Mailbox busy, try later"}
    controller, handler, settings, served = serve_with_replies(tmp_path, replies, 4, LEADEX_SEND_MAX_ATTEMPTS="1")
    try:
        with served as studio:
            client, token = english_client(studio)
            job = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)}).headers["location"]
            sse_until_done(client, job + "/events")
            page = client.get(f"/issues/{ISSUE}/send").text
            assert RETRY in page and FOR_GOOD in page
            del handler.replies["reader02@example.org"]
            again = client.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"})
            assert sse_until_done(client, again.headers["location"] + "/events")["counts"]["sent"] == 3
            after = client.get(f"/issues/{ISSUE}/send").text
            assert RETRY not in after and FOR_GOOD in after  # nothing left to retry: the button is gone
    finally:
        controller.stop()


def test_send_now_pressed_again_while_the_send_runs_follows_it_and_says_so(tmp_path: Path) -> None:
    """Two tabs (or two presses) on "Send now": the second follows the first's send, never shows a send of its own."""
    controller, _, settings, served = serve_with_replies(tmp_path, {"reader01@example.org": "451 4.2.1 Mailbox busy, try later"}, 2, LEADEX_SEND_BACKOFF_SECONDS="3600")
    try:
        with served as studio:
            first, token = english_client(studio)
            confirmed = reviewed(first)
            job = first.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed}).headers["location"]
            assert "?" not in job
            second = first.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed})
            assert second.status_code == 303 and second.headers["location"] == job + "?joined=1"
            page = first.get(second.headers["location"]).text
            assert "This send to newsletter was started from another tab or window" in page
            assert 'id="job-line"' in page  # its real progress, followed live
            # A retry pressed meanwhile leads there too (a send runs: the status links to it, no button).
            assert first.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"}).headers["location"] == job + "?joined=1"
            status = first.get(f"/issues/{ISSUE}/send").text
            assert f'href="{job}" data-following="newsletter"' in status and RETRY not in status
            assert len(studio.server.config.app.state.studio.jobs.jobs) == 1
    finally:
        controller.stop()


def test_send_now_of_a_page_whose_list_got_the_issue_meanwhile_starts_nothing(tmp_path: Path) -> None:
    """The other tab's send ended before this tab pressed: nothing is started or logged as a send; the page says why."""
    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 3)
    try:
        with served as studio:
            send_campaign(studio.store, load_issue(ISSUE, settings), settings, list_name="newsletter")  # the other tab, a terminal, the worker
            client, token = english_client(studio)
            late = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter"})
            assert late.status_code == 303 and late.headers["location"] == f"/issues/{ISSUE}/send?done=nothing_left&list=newsletter"
            page = client.get(late.headers["location"]).text
            assert "Nothing was sent: everyone on the list newsletter has this issue already" in page
            assert "3 sent" in page
            assert not studio.server.config.app.state.studio.jobs.jobs
            assert not [e for e in audit_log(studio.store) if e.action == "send"]
            assert len(handler.accepted) == 3
    finally:
        controller.stop()


def test_with_unsaved_changes_no_test_or_send_button_is_offered_but_where_to_save(tmp_path: Path) -> None:
    """A test send and a send are refused while a draft is unsaved: the page offers no button that would be refused."""
    controller, handler, settings, served = serve_with_replies(tmp_path, {}, 1)
    try:
        with served as studio:
            client, token = english_client(studio)
            page = client.get(f"/issues/{ISSUE}/send").text
            assert ">Send the test</button>" in page and ">Review the send</button>" in page and "unsaved-blocked" not in page
            assert client.post(f"/issues/{ISSUE}/sl/field", json={"path": "title", "value": "Neshranjeno"}, headers={"X-CSRF-Token": token}).status_code == 200
            page = client.get(f"/issues/{ISSUE}/send").text
            assert "Send the test</button>" not in page and "Review the send</button>" not in page
            assert page.count("To test or send, first save or discard the unsaved changes in the editor: <a href=\"/issues/" + ISSUE + "/sl\">sl</a>") == 2
    finally:
        controller.stop()


def test_a_stream_opened_just_before_the_send_ended_still_says_it_ended() -> None:
    """The send ends while its page's stream writes the first progress: the stream goes on to ``done`` (it used to just stop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from leadex_mail.studio.sending import SendJob

    async def follow() -> list[str]:
        job = SendJob("newsletter-0badf00d", ISSUE, "newsletter", "local", datetime(2026, 9, 10, tzinfo=UTC), total=46, done=45, _loop=asyncio.get_running_loop())
        stream = job.events(asyncio.Event())
        said = [await anext(stream), await anext(stream)]  # retry, then where the send stands: 45 of 46
        job.done, job.finished, job.status = 46, True, "done"  # the sending thread ends meanwhile...
        job._publish()  # ...and reports it (publish_from_thread, run by the loop)
        said.append(await asyncio.wait_for(anext(stream), 30))
        return said

    with ThreadPoolExecutor(1) as pool:  # a loop of its own: Playwright's may be running in this thread (the whole suite)
        said = pool.submit(asyncio.run, follow()).result(timeout=60)
    assert said[1].startswith("event: progress") and '"done": 45' in said[1]
    assert said[2].startswith("event: done") and '"done": 46' in said[2] and '"finished": true' in said[2]
