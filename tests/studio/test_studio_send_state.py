"""The studio shows what the core would refuse before the officer confirms, and a campaign's true state everywhere.

a13b finding 4: the review approved continuing a campaign already sent whose
issue was edited after; the send then refused in the CLI's words. Finding 9:
an interrupted send showed "sending" on the Issues page and in reports.csv,
and Ctrl-C on the studio mid-send printed only "Studio stopped.". Over real
HTTP, with a real SMTP server on loopback and real SQLite files.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.campaigns import find_campaign, state_counts
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, add_readers, copy_newsletters, free_port, reviewed, serve_studio_on_store, studio_settings


def _client(studio):  # noqa: ANN001, ANN202
    client = studio.client()
    client.headers["accept-language"] = "en"
    token = re.search(r'data-csrf="([^"]+)"', client.get("/").text).group(1)
    return client, token


def test_the_review_refuses_continuing_a_sent_issue_changed_since_in_the_officers_words(tmp_path: Path, smtp_server) -> None:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def sent_then_one_more(store) -> None:  # noqa: ANN001
        add_readers(store, 2)
        assert send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter").status == "done"
        add_subscriber(store, "late@example.org", language="sl", lists=("newsletter",), source="cli")  # joined after: still to send

    edition = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=sent_then_one_more) as studio:
        client, token = _client(studio)
        before = len(smtp_server.messages)
        text = edition.read_text(encoding="utf-8")
        edition.write_text(text.replace("Murcia", "Murciji, popravljeno", 1), encoding="utf-8")  # edited after sending
        review = client.get(f"/issues/{ISSUE}/send/review?list=newsletter")
        assert review.status_code == 409
        assert "This issue was sent to newsletter from" in review.text and "2 people got it, and its sl edition changed since" in review.text
        assert "make it a new issue" in review.text and "Start a new issue" in review.text
        assert 'id="send-now"' not in review.text and "schedule-send" not in review.text  # nothing to confirm
        assert "folder/slug" not in review.text  # never the CLI's words
        # The send itself refuses with the same words (a stale review page, a second tab).
        started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter"})
        assert started.status_code == 409 and "2 people got it, and its sl edition changed since" in started.text
        assert len(smtp_server.messages) == before
        # The Issues page says the issue was sent, and that it changed since.
        issues = client.get("/").text
        assert "Sent from " in issues and "a change made now reaches nobody who got it" in issues
        assert "Changed since it was sent" in issues


def test_the_review_of_a_list_nobody_on_it_can_receive_says_so_not_that_everyone_has_it(tmp_path: Path, smtp_server) -> None:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def lists(store) -> None:  # noqa: ANN001
        create_list(store, "empty")
        add_subscriber(store, "left@example.org", language="sl", lists=("empty",), source="cli")
        from leadex_mail.store.subscribers import unsubscribe

        unsubscribe(store, add_subscriber(store, "gone@example.org", language="sl", lists=("empty",), source="cli").id, source="cli")
        unsubscribe(store, 1, source="cli")

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=lists) as studio:
        client, _ = _client(studio)
        review = client.get(f"/issues/{ISSUE}/send/review?list=empty").text
    assert "Nothing to send: nobody on the list empty can receive it" in review
    assert "everyone on the list has this issue already" not in review and 'id="send-now"' not in review


def test_an_interrupted_send_is_shown_interrupted_everywhere_with_its_other_lists(tmp_path: Path, smtp_server) -> None:
    """Stopped with deliveries left and nobody sending it: Issues page, send page, reports and reports.csv say "interrupted"."""
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def interrupted(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", public=True)
        create_list(store, "partners")
        for i in range(3):
            add_subscriber(store, f"reader{i}@example.org", language="sl", lists=("newsletter", "partners") if i == 0 else ("newsletter",), source="cli")
        for i in range(2):
            add_subscriber(store, f"partner{i}@example.org", language="sl", lists=("partners",), source="cli")
        issue = load_issue(ISSUE, settings)
        assert send_campaign(store, issue, settings, list_name="newsletter").status == "done"
        # Stopped after one of the two partners, as a Ctrl-C or a killed studio leaves it: stored "running", no sender.
        assert send_campaign(store, issue, settings, list_name="partners", limit=1).status == "running"

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=interrupted) as studio:
        client, _ = _client(studio)
        issues = client.get("/").text
        assert 'class="state state-interrupted">interrupted<' in issues
        assert "to partners: stopped without finishing" in issues and "to newsletter: sent" in issues
        assert f'href="/issues/{ISSUE}/send#status-heading">Resume the send' in issues
        send_page = client.get(f"/issues/{ISSUE}/send").text
        assert "To partners: stopped without finishing" in send_page and "Resume the send" in send_page
        # Who on the list has the issue through the other list's campaign, as `status` says it.
        assert "Already received this issue through the list “newsletter”: they will not get it again: 1" in send_page
        reports = client.get("/reports").text
        assert 'data-state="interrupted">stopped without finishing' in reports and 'data-state="done">sent' in reports
        rows = list(csv.DictReader(io.StringIO(client.get("/reports.csv").text)))
        assert {(r["list"], r["status"]) for r in rows} == {("newsletter", "done"), ("partners", "interrupted")}


class HoldSecond:
    """An SMTP server that accepts the first message and holds the second at end of data until released."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 (aiosmtpd's hook)
        if len(self.accepted) == 1 and not self.release.is_set():
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        self.accepted.extend(envelope.rcpt_tos)
        return "250 2.0.0 OK: queued"


