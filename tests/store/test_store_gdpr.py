"""GDPR: export (Art. 15/20) and erasure (Art. 17) — the address must be gone from the file."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from leadex_mail.errors import NotFound
from leadex_mail.store import gdpr, importer, lists, subscribers
from leadex_mail.store.models import Campaign, Delivery, TestSend

ADDRESS = "jana.kovac@example.org"
NAME = "Jana Kovačič"
IP = "198.51.100.77"
AGENT = "Mozilla/5.0 JanaBrowser"


@pytest.fixture
def jana(store):
    """A subscriber with traces everywhere: events with IP, lists, a delivery, a test send."""
    news = lists.create_list(store, "news")
    sub = subscribers.request_subscription(
        store, ADDRESS, name=NAME, language="sl", lists=["news"], consent_version="2026-04", source="web", ip=IP, user_agent=AGENT
    )
    subscribers.confirm_subscription(store, sub.id, ip=IP, user_agent=AGENT, consent_version="2026-04")
    subscribers.add_subscriber(store, "other@example.org", name="Other Person", lists=["news"])
    with store.session() as s:
        campaign = Campaign(issue_slug="2026-04-leadex-01", list_id=news.id, subject="LeadEx novice")
        s.add(campaign)
        s.flush()
        s.add(Delivery(campaign_id=campaign.id, subscriber_id=sub.id, state="failed", last_reply=f"452 4.2.2 <{ADDRESS}>: mailbox full",
                       message_id="<abc@example.org>"))
        s.add(TestSend(issue_slug="2026-04-leadex-01", language="sl", recipient=f"{NAME} <{ADDRESS.upper()}>", reply="250 ok"))
    subscribers.mark_bounced(store, sub.id, reply=f"452 mailbox of {NAME} full", hard=False)
    return sub


def _every_cell(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [repr(cell) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"') for cell in row]


def test_export_one_and_all(store, jana, cli):
    one = json.loads(cli("subscribers", "export", ADDRESS.upper()).output)
    assert len(one) == 1 and one[0]["email"] == ADDRESS and one[0]["name"] == NAME
    assert one[0]["lists"][0]["name"] == "news"
    assert {"subscribed", "confirmed", "bounced"} <= {e["kind"] for e in one[0]["events"]}
    assert any(e["ip"] == IP and e["consent_version"] == "2026-04" for e in one[0]["events"] if e["kind"] == "confirmed")
    assert one[0]["deliveries"] == [{"issue": "2026-04-leadex-01", "language": "sl", "state": "failed", "sent_at": None}]
    exported = cli("subscribers", "export", "--format", "csv").output
    assert exported.startswith("\ufeff")  # the UTF-8 mark Excel needs (s8; test_store_csv_exports_for_excel)
    rows = list(csv.DictReader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert [r["email"] for r in rows] == [ADDRESS, "other@example.org"]
    assert rows[0]["lists"] == "news:active" and json.loads(rows[0]["events"])[0]["kind"] == "subscribed"
    missing = cli("subscribers", "export", "nobody@example.org")
    assert missing.exit_code == 1 and "no subscriber nobody@example.org" in missing.output


@pytest.mark.sqlite_only_reason("reads the raw bytes of the SQLite file; the rows forget leaves are checked on both databases by the other tests here")
def test_forget_leaves_no_trace_in_the_file(store, jana, cli, settings, tmp_path, sqlite_only):
    store.checkpoint()
    before = b"".join(p.read_bytes() for p in tmp_path.glob("subscribers.db*"))
    assert ADDRESS.encode() in before and NAME.encode() in before and IP.encode() in before  # the check below can fail
    result = cli("subscribers", "forget", ADDRESS, "--yes")
    assert result.exit_code == 0, result.output
    assert "subscriber deleted" in result.output and "1 test sends deleted" in result.output

    cells = " ".join(_every_cell(tmp_path / "subscribers.db"))
    for secret in (ADDRESS, ADDRESS.upper(), NAME, IP, AGENT, "Kova"):
        assert secret not in cells
    assert "other@example.org" in cells and "Other Person" in cells  # only Jana is gone

    store.checkpoint()
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("subscribers.db*"))
    for secret in (ADDRESS, NAME, IP, AGENT):
        assert secret.encode() not in raw
    assert b"other@example.org" in raw

    # What stays is anonymous: the delivery row, the events, the suppression hash, an "erased" event.
    with sqlite3.connect(tmp_path / "subscribers.db") as conn:
        assert conn.execute("SELECT subscriber_id, last_reply, state FROM delivery").fetchall() == [(None, None, "failed")]
        assert conn.execute("SELECT count(*) FROM suppression WHERE reason='erased'").fetchone() == (1,)
        assert conn.execute("SELECT subscriber_id, ip, user_agent, detail FROM event WHERE kind='erased'").fetchall() == [(None, None, None, "{}")]


def test_forgotten_address_is_refused_everywhere(store, jana, cli, tmp_path):
    cli("subscribers", "forget", ADDRESS, "--yes")
    path = tmp_path / "again.csv"
    path.write_text(f"email,name\n{ADDRESS.upper()},{NAME}\n", encoding="utf-8")
    result = cli("subscribers", "import", str(path), "--list", "news")
    assert f"line 2: '{ADDRESS}': erased at the person's request; it is never imported again" in result.output
    assert "imported: 0" in result.output
    add = cli("subscribers", "add", ADDRESS)
    assert add.exit_code == 1 and "suppressed (erased)" in add.output
    assert subscribers.is_suppressed(store, ADDRESS)
    with pytest.raises(NotFound):
        subscribers.get_subscriber(store, ADDRESS)


def test_only_the_persons_own_confirmed_sign_up_brings_an_erased_address_back(store, jana, cli):
    cli("subscribers", "forget", ADDRESS, "--yes")
    again = subscribers.request_subscription(
        store, ADDRESS, name=None, language="sl", lists=("news",), consent_version="v", source="web", ip=None, user_agent=None
    )
    assert again is not None and again.status == "pending"
    assert subscribers.is_suppressed(store, ADDRESS)  # a request alone lifts nothing
    assert ADDRESS not in [r.email for r in subscribers.eligible_subscribers(store, "news")]
    subscribers.confirm_subscription(store, int(again.id), ip="192.0.2.1", user_agent="test", consent_version="v")
    assert not subscribers.is_suppressed(store, ADDRESS)
    assert ADDRESS in [r.email for r in subscribers.eligible_subscribers(store, "news")]


def test_forget_without_confirmation_does_nothing(store, jana, cli):
    result = cli("subscribers", "forget", ADDRESS, input="n\n")
    assert result.exit_code == 1
    assert subscribers.get_subscriber(store, ADDRESS).name == NAME


def test_forget_unknown_address_still_suppresses(store, tmp_path):
    done = gdpr.forget(store, "never@example.org")
    assert not done.subscriber_found and subscribers.is_suppressed(store, "never@example.org")
    report = importer.import_csv(store, _one(tmp_path, "never@example.org"))
    assert report.imported == 0 and len(report.rejected) == 1


def _one(folder: Path, address: str) -> Path:
    path = folder / "one.csv"
    path.write_text(f"email\n{address}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("backend", ["postgresql"])  # the SQLite file is read raw above
def test_forget_leaves_no_trace_in_the_postgresql_files(store, jana, cli, pg_cluster):
    """On PostgreSQL a deleted row stays in its pages as a dead version, and ANALYZE copies values into pg_statistic.

    After ``forget`` no file of the database (tables, indexes, TOAST, the
    statistics catalogue) holds the person's bytes; the write-ahead log and
    backups are the operator's retention (docs/decisions.md).
    """
    from sqlalchemy import text

    def raw_database_files() -> bytes:
        with store.engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))  # the pages reach the files
            oid = conn.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar_one()
        return b"".join(p.read_bytes() for p in (pg_cluster.datadir / "base" / str(oid)).iterdir() if p.is_file())

    with store.engine.connect() as conn:
        conn.execute(text("ANALYZE"))  # as refresh_statistics does after an import: the address is in the samples
        conn.commit()
        sampled = " ".join(str(v) for v in conn.execute(text("SELECT histogram_bounds, most_common_vals FROM pg_stats WHERE tablename = 'subscriber'")).all())
    assert ADDRESS in sampled
    before = raw_database_files()
    assert ADDRESS.encode() in before and NAME.encode() in before and IP.encode() in before  # the check below can fail

    result = cli("subscribers", "forget", ADDRESS, "--yes")
    assert result.exit_code == 0, result.output

    raw = raw_database_files()
    for secret in (ADDRESS, NAME, IP, AGENT):
        assert secret.encode() not in raw, secret
    assert b"other@example.org" in raw  # only Jana is gone
    with store.engine.connect() as conn:
        assert ADDRESS not in " ".join(str(v) for v in conn.execute(text("SELECT histogram_bounds, most_common_vals FROM pg_stats")).all())
        assert conn.execute(text("SELECT subscriber_id, last_reply, state FROM delivery")).all() == [(None, None, "failed")]
