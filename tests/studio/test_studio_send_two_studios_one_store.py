"""Two studios on one store confirming one send at once: one campaign, one audit entry per confirmation (brief s8-sched #5).

Four confirmations at once in one studio were already one send (``SendJobs.starting``, an in-process lock). Two
studios -- two apps, each with its own store connections and its own sends, as two processes on one SQLite file or
one PostgreSQL database -- shared no lock: each decided on what it had read, both recorded ``send`` and both started a
send of their own. Now the store decides each confirmation where the campaign opens (``store.confirm``): whatever the
interleaving, one ``send``, one ``send_refused`` (``started_elsewhere``, or ``nothing_left`` when the first send was
already over), one campaign, each reader mailed once. Real studios over HTTP, real aiosmtpd on loopback; the two
confirmations meet at a barrier; no sleeps.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest

from leadex_mail.store.accounts import audit_log
from leadex_mail.store.campaigns import list_campaigns
from leadex_mail.store.db import open_store
from studio.studio_helpers import ISSUE, Replies, add_readers, copy_newsletters, english_client, free_port, serve_studio, studio_settings

READERS = 3
TARGET = f"{ISSUE} -> newsletter"


def review_form(client: httpx.Client) -> dict[str, str]:
    """Every hidden field of the review's "Send now" form (what it confirms)."""
    page = client.get(f"/issues/{ISSUE}/send/review?list=newsletter").text
    form = page[page.index('id="send-now-form"'):]
    return dict(re.findall(r'<input type="hidden" name="(reviewed_[a-z]+)" value="([^"]*)">', form[:form.index("</form>")]))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_studios_confirming_one_send_start_one_campaign_with_one_entry_each(tmp_path: Path, backend: str, request) -> None:
    from aiosmtpd.controller import Controller

    handler = Replies({})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    copy_newsletters(tmp_path, ISSUE)
    env = {"LEADEX_DATABASE_URL": request.getfixturevalue("pg_cluster").new_database(migrated=True)} if backend == "postgresql" else {}
    settings = studio_settings(tmp_path, controller.port, **env)
    stores = [open_store(settings), open_store(settings)]  # one engine per studio, as two processes have
    add_readers(stores[0], READERS)
    try:
        with serve_studio(settings, store=stores[0], root=tmp_path) as first, serve_studio(settings, store=stores[1], root=tmp_path) as second:
            tabs = []
            for studio in (first, second):
                client, token = english_client(studio)
                tabs.append((studio, client, {"csrf": token, "list": "newsletter", **review_form(client)}))
            assert all(form.get("reviewed_new") == "1" for _, _, form in tabs)
            barrier = threading.Barrier(len(tabs))
            answers: dict[int, httpx.Response] = {}

            def confirm(i: int) -> None:
                _, client, form = tabs[i]
                barrier.wait()
                answers[i] = client.post(f"/issues/{ISSUE}/send/start", data=form)

            threads = [threading.Thread(target=confirm, args=(i,)) for i in range(len(tabs))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            jobs = [job for studio, _, _ in tabs for job in studio.server.config.app.state.studio.jobs.jobs.values()]
            try:
                assert sorted(a.status_code for a in answers.values()) == [303, 303]
                assert len(jobs) == 1  # before: each studio started a send of its own
                [won] = [i for i, a in answers.items() if "/send/jobs/" in a.headers["location"]]
                lost = answers[1 - won].headers["location"]
                assert re.search(r"done=(started_elsewhere|nothing_left)&list=newsletter$", lost), lost
                assert jobs[0].ended.wait(60)
                entries = [(e.action, e.detail.get("reason")) for e in audit_log(stores[0]) if e.target == TARGET and e.action in ("send", "send_refused")]
                assert sorted(entries, key=str) == sorted([("send", None), ("send_refused", lost.split("done=")[1].split("&")[0])], key=str)
                assert len(list_campaigns(stores[0], ISSUE)) == 1
                assert sorted(handler.accepted) == [f"reader{i:02d}@example.org" for i in range(READERS)]
                said = tabs[1 - won][1].get(lost).text
                assert "the send to the list newsletter was started meanwhile" in said or "has this issue already" in said
            finally:
                for job in jobs:
                    job.stop.set()
                    job.ended.wait(60)
    finally:
        for store in stores:
            store.close()
        controller.stop()
