"""The progress and outcome of a send say what happened truly (a14).

* A send that ended with failures is not "sent": "1 of 3 sent, 2 could not be delivered", on the job's page and in the
  campaign's heading.
* Messages waiting because no mail server took the connection (refused, no answer in time, no secure connection,
  sign-in refused) are said in words -- never "the mail server turned away" nor "The server said: [Errno 111] …".
Real SQLite, real aiosmtpd on loopback (or, for "not running", a loopback port nothing listens on).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from studio.studio_helpers import ISSUE, add_readers, copy_newsletters, english_client, free_port, reviewed, serve_studio_on_store, serve_with_replies, studio_settings
from studio.test_studio_send import sse_until_done


def test_a_send_where_two_of_three_failed_does_not_say_sent(tmp_path: Path) -> None:
    refused = "550 5.1.1 No such user"
    controller, handler, settings, served = serve_with_replies(tmp_path, {"reader00@example.org": refused, "reader02@example.org": refused}, 3)
    try:
        with served as studio:
            client, token = english_client(studio)
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)})
            assert started.status_code == 303
            done = sse_until_done(client, started.headers["location"] + "/events")
            assert (done["status"], done["counts"]["sent"], done["counts"]["failed"]) == ("done", 1, 2)
            page = client.get(started.headers["location"]).text
            assert "The send ended: 1 of 3 sent, 2 could not be delivered." in page
            assert "The send ended: sent." not in page
            assert "To newsletter: ended, some messages could not be delivered" in page
            assert "To newsletter: sent" not in page
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("451 4.2.1 Mailbox busy, try later", None),  # a server's reply: shown as it is
        ("421 4.3.2 Service shutting down", None),
        ("[Errno 111] Connection refused", "unreachable"),
        ("[Errno -2] Name or service not known", "unreachable"),
        ("Connection unexpectedly closed", "unreachable"),
        ("timed out", "timeout"),
        ("no answer within 30 s", "timeout"),
        ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "tls"),
        ("535 5.7.8 Authentication credentials invalid", "login"),
    ],
)
def test_waiting_without_a_server_reply_is_said_in_words(reason: str, why: str | None) -> None:
    from leadex_mail.studio.sending import not_answered

    assert not_answered(reason) == why


def _first_waiting(client, url: str) -> dict:  # noqa: ANN001
    """The first progress event of the job's stream that says messages wait (or its done event)."""
    with client.stream("GET", url) as response:
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind in ("progress", "done"):
                state = json.loads(line[6:])
                if state["waiting"] or kind == "done":
                    return state
    raise AssertionError("the stream ended without a done event")


def test_a_mail_server_not_running_during_a_send_is_said_in_words(tmp_path: Path) -> None:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, free_port(), LEADEX_SEND_BACKOFF_SECONDS="3600")  # nothing listens there
    with serve_studio_on_store(settings, None, root=tmp_path, prepare=lambda store: add_readers(store, 3)) as studio:
        client, token = english_client(studio)
        started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)})
        assert started.status_code == 303
        state = _first_waiting(client, started.headers["location"] + "/events")
        [job] = studio.server.config.app.state.studio.jobs.jobs.values()
        try:
            if state["finished"]:  # paused at once by the server failures: the outcome says so, never "turned away"
                page = client.get(started.headers["location"]).text
            else:
                assert state.get("retry_why") == "unreachable"
                page = client.get(started.headers["location"]).text
                assert "could not be handed to the mail server yet" in page
                assert "Is the mail server running?" in page
            shown = " ".join(re.findall(r'<p id="job-waiting-(?:line|reason)">(.*?)</p>', page)) + " ".join(re.findall(r'<p role="status" id="job-status">(.*?)</p>', page))
            assert "turned away" not in shown and "The server said" not in shown
        finally:
            job.stop.set()
            assert job.ended.wait(60)
        table = client.get(started.headers["location"]).text.split('<table class="failures">', 1)[1].split("</table>", 1)[0]
        assert "Is the mail server running?" in table and "Connection refused" in table
        assert "the server was busy" not in table