def test_ctrl_c_on_the_studio_mid_send_says_the_send_was_interrupted_how_far_and_how_to_resume(tmp_path: Path) -> None:
    import httpx

    copy_newsletters(tmp_path, ISSUE)
    handler = HoldSecond()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = studio_settings(tmp_path, controller.port, LEADEX_SEND_CONCURRENCY="1")
    with open_store(settings) as store:
        add_readers(store, 5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADEX_")}
    env.update({
        "PYTHONUNBUFFERED": "1", "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}", "LEADEX_NEWSLETTERS_DIR": str(tmp_path / "newsletters"),
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"), "LEADEX_DEFAULT_LANGUAGE": "sl", "LEADEX_SEND_DEEP_CHECK": "false",
        "LEADEX_TRANSPORT": "smtp", "LEADEX_SMTP_HOST": "127.0.0.1", "LEADEX_SMTP_PORT": str(controller.port), "LEADEX_SMTP_SECURITY": "none",
        "LEADEX_SECRET_KEY": "studio-test-secret-key-0123456789", "LEADEX_PUBLIC_URL": "https://news.example.org", "LEADEX_SEND_CONCURRENCY": "1",
    })
    proc = subprocess.Popen([sys.executable, "-m", "leadex_mail", "studio", "--no-open", "--port", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # the studio says where it listens once it does
        url = re.search(r"(http://127\.0\.0\.1:\d+)", line).group(1)
        with httpx.Client(base_url=url, timeout=30) as client:
            token = re.search(r'data-csrf="([^"]+)"', client.get("/").text).group(1)
            started = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **reviewed(client)}, follow_redirects=False)
            assert started.status_code == 303, started.text[:300]
        assert handler.holding.wait(60), "the second message never reached the server"
        proc.send_signal(signal.SIGINT)  # Ctrl-C while the second message is in hand
        said_first = []
        for line in proc.stderr:  # the studio says it is stopping the send: no other message starts after this
            said_first.append(line)
            if line.startswith("Stopping: the send of"):
                break
        handler.release.set()  # the message in hand finishes
        out, err = proc.communicate(timeout=120)
        err = "".join(said_first) + err
    finally:
        handler.release.set()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        controller.stop()
    said = out + err
    assert proc.returncode == 0 and "Traceback" not in said, said
    with open_store(settings) as store:
        counts = state_counts(store, find_campaign(store, ISSUE, "newsletter").id)
    assert counts["sent"] == len(handler.accepted) and counts["queued"] == 5 - counts["sent"] > 0, (counts, handler.accepted)
    assert "Studio stopped." in said
    assert f"The send of {ISSUE} to the list newsletter was interrupted: {counts['sent']} sent so far, {counts['queued']} still to send" in said
    assert f"To resume it: leadex-mail send {ISSUE} --list newsletter --resume" in said
    assert '"Resume the send"' in said


def test_the_review_refuses_an_issue_whose_delivery_records_were_anonymised_in_the_officers_words(tmp_path: Path, smtp_server) -> None:
    """Retention forgot who got it: the send would refuse (to that list, and to any other), so the review does, in the studio's words."""
    from sqlalchemy import update

    from leadex_mail.store.models import Campaign

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def forgotten(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", public=True)
        create_list(store, "partners")
        add_subscriber(store, "reader@example.org", language="sl", lists=("newsletter", "partners"), source="cli")
        add_subscriber(store, "late@example.org", language="sl", lists=("newsletter",), source="cli")
        assert send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter", limit=1).sent_now == 1
        with store.begin() as conn:  # what retention (`leadex-mail maintenance`) leaves after delivery_retention_days
            conn.execute(update(Campaign.__table__).values(anonymised_at=datetime(2026, 3, 1, tzinfo=UTC)))

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=forgotten) as studio:
        client, _ = _client(studio)
        for list_name in ("newsletter", "partners"):
            review = client.get(f"/issues/{ISSUE}/send/review?list={list_name}")
            assert review.status_code == 409, list_name
            assert "This issue was sent to the list newsletter long ago, and who got it was forgotten on 2026-03-01" in review.text
            assert "folder/slug" not in review.text and 'id="send-now"' not in review.text
