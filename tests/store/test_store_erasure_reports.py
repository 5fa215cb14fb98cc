"""Erasure reaches every report of the bounce mailbox that names the person, and the mails ``serve`` sent them.

A report matched to no delivery (the bounce of a sign-up confirmation, a
message not understood) is kept whole for a person to read, and linked to
nobody: only the address inside it says whom it is about, in whatever form
the message carries it (any case, base64, quoted-printable, RFC 2047,
Unicode domain). ``forget``, the self-service erasure, the purge of
unconfirmed sign-ups and retention all strip those reports, and keep how
each report was classified so the per-campaign bounce counts stay.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.header import Header

import pytest
from sqlalchemy import select

from bounces.bounce_helpers import CORPUS, address, seed
from leadex_mail.bounces.policy import Policy
from leadex_mail.bounces.reporting import overview, raw_message
from leadex_mail.bounces.service import process_message
from leadex_mail.errors import NotFound
from leadex_mail.store import gdpr, lists, subscribers
from leadex_mail.store.maintenance import RetentionPolicy, run_maintenance
from leadex_mail.store.models import BounceReport, OutgoingMail

ADDRESS = "jana.kovac@example.org"
IDN = "ana@xn--bcher-kva.example"  # stored form of ana@bücher.example


def _dsn(recipient: str, n: int) -> bytes:
    """A delivery report about ``recipient`` that matches no delivery (a bounced confirmation mail)."""
    return (
        f"From: MAILER-DAEMON@relay.example.net\nTo: bounces@news.example.org\nSubject: Undelivered Mail Returned to Sender\n"
        f"Message-Id: <dsn{n}@relay.example.net>\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        f"--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        f"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 No such user\n\n"
        f"--b\nContent-Type: text/rfc822-headers\n\nFrom: LeadEx <news@news.example.org>\nSubject: Potrdite prijavo\nMessage-ID: <c{n}@news.example.org>\n\n--b--\n"
    ).encode()


def _note(n: int, *, headers: str = "", body: bytes = b"Hello", cte: str = "7bit", charset: str = "utf-8") -> bytes:
    """A message that is no report at all (a person wrote to the bounce address): kept whole."""
    return (
        f"From: someone@example.net\nTo: bounces@news.example.org\nSubject: a question\nMessage-Id: <note{n}@example.net>\n{headers}"
        f"MIME-Version: 1.0\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n"
    ).encode() + body + b"\n"


def _import(store, raw: bytes) -> int:
    return process_message(store, raw, "imap:INBOX/1", policy=Policy()).report_id


def _report(store, report_id: int) -> BounceReport:
    with store.session(write=False) as s:
        return s.get(BounceReport, report_id)


def _naming_jana(store) -> dict[str, int]:
    """One report per form the address may take; none names it plainly except the first."""
    body = f"Please remove me: {ADDRESS}".encode()
    encoded = Header(f"Jana Kovačič <{ADDRESS}>", "utf-8").encode()
    return {
        "upper case, in a DSN": _import(store, _dsn(ADDRESS.upper(), 1)),
        "base64 body": _import(store, _note(2, body=base64.encodebytes(body), cte="base64")),
        "quoted-printable, soft line break inside": _import(store, _note(3, body=b"Please remove me: jana.kovac@exa=\nmple.org", cte="quoted-printable")),
        "RFC 2047 header": _import(store, _note(4, headers=f"Reply-To: {encoded}\n")),
        "quoted in a sentence": _import(store, _note(8, body=f"Do not write to '{ADDRESS}' again, and rcpt={ADDRESS}".encode())),
    }


def test_forget_strips_every_report_naming_the_address_in_any_form(store) -> None:
    lists.create_list(store, "news")
    subscribers.add_subscriber(store, ADDRESS, name="Jana", lists=["news"])
    naming = _naming_jana(store)
    others = {  # other addresses, which only contain hers
        "longer local part": _import(store, _dsn("xjana.kovac@example.org", 5)),
        "longer domain": _import(store, _dsn("jana.kovac@example.org.uk", 6)),
    }
    for report_id in naming.values():  # the check below can fail: they were kept whole, linked to nobody
        row = _report(store, report_id)
        assert row.raw is not None and row.subscriber_id is None and row.action in ("kept", "unmatched")

    done = gdpr.forget(store, ADDRESS)

    assert done.reports_scrubbed == len(naming)
    for form, report_id in naming.items():
        row = _report(store, report_id)
        assert row.raw is None, form
        assert set(row.evidence) <= {"format", "effect", "category", "feedback_type", "removed"} and row.evidence["removed"] == "erasure", form
        assert ADDRESS not in json.dumps(row.evidence).lower() and ADDRESS not in (row.message_id or "") + row.source, form
        with pytest.raises(NotFound, match="named a person whose data was erased"):
            raw_message(store, report_id)
    for form, report_id in others.items():
        assert _report(store, report_id).raw is not None, form
    assert sorted(k.report_id for k in overview(store).kept) == sorted(others.values())  # nothing left to read is not listed


def test_an_internationalised_domain_is_found_in_unicode_too(store) -> None:
    report_id = _import(store, _note(7, body="Odjavite ana@bücher.example, prosim".encode(), cte="8bit"))
    assert gdpr.forget(store, "ana@bücher.example").reports_scrubbed == 1
    assert _report(store, report_id).raw is None


@pytest.mark.sqlite_only_reason("reads the raw bytes of the SQLite file")
def test_the_kept_messages_leave_the_file(store, settings, tmp_path, sqlite_only) -> None:
    lists.create_list(store, "news")
    subscribers.add_subscriber(store, ADDRESS, name="Jana", lists=["news"])
    _import(store, _dsn(ADDRESS, 1))
    store.checkpoint()
    assert ADDRESS.encode() in b"".join(p.read_bytes() for p in tmp_path.glob("subscribers.db*"))  # the check below can fail
    gdpr.forget(store, ADDRESS)
    store.checkpoint()
    with sqlite3.connect(tmp_path / "subscribers.db") as conn:
        cells = [repr(c).lower() for t, in conn.execute("SELECT name FROM sqlite_master WHERE type='table'") for r in conn.execute(f'SELECT * FROM "{t}"') for c in r]
    assert not [c for c in cells if ADDRESS in c]
    assert ADDRESS.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("subscribers.db*"))


def test_erasure_keeps_the_per_campaign_bounce_counts(store) -> None:
    seed(store)
    process_message(store, (CORPUS / "03_postfix_user_unknown.eml").read_bytes(), "x", policy=Policy())
    before = [(c.issue_slug, c.counts) for c in overview(store).campaigns]
    assert before[0][1]["hard"] == 1  # the check below can fail

    done = gdpr.forget(store, address(3))

    assert [(c.issue_slug, c.counts) for c in overview(store).campaigns] == before
    assert done.reports_scrubbed == 1
    with store.session(write=False) as s:
        [row] = s.execute(select(BounceReport)).scalars()
    assert row.subscriber_id is None and row.raw is None and row.evidence == {"effect": "hard", "format": row.evidence["format"], "removed": "erasure"}


def test_purging_an_unconfirmed_sign_up_strips_its_bounced_confirmation(store) -> None:
    lists.create_list(store, "news")
    subscribers.request_subscription(
        store, ADDRESS, name=None, language="sl", lists=["news"], consent_version="2026-04", source="web", ip=None, user_agent=None
    )
    report_id = _import(store, _dsn(ADDRESS, 1))  # the confirmation mail bounced: no delivery, so unmatched
    assert _report(store, report_id).action == "unmatched"
    assert gdpr.purge_pending(store, timedelta(days=30), now=datetime.now(UTC) + timedelta(days=31)) == 1
    assert _report(store, report_id).raw is None


def test_retention_strips_the_reports_naming_the_people_it_erases(store) -> None:
    lists.create_list(store, "news")
    left = subscribers.add_subscriber(store, ADDRESS, lists=["news"])
    subscribers.mark_bounced(store, int(left.id), reply="550 5.1.1 user unknown")
    subscribers.add_subscriber(store, "stays@example.org", lists=["news"])
    naming = _import(store, _dsn(ADDRESS, 1))
    other = _import(store, _dsn("stays@example.org", 2))
    policy = RetentionPolicy(pending_days=30, inactive_days=365, delivery_days=10_000)  # reports themselves are not old yet
    report = run_maintenance(store, policy, now=datetime.now(UTC) + timedelta(days=366))
    assert report.people_erased == 1
    assert _report(store, naming).raw is None and _report(store, other).raw is not None


def test_the_mails_serve_sent_are_exported_and_erased(store, cli) -> None:
    lists.create_list(store, "news")
    sub = subscribers.add_subscriber(store, ADDRESS, lists=["news"])
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    with store.session() as s:
        s.add(OutgoingMail(kind="confirmation", subscriber_id=sub.id, language="sl", state="failed", attempts=3, next_attempt_at=now,
                           last_reply=f"550 5.1.1 <{ADDRESS}>: Recipient address rejected", created_at=now, updated_at=now))
        s.add(OutgoingMail(kind="data_export", subscriber_id=sub.id, language="sl", state="sent", attempts=1, next_attempt_at=now,
                           last_reply="250 2.0.0 Ok", created_at=now, updated_at=now, sent_at=now))
    [record] = json.loads(cli("subscribers", "export", ADDRESS).output)
    assert record["mails"] == [
        {"kind": "confirmation", "state": "failed", "queued_at": now.isoformat(), "sent_at": None, "attempts": 3,
         "server_reply": f"550 5.1.1 <{ADDRESS}>: Recipient address rejected"},
        {"kind": "data_export", "state": "sent", "queued_at": now.isoformat(), "sent_at": now.isoformat(), "attempts": 1, "server_reply": "250 2.0.0 Ok"},
    ]
    assert "confirmation" in cli("subscribers", "export", "--format", "csv").output.splitlines()[1]

    gdpr.forget(store, ADDRESS)
    with store.session(write=False) as s:
        assert s.execute(select(OutgoingMail)).scalars().all() == []


def test_maintenance_counts_the_same_reports_in_a_dry_run_and_a_real_one(store) -> None:
    lists.create_list(store, "news")
    left = subscribers.add_subscriber(store, ADDRESS, lists=["news"])
    subscribers.mark_bounced(store, int(left.id), reply="550 5.1.1 user unknown")
    now = datetime.now(UTC) + timedelta(days=400)
    with store.session() as s:  # an old report about her (retention's), and a newer one naming her (the erasure's)
        s.add(BounceReport(content_hash="1" * 64, received_at=now - timedelta(days=200), source="imap", kind="bounce", format="rfc3464",
                           action="suppressed", subscriber_id=left.id, evidence={"effect": "hard", "format": "rfc3464", "subject": "Undelivered"}))
    newer = process_message(store, _dsn(ADDRESS, 1), "imap:INBOX/2", policy=Policy(), now=now - timedelta(days=10)).report_id
    policy = RetentionPolicy(pending_days=30, inactive_days=365, delivery_days=180)

    dry = run_maintenance(store, policy, now=now, dry_run=True)
    real = run_maintenance(store, policy, now=now)

    assert (dry.people_erased, dry.reports_anonymised, dry.reports_stripped) == (1, 1, 1)
    assert (real.people_erased, real.reports_anonymised, real.reports_stripped) == (1, 1, 1)
    assert _report(store, newer).raw is None
    again = run_maintenance(store, policy, now=now)
    assert (again.reports_anonymised, again.reports_stripped, again.changed_anything) == (0, 0, False)


def test_a_report_arriving_after_the_erasure_is_stored_stripped(store) -> None:
    # A late bounce of her last newsletter, and a bounced message to someone erased who never subscribed:
    # the next read of the bounce mailbox must not bring the address back.
    seed(store)
    gdpr.forget(store, address(3))
    gdpr.forget(store, "late.person@example.org")
    late = process_message(store, (CORPUS / "03_postfix_user_unknown.eml").read_bytes(), "imap:INBOX/8", policy=Policy())
    unmatched = _import(store, _dsn("Late.Person@Example.org", 9))
    stranger = _import(store, _dsn("stranger@example.com", 10))  # erased by nobody: kept for a person to read

    assert late.action == "suppressed" and _report(store, unmatched).action == "unmatched"
    for report_id, who in ((late.report_id, address(3)), (unmatched, "late.person@example.org")):
        row = _report(store, report_id)
        assert row.raw is None and row.evidence["removed"] == "erasure" and set(row.evidence) <= {"format", "effect", "category", "removed"}
        assert who not in json.dumps(row.evidence) + (row.message_id or "") + row.source
    assert _report(store, stranger).raw is not None
    assert overview(store).campaigns[0].counts["hard"] == 1  # still counted
