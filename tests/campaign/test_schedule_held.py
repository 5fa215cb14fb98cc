"""A scheduled send is checked at its time as ``send`` checks it (tester's finding a14, major).

The finding: an issue scheduled with no errors, then given a subject still
marked ✎, went out to the whole list at its time. Now the worker runs the
readiness judgement of ``send`` when it starts a scheduled campaign: an issue
it refuses is held (not started, the reason kept, one audit entry), tried
again each round, and sent at the first round that finds it corrected; a
schedule made with ``send --at … --force`` is sent as ``send --force`` sends.
Real store (SQLite and PostgreSQL), real SMTP server on loopback, times injected.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from campaign_helpers import ISSUE, email_of, make_settings, smtp_env

from leadex_mail.campaign.scheduler import run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store import campaigns, schedule
from leadex_mail.store.accounts import audit_log

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)
DRAFT_SUBJECT = "✎ NI ŠE PRIPRAVLJENO"
ACTOR = "worker:officer@host"


@pytest.fixture
def smtp_settings(tmp_path: Path, store, newsletters: Path, smtp_server):
    """The test's store, its own copy of the issues, and the loopback SMTP server."""
    return make_settings(tmp_path, store=store, newsletters_dir=newsletters, smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                         smtp_security="none", secret_key="k" * 32, public_url="https://news.example.org")


def set_subject(newsletters: Path, language: str, subject: str) -> None:
    path = newsletters / ISSUE / f"{language}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(f"subject: {subject}\n" if line.startswith("subject:") else line for line in lines), encoding="utf-8")


def worker_round(store, settings, now: datetime, events: list) -> int:
    return run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now,
                      on_event=events.append, actor=ACTOR)


def held_entries(store) -> list:
    return [e for e in audit_log(store) if e.action == "send_held"]


def test_an_issue_given_an_error_after_it_was_scheduled_is_held_until_corrected(store, people, newsletters, smtp_settings, smtp_server) -> None:
    people(3)
    settings = smtp_settings
    schedule_campaign(store, load_issue(ISSUE, settings), "newsletter", AT, now=AT - timedelta(days=1), actor="cli:officer@host")
    set_subject(newsletters, "en", DRAFT_SUBJECT)  # after scheduling: the finding's step 2

    events: list = []
    assert worker_round(store, settings, AT + timedelta(minutes=1), events) == 0
    assert smtp_server.messages == [] and campaigns.list_campaigns(store) == []  # before: all three got the ✎ subject
    assert [e.kind for e in events] == ["held"]
    assert "draft.marked" in events[0].held.codes and events[0].held.reason == "check_errors"
    [waiting] = schedule.waiting(store)
    assert waiting.held is not None and waiting.held.reason == "check_errors" and waiting.held.errors >= 1
    assert waiting.held.at == AT + timedelta(minutes=1) and "draft.marked" in waiting.held.codes

    again: list = []
    assert worker_round(store, settings, AT + timedelta(minutes=2), again) == 0  # the next round checks again: still held
    assert again == [] and smtp_server.messages == []  # said once, not at every round
    [entry] = held_entries(store)  # once across two rounds
    assert entry.actor == ACTOR and entry.target == f"{ISSUE} -> newsletter"
    assert entry.detail["reason"] == "check_errors" and "draft.marked" in entry.detail["codes"] and entry.detail["send_at"] == AT.isoformat()
    assert schedule.waiting(store)[0].held.at == AT + timedelta(minutes=1)  # since the first refusal

    set_subject(newsletters, "en", "LeadEx newsletter No. 1 – April 2026")  # corrected
    sent: list = []
    assert worker_round(store, settings, AT + timedelta(minutes=3), sent) == 1
    assert [e.kind for e in sent] == ["starting", "sent"] and sent[1].report.status == "done"
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(email_of(i) for i in range(3))
    assert all(DRAFT_SUBJECT.encode() not in m.data and b"=E2=9C=8E" not in m.data for m in smtp_server.messages)
    assert schedule.waiting(store) == [] and len(held_entries(store)) == 1


