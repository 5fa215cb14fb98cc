"""Four confirmations of one send at once (a13d minor 11, seen again by a14): one send job, one 'send' audit entry.

Four threads meet at a barrier, then each posts the review's confirmation; whatever the interleaving, the studio
starts one send and the audit log has one ``send`` (the others follow it, as ``send_refused``). No sleeps.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from leadex_mail.store.accounts import audit_log
from studio.studio_helpers import ISSUE, english_client, reviewed, serve_with_replies

TABS = 4


def test_four_confirmations_at_once_start_one_send_with_one_audit_entry(tmp_path: Path) -> None:
    controller, handler, settings, served = serve_with_replies(tmp_path, {"reader01@example.org": "451 4.2.1 Mailbox busy, try later"}, 3, LEADEX_SEND_BACKOFF_SECONDS="3600")
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)
            cookies = dict(client.cookies)
            barrier = threading.Barrier(TABS)
            answers: list[httpx.Response] = []

            def confirm() -> None:
                with httpx.Client(base_url=studio.url, follow_redirects=False, timeout=60, cookies=cookies, headers={"accept-language": "en"}) as tab:
                    barrier.wait()
                    answers.append(tab.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed}))

            tabs = [threading.Thread(target=confirm) for _ in range(TABS)]
            for tab in tabs:
                tab.start()
            for tab in tabs:
                tab.join()
            jobs = studio.server.config.app.state.studio.jobs
            try:
                assert sorted(a.status_code for a in answers) == [303] * TABS
                assert len(jobs.jobs) == 1
                assert len({a.headers["location"].split("?")[0] for a in answers}) == 1
                entries = [e.action for e in audit_log(studio.store) if e.action in ("send", "send_refused")]
                assert sorted(entries) == ["send"] + ["send_refused"] * (TABS - 1)
            finally:
                for job in jobs.jobs.values():
                    job.stop.set()
                    assert job.ended.wait(60)
    finally:
        controller.stop()
