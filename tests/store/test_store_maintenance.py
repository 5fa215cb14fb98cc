"""Retention that runs by itself (issue 14 item 4): ``run_maintenance`` with an injected clock, and the CLI.

Every row's age is set explicitly relative to one ``NOW``, a day either
side of each limit, so the test says exactly what each setting erases,
anonymises or keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from leadex_mail.store import campaigns
from leadex_mail.errors import CampaignError, NotFound
from leadex_mail.store import gdpr, lists, notices, outgoing, subscribers
from leadex_mail.store.maintenance import RetentionPolicy, run_maintenance
from leadex_mail.store.models import BounceReport, Campaign, Delivery, Event, OutgoingMail, Subscriber, Subscription, TestSend

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
POLICY = RetentionPolicy(pending_days=30, inactive_days=365, delivery_days=180)
_S = Subscriber.__table__
_D = Delivery.__table__
_C = Campaign.__table__


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def person(store, email: str, status: str, touched: datetime, **kwargs) -> int:
    """A subscriber in ``status`` whose row last changed at ``touched`` (with consent evidence)."""
    if status == "pending":
        sub = subscribers.request_subscription(
            store, email, name="Pending Person", language="sl", lists=("news",), consent_version="2026-04", source="web",
            ip="192.0.2.9", user_agent="Browser", **kwargs,
        )
    else:
        sub = subscribers.add_subscriber(store, email, name=f"Name of {email}", lists=("news",), ip="192.0.2.8", consent_version="2026-04")
        if status == "unsubscribed":
            subscribers.unsubscribe(store, int(sub.id), source="web")
        elif status == "bounced":
            subscribers.mark_bounced(store, int(sub.id), reply="550 5.1.1 no such user", hard=True)
        elif status == "complained":
            subscribers.mark_complained(store, int(sub.id))
    with store.begin() as conn:
        conn.execute(update(_S).where(_S.c.id == sub.id).values(updated_at=touched, created_at=touched - timedelta(days=1)))
    return int(sub.id)


def campaign(store, slug: str, status: str, touched: datetime, recipients: list[int], list_name: str = "news") -> int:
    """A campaign of ``status`` last changed at ``touched`` with one sent delivery (reply, Message-ID) per recipient."""
    list_id = lists.get_list(store, list_name).id
    with store.session() as s:
        row = Campaign(issue_slug=slug, list_id=list_id, subject=slug, status=status, created_at=touched, updated_at=touched)
        s.add(row)
        s.flush()
        for n, sid in enumerate(recipients):
            state = "failed" if n == 0 else "sent"
            s.add(Delivery(campaign_id=row.id, subscriber_id=sid, language="sl", state=state, last_reply=f"250 ok for subscriber {sid}",
                           message_id=f"<m{sid}.{slug}@example.org>", created_at=touched, updated_at=touched, sent_at=touched))
        return int(row.id)


@pytest.fixture
def old_store(store):
    """A store with rows on both sides of every limit."""
    lists.create_list(store, "news")
    ids = {
        "pending_old": person(store, "pending.old@example.org", "pending", days_ago(31)),
        "pending_new": person(store, "pending.new@example.org", "pending", days_ago(29)),
        "unsub_old": person(store, "left.old@example.org", "unsubscribed", days_ago(366)),
        "unsub_new": person(store, "left.new@example.org", "unsubscribed", days_ago(364)),
        "bounced_old": person(store, "bounced.old@example.org", "bounced", days_ago(400)),
        "complained_old": person(store, "complained.old@example.org", "complained", days_ago(500)),
        "active_old": person(store, "active.old@example.org", "active", days_ago(3000)),
    }
    ids["done_old"] = campaign(store, "2026-04-leadex-01", "done", days_ago(181), [ids["active_old"], ids["unsub_new"], ids["unsub_old"]])
    ids["done_new"] = campaign(store, "2026-10-leadex-02", "done", days_ago(179), [ids["active_old"]])
    ids["paused_old"] = campaign(store, "2026-05-leadex-xx", "paused", days_ago(400), [ids["active_old"]])
    with store.session() as s:
        for sid, state, age in ((ids["active_old"], "sent", 181), (ids["active_old"], "skipped", 179)):
            s.add(OutgoingMail(kind="confirmation", subscriber_id=sid, language="sl", state=state, next_attempt_at=days_ago(age),
                               created_at=days_ago(age), updated_at=days_ago(age)))
        s.add(OutgoingMail(kind="data_export", subscriber_id=ids["active_old"], language="sl", state="queued", next_attempt_at=days_ago(200),
                           created_at=days_ago(200), updated_at=days_ago(200)))  # never sent: not "finished", kept
        s.add(TestSend(issue_slug="x", language="sl", recipient="editor@example.org", at=days_ago(181)))
        s.add(TestSend(issue_slug="x", language="sl", recipient="editor2@example.org", at=days_ago(179)))
        for n, age in enumerate((181, 179)):  # a soft bounce of the active subscriber, quoting the address
            s.add(BounceReport(content_hash=f"{n:064d}", received_at=days_ago(age), source="imap", kind="bounce", format="dsn", action="soft",
                               status="4.2.2", campaign_id=ids["done_old"], subscriber_id=ids["active_old"], raw=b"To: active.old@example.org",
                               evidence={"effect": "soft", "format": "dsn", "subject": "Undelivered", "findings": [{"recipient": "active.old@example.org"}]}))
    return ids


def _emails(store) -> set[str]:
    with store.begin(write=False) as conn:
        return set(conn.execute(select(_S.c.email)).scalars())


def test_retention_erases_and_anonymises_exactly_what_the_settings_say(store, old_store) -> None:
    ids = old_store
    before = {cid: campaigns.state_counts(store, cid) for cid in (ids["done_old"], ids["done_new"], ids["paused_old"])}
    active_events = subscribers.subscriber_events(store, ids["active_old"])

    report = run_maintenance(store, POLICY, now=NOW)

    assert report.pending_deleted == 1
    assert report.erased == {"unsubscribed": 1, "bounced": 1, "complained": 1}
    assert _emails(store) == {"pending.new@example.org", "left.new@example.org", "active.old@example.org"}
    for gone in ("left.old@example.org", "bounced.old@example.org", "complained.old@example.org"):
        assert subscribers.is_suppressed(store, gone)  # erased as `forget` does: the hash stays
    assert not subscribers.is_suppressed(store, "pending.old@example.org")  # never consented: nothing to keep

    # The active subscriber is untouched: row, consent evidence, lists.
    active = subscribers.get_subscriber_by_id(store, ids["active_old"])
    assert active.status == "active" and active.name == "Name of active.old@example.org"
    assert [(e.kind, e.ip) for e in subscribers.subscriber_events(store, ids["active_old"])] == [(e.kind, e.ip) for e in active_events]
    assert subscribers.subscriber_lists(store, ids["active_old"]) == [("news", "active")]

    # Only the campaign done over 180 days ago is anonymised; its counts stay.
    assert [(c.issue_slug, c.counts) for c in report.campaigns] == [("2026-04-leadex-01", {"sent": 2, "failed": 1})]
    for cid in before:
        assert campaigns.state_counts(store, cid) == before[cid]
    with store.begin(write=False) as conn:
        old_rows = conn.execute(select(_D.c.subscriber_id, _D.c.last_reply, _D.c.message_id).where(_D.c.campaign_id == ids["done_old"])).all()
        kept_rows = conn.execute(select(_D.c.subscriber_id, _D.c.last_reply).where(_D.c.campaign_id.in_((ids["done_new"], ids["paused_old"])))).all()
        marked = dict(conn.execute(select(_C.c.id, _C.c.anonymised_at)).all())
    assert old_rows == [(None, None, None)] * 3
    assert all(sid == ids["active_old"] and reply for sid, reply in kept_rows)
    assert marked[ids["done_old"]] == NOW and marked[ids["done_new"]] is None and marked[ids["paused_old"]] is None
    assert [(c.issue_slug, c.status) for c in report.open_campaigns] == [("2026-05-leadex-xx", "paused")]

    # Finished mails and test sends over 180 days; the unsent export stays.
    assert report.queue_mails_deleted == 1 and report.test_sends_deleted == 1
    with store.session(write=False) as s:
        assert sorted(m.state for m in s.exec(select(OutgoingMail)).scalars()) == ["queued", "skipped"]
        assert [t.recipient for t in s.exec(select(TestSend)).scalars()] == ["editor2@example.org"]

    # Bounce reports over 180 days: nothing about whom; what classifies them stays (per-campaign counts).
    assert report.reports_anonymised == 1
    with store.session(write=False) as s:
        reports = {r.content_hash[-1]: r for r in s.exec(select(BounceReport)).scalars()}
    assert (reports["0"].subscriber_id, reports["0"].raw, reports["0"].evidence) == (None, None, {"effect": "soft", "format": "dsn", "removed": "retention"})
    assert reports["0"].kind == "bounce" and reports["0"].action == "soft" and reports["0"].campaign_id == ids["done_old"]
    assert reports["1"].subscriber_id == ids["active_old"] and reports["1"].raw and "findings" in reports["1"].evidence

    # Idempotent: a second run (cron) does nothing more.
    again = run_maintenance(store, POLICY, now=NOW)
    assert not again.changed_anything and again.open_campaigns


def test_dry_run_counts_the_same_and_changes_nothing(store, old_store) -> None:
    before = _emails(store)
    dry = run_maintenance(store, POLICY, now=NOW, dry_run=True)
    assert _emails(store) == before
    assert [c.anonymised_at for c in _campaigns(store)] == [None, None, None]
    real = run_maintenance(store, POLICY, now=NOW)
    counted = ("pending_deleted", "erased", "deliveries_anonymised", "queue_mails_deleted", "test_sends_deleted", "reports_anonymised")
    assert [getattr(dry, name) for name in counted] == [getattr(real, name) for name in counted]
    assert real.reports_anonymised == 1


def _campaigns(store) -> list[Campaign]:
    with store.session(write=False) as s:
        return list(s.exec(select(Campaign).order_by(Campaign.id)).scalars())


def test_someone_who_came_back_is_not_erased(store, old_store) -> None:
    """Left long ago, but asked to subscribe again yesterday (their row changed): kept, and their sign-up still confirms."""
    again = subscribers.request_subscription(
        store, "left.old@example.org", name=None, language="sl", lists=("news",), consent_version="v", source="web", ip=None, user_agent=None
    )
    with store.begin() as conn:
        conn.execute(update(_S).where(_S.c.id == again.id).values(updated_at=days_ago(1)))
    run_maintenance(store, POLICY, now=NOW)
    assert subscribers.confirm_subscription(store, int(again.id), ip=None, user_agent=None, consent_version="v").status == "active"


def test_an_anonymised_campaign_is_never_resumed(store, old_store) -> None:
    run_maintenance(store, POLICY, now=NOW)
    with pytest.raises(CampaignError, match="anonymised"):
        campaigns.open_campaign(store, "2026-04-leadex-01", "news", {"sl": "whatever"}, "subject")
    [old] = [c for c in _campaigns(store) if c.issue_slug == "2026-04-leadex-01"]
    with pytest.raises(CampaignError, match="anonymised"):
        campaigns.requeue_failed(store, old)
    campaigns.open_campaign(store, "2026-10-leadex-02", "news", {"sl": "whatever"}, "subject")  # the recent one still resumes


def test_nothing_old_nothing_done(store) -> None:
    lists.create_list(store, "news")
    person(store, "fresh@example.org", "active", NOW)
    report = run_maintenance(store, POLICY, now=NOW)
    assert not report.changed_anything and not report.open_campaigns


def test_the_cli_says_what_it_did(store, cli) -> None:
    """On a store with old data (ages relative to the real clock: the CLI runs now), then again from cron."""
    now = datetime.now(UTC)
    lists.create_list(store, "news")
    person(store, "pending.cli@example.org", "pending", now - timedelta(days=45))
    left = person(store, "left.cli@example.org", "unsubscribed", now - timedelta(days=400))
    active = person(store, "active.cli@example.org", "active", now - timedelta(days=800))
    campaign(store, "2025-01-leadex-00", "done", now - timedelta(days=500), [active, left])
    campaign(store, "2025-02-leadex-xx", "paused", now - timedelta(days=500), [active])
    dry = cli("maintenance", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing changed" in dry.output and "1 person would be erased" in dry.output
    result = cli("maintenance")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "unconfirmed sign-ups older than 30 days: 1 sign-up deleted" in out
    assert "over 365 days ago: 1 person erased (1 unsubscribed); their addresses stay only as suppression hashes" in out
    assert "delivery records of campaigns done over 365 days ago: 2 records anonymised in 1 campaign; counts kept:" in out
    assert "  2025-01-leadex-00 to news (done " in out and "): 1 sent, 1 failed\n" in out
    assert "  kept: 2025-02-leadex-xx to news is paused since " in out
    assert "bounce and complaint reports older than 365 days: 0 reports anonymised" in out
    assert "active subscribers were not touched" in out
    assert subscribers.get_subscriber(store, "active.cli@example.org").status == "active"
    with pytest.raises(NotFound):
        subscribers.get_subscriber(store, "left.cli@example.org")
    assert cli("maintenance", "--quiet").output == ""  # cron mails nothing when nothing was done (the paused one was said)


def test_retention_settings_are_validated() -> None:
    from leadex_mail.config import load_settings
    from leadex_mail.errors import ConfigError

    for name in ("UNSUBSCRIBED_RETENTION_DAYS", "DELIVERY_RETENTION_DAYS", "PENDING_PURGE_DAYS"):
        with pytest.raises(ConfigError, match="at least 1"):
            load_settings(environ={f"LEADEX_{name}": "0"})
    settings = load_settings(environ={"LEADEX_UNSUBSCRIBED_RETENTION_DAYS": "730", "LEADEX_DELIVERY_RETENTION_DAYS": "90"})
    assert RetentionPolicy.from_settings(settings) == RetentionPolicy(30, 730, 90)


@pytest.mark.parametrize("name", ["UNSUBSCRIBED_RETENTION_DAYS", "DELIVERY_RETENTION_DAYS", "PENDING_PURGE_DAYS", "CONFIRM_EXPIRY_DAYS"])
@pytest.mark.parametrize("days", ["99999999999", "3000000"])
def test_a_period_too_long_for_dates_is_a_setting_error_not_a_traceback(cli, name: str, days: str) -> None:
    # Tester a14 #1: maintenance raised OverflowError ("date value out of range") while config show said ready.
    for command in (("maintenance", "--dry-run"), ("config", "show")):
        result = cli(*command, env={f"LEADEX_{name}": days})
        assert result.exit_code != 0, result.output
        assert f"{name.lower()}' from env LEADEX_{name}: {name.lower()} may be at most 36500 days (got {days})" in result.output
        assert "Traceback" not in result.output


def test_forget_subscriber_needs_the_rows_nonce(store) -> None:
    lists.create_list(store, "news")
    sid = person(store, "nonce@example.org", "active", NOW)
    row = subscribers.get_subscriber_by_id(store, sid)
    assert gdpr.forget_subscriber(store, sid, "not-the-nonce") is None
    assert subscribers.get_subscriber_by_id(store, sid).email == "nonce@example.org"
    done = gdpr.forget_subscriber(store, sid, row.link_nonce)
    assert done is not None and done.subscriber_found and subscribers.is_suppressed(store, "nonce@example.org")
    assert gdpr.forget_subscriber(store, sid, row.link_nonce) is None  # gone: nothing more to erase


def test_privacy_mails_are_throttled_per_kind(store) -> None:
    lists.create_list(store, "news")
    sid = person(store, "asks@example.org", "active", NOW)
    assert outgoing.request_mail(store, "data_export", sid, language="sl", at=NOW)
    assert not outgoing.request_mail(store, "data_export", sid, language="sl", at=NOW + timedelta(minutes=59))
    assert outgoing.request_mail(store, "erasure", sid, language="sl", at=NOW)  # another kind, its own throttle
    with store.session(write=False) as s:
        states = [(m.kind, m.state, m.last_reply) for m in s.exec(select(OutgoingMail).order_by(OutgoingMail.id)).scalars()]
    assert states == [
        ("data_export", "queued", None),
        ("data_export", "skipped", "not sent: a data export mail was sent or queued less than 60 minutes before"),
        ("erasure", "queued", None),
    ]
    with store.begin() as conn:  # the first one went out
        table = OutgoingMail.__table__
        conn.execute(update(table).where(table.c.kind == "data_export", table.c.state == "queued").values(state="sent"))
    assert outgoing.request_mail(store, "data_export", sid, language="sl", at=NOW + timedelta(minutes=61))


def test_notice_versions_are_kept_once(store) -> None:
    assert notices.record_notice(store, "p-1", {"facts": {"controller": "A"}}, NOW)
    assert not notices.record_notice(store, "p-1", {"facts": {"controller": "changed?"}}, NOW + timedelta(days=1))
    assert notices.record_notice(store, "p-2", {"facts": {"controller": "B"}}, NOW + timedelta(days=2))
    assert notices.notice_versions(store) == [("p-1", NOW), ("p-2", NOW + timedelta(days=2))]
    assert notices.notice_content(store, "p-1") == {"facts": {"controller": "A"}}


def test_consent_evidence_carries_the_notice_version(store) -> None:
    lists.create_list(store, "news")
    sub = subscribers.request_subscription(
        store, "evidence@example.org", name=None, language="sl", lists=("news",), consent_version="2026-04", source="web",
        ip="192.0.2.1", user_agent="B", notice_version="p-abc",
    )
    subscribers.confirm_subscription(store, int(sub.id), ip="192.0.2.1", user_agent="B", consent_version="2026-04", notice_version="p-abd")
    with store.session(write=False) as s:
        rows = s.exec(select(Event.kind, Event.consent_version, Event.notice_version).where(Event.subscriber_id == sub.id).order_by(Event.id)).all()
        memberships = s.exec(select(Subscription).where(Subscription.subscriber_id == sub.id)).all()
    assert [tuple(r) for r in rows] == [("subscribed", "2026-04", "p-abc"), ("confirmed", "2026-04", "p-abd"), ("subscribed", "2026-04", "p-abd")]
    assert len(memberships) == 1
    [record] = gdpr.export_subscribers(store, "evidence@example.org")
    assert [e["notice_version"] for e in record["events"]] == ["p-abc", "p-abd", "p-abd"]