def test_an_issue_whose_files_no_longer_load_is_held_as_unreadable(store, people, newsletters, smtp_settings, smtp_server) -> None:
    people(2)
    settings = smtp_settings
    schedule_campaign(store, load_issue(ISSUE, settings), "newsletter", AT, now=AT - timedelta(days=1))
    (newsletters / ISSUE / "en.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    events: list = []
    assert worker_round(store, settings, AT, events) == 0
    assert [e.kind for e in events] == ["held"] and events[0].held.reason == "unreadable"
    assert schedule.waiting(store)[0].held.reason == "unreadable" and smtp_server.messages == []


def test_a_schedule_made_with_force_is_sent_with_its_errors(store, people, newsletters, smtp_settings, smtp_server, cli) -> None:
    """``send --at … --force`` records that it was forced; the worker honours it as ``send --force`` (before: not recorded)."""
    people(2)
    set_subject(newsletters, "en", DRAFT_SUBJECT)
    at = datetime.now(UTC) + timedelta(days=2)
    env = {**smtp_env(smtp_server), "LEADEX_NEWSLETTERS_DIR": str(newsletters), "LEADEX_TIMEZONE": "UTC"}
    refused = cli("send", ISSUE, "--list", "newsletter", "--at", f"{at:%Y-%m-%d %H:%M}", **env)
    assert refused.exit_code == 1 and schedule.waiting(store) == []
    forced = cli("send", ISSUE, "--list", "newsletter", "--at", f"{at:%Y-%m-%d %H:%M}", "--force", "--no-deep", **env)
    assert forced.exit_code == 0, forced.output
    assert "Forced (--force)" in forced.output
    [waiting] = schedule.waiting(store)
    assert waiting.forced and waiting.deep is False  # checked at its time as it was told: forced, without the deep checks
    [entry] = [e for e in audit_log(store) if e.action == "send_schedule"]
    assert entry.detail["forced"] is True
    assert cli("status", **env).output.count("(forced: sent even if the check finds errors)") == 1
    events: list = []
    assert worker_round(store, smtp_settings, at + timedelta(minutes=1), events) == 1
    assert [e.kind for e in events] == ["starting", "sent"]
    assert len(smtp_server.messages) == 2 and held_entries(store) == []


def test_moving_a_held_send_is_a_new_confirmation_that_ends_the_hold(store, people, newsletters, smtp_settings) -> None:
    people(1)
    issue = load_issue(ISSUE, smtp_settings)
    schedule_campaign(store, issue, "newsletter", AT, now=AT - timedelta(days=1))
    set_subject(newsletters, "en", DRAFT_SUBJECT)
    worker_round(store, smtp_settings, AT, [])
    assert schedule.waiting(store)[0].held is not None
    schedule_campaign(store, issue, "newsletter", AT + timedelta(days=1), now=AT + timedelta(hours=1))
    assert schedule.waiting(store)[0].held is None


def test_status_and_the_worker_say_why_a_send_is_held(store, people, newsletters, smtp_settings, smtp_server, cli) -> None:
    people(2)
    now = datetime.now(UTC).replace(microsecond=0)
    schedule_campaign(store, load_issue(ISSUE, smtp_settings), "newsletter", now - timedelta(minutes=1), now=now - timedelta(days=1))
    set_subject(newsletters, "en", DRAFT_SUBJECT)
    env = {**smtp_env(smtp_server), "LEADEX_NEWSLETTERS_DIR": str(newsletters), "LEADEX_TIMEZONE": "Europe/Ljubljana"}
    run = cli("worker", "--once", **env)
    assert run.exit_code == 0, run.output
    assert f"Not sending {ISSUE} to newsletter: it is due, but the check finds 1 error (draft.marked)" in run.output
    assert "The send is held (nothing was sent)" in run.output and "Starting" not in run.output
    assert smtp_server.messages == []
    shown = cli("status", **env).output
    assert f"{ISSUE} -> newsletter: scheduled for" in shown
    assert "  held since " in shown and "the check finds 1 error (draft.marked)" in shown
    assert "It goes out at the worker's first round after that is corrected" in shown
    second = cli("worker", "--once", **env)
    assert "1 campaign due (1 held: the check refused it; `leadex-mail status` says why)" in second.output
    assert "Not sending" not in second.output  # said when first held
