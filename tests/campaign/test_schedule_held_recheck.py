"""A held scheduled send is checked again only when what the check reads changed, or after a while (brief s8-sched #1).

Before: each worker round (every 30 s by default) ran the whole readiness
check -- the deep one too, a browser and SpamAssassin, when on -- on every
held send, for as long as nobody corrected it. Now the hold keeps the version
of the files the check read (the issue's folder, the brand beside it) and the
time of that check; a round that finds both unchanged and the check recent
keeps it held without checking. The first round after a correction still
sends it. Real worker rounds (each a fresh ``run_worker``, as cron runs
``worker --once``: what the hold knows is in the store), real store and SMTP
server on loopback, an injected clock; checks counted, never timed.
"""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from campaign_helpers import ISSUE, REPO, make_settings

from leadex_mail.campaign import scheduler
from leadex_mail.campaign.scheduler import RECHECK_HELD_AFTER, run_worker, schedule_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store import schedule

AT = datetime(2030, 5, 4, 7, 0, tzinfo=UTC)
DRAFT_SUBJECT = "✎ NI ŠE PRIPRAVLJENO"
GOOD_SUBJECT = "LeadEx newsletter No. 1 – April 2026"


@pytest.fixture
def newsletters(tmp_path: Path) -> Path:
    folder = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", folder)
    return folder


@pytest.fixture
def smtp_settings(tmp_path: Path, store, newsletters: Path, smtp_server):
    return make_settings(tmp_path, store=store, newsletters_dir=newsletters, smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                         smtp_security="none", secret_key="k" * 32, public_url="https://news.example.org")


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs the worker ran the readiness check on, in order (the real check runs; it is only counted)."""
    seen: list[str] = []
    real = scheduler.ready_to_send

    def counted(issue, settings, **options):  # noqa: ANN001, ANN003, ANN202
        seen.append(issue.slug)
        return real(issue, settings, **options)

    monkeypatch.setattr(scheduler, "ready_to_send", counted)
    return seen


def set_subject(newsletters: Path, language: str, subject: str) -> None:
    path = newsletters / ISSUE / f"{language}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(f"subject: {subject}\n" if line.startswith("subject:") else line for line in lines), encoding="utf-8")


def worker_round(store, settings, now: datetime, events: list | None = None) -> int:
    """One round of a new worker (``worker --once``), its clock at ``now``."""
    return run_worker(store, settings, lambda slug: load_issue(slug, settings), stop=threading.Event(), once=True, now=lambda: now,
                      on_event=(events if events is not None else []).append, actor="worker:officer@host")


def held_send(store, settings, newsletters: Path, people) -> None:
    people(2)
    schedule_campaign(store, load_issue(ISSUE, settings), "newsletter", AT, now=AT - timedelta(days=1))
    set_subject(newsletters, "en", DRAFT_SUBJECT)


def test_a_held_send_is_not_checked_again_while_nothing_it_reads_changed(store, people, newsletters, smtp_settings, smtp_server, checks) -> None:
    held_send(store, smtp_settings, newsletters, people)
    events: list = []
    assert worker_round(store, smtp_settings, AT, events) == 0
    assert checks == [ISSUE] and [e.kind for e in events] == ["held"]

    for minute in (1, 2, 3, 10):  # rounds with the files as they were: held, not checked (before: one check per round)
        assert worker_round(store, smtp_settings, AT + timedelta(minutes=minute)) == 0
    assert checks == [ISSUE]
    [waiting] = schedule.waiting(store)
    assert waiting.held is not None and waiting.held.checked == AT and waiting.held.at == AT

    # Another issue's folder is no input of this one's check.
    shutil.copytree(newsletters / ISSUE, newsletters / "2026-05-leadex-02")
    (newsletters / "2026-05-leadex-02" / "en.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    worker_round(store, smtp_settings, AT + timedelta(minutes=11))
    assert checks == [ISSUE]

    set_subject(newsletters, "en", GOOD_SUBJECT)  # corrected: the first round after it checks and sends
    sent: list = []
    assert worker_round(store, smtp_settings, AT + timedelta(minutes=12), sent) == 1
    assert checks == [ISSUE, ISSUE] and [e.kind for e in sent] == ["starting", "sent"]
    assert len(smtp_server.messages) == 2 and schedule.waiting(store) == []


def test_a_change_beside_the_issue_that_the_check_reads_is_checked_again(store, people, newsletters, smtp_settings, checks) -> None:
    """The brand file (and its pictures) are read by the check too: a change there is a new version of the inputs."""
    held_send(store, smtp_settings, newsletters, people)
    worker_round(store, smtp_settings, AT)
    brand = newsletters / "brand.yaml"
    brand.write_text(brand.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    worker_round(store, smtp_settings, AT + timedelta(minutes=1))
    assert checks == [ISSUE, ISSUE]
    worker_round(store, smtp_settings, AT + timedelta(minutes=2))
    assert checks == [ISSUE, ISSUE]
    picture = next((newsletters / "brand-images").iterdir())
    picture.write_bytes(picture.read_bytes() + b"\0")
    worker_round(store, smtp_settings, AT + timedelta(minutes=3))
    assert checks == [ISSUE, ISSUE, ISSUE]


def test_a_held_send_is_checked_again_after_a_bounded_interval(store, people, newsletters, smtp_settings, checks) -> None:
    """What the files do not show (the settings, the signing key, a tool installed since) is seen within RECHECK_HELD_AFTER."""
    held_send(store, smtp_settings, newsletters, people)
    worker_round(store, smtp_settings, AT)
    worker_round(store, smtp_settings, AT + RECHECK_HELD_AFTER - timedelta(seconds=1))
    assert checks == [ISSUE]
    events: list = []
    worker_round(store, smtp_settings, AT + RECHECK_HELD_AFTER, events)
    assert checks == [ISSUE, ISSUE] and events == []  # checked, still held for the same errors: not said again
    [waiting] = schedule.waiting(store)
    assert waiting.held.checked == AT + RECHECK_HELD_AFTER and waiting.held.at == AT  # held since the first refusal
    worker_round(store, smtp_settings, AT + RECHECK_HELD_AFTER + timedelta(minutes=1))
    assert checks == [ISSUE, ISSUE]


def test_an_unreadable_issue_is_kept_held_until_its_files_change(store, people, newsletters, smtp_settings, smtp_server, checks) -> None:
    """Files that do not load are held as ``unreadable`` (no check ran): counted by loads, the same rule."""
    people(1)
    schedule_campaign(store, load_issue(ISSUE, smtp_settings), "newsletter", AT, now=AT - timedelta(days=1))
    en = newsletters / ISSUE / "en.yaml"
    good = en.read_text(encoding="utf-8")
    en.write_text("title: [unclosed\n", encoding="utf-8")
    loads: list[str] = []

    def load(slug: str):  # noqa: ANN202
        loads.append(slug)
        return load_issue(slug, smtp_settings)

    def round_at(now: datetime) -> int:
        return run_worker(store, smtp_settings, load, stop=threading.Event(), once=True, now=lambda: now)

    round_at(AT)
    round_at(AT + timedelta(minutes=1))
    assert loads == [ISSUE] and schedule.waiting(store)[0].held.reason == "unreadable"
    en.write_text(good, encoding="utf-8")
    assert round_at(AT + timedelta(minutes=2)) == 1
    assert loads == [ISSUE, ISSUE] and len(smtp_server.messages) == 1
