"""The corpus: ≥ 20 reports in the real formats, each with its expected reading, match and action.

Run through the real parts: files read by ``bounces import``'s reader,
parsed, matched against a real store (SQLite and PostgreSQL) seeded with
the deliveries the reports name, acted on, and recorded.
"""

from __future__ import annotations

import pytest
from bounce_helpers import CORPUS, address, corpus_files, corpus_settings, seed
from sqlmodel import select

from leadex_mail.bounces.parse import parse_message
from leadex_mail.bounces.service import import_paths, process_message
from leadex_mail.bounces.policy import Policy
from leadex_mail.store.models import BounceReport, Delivery, Event, Subscriber, Subscription
from leadex_mail.store.subscribers import is_suppressed

# file prefix -> (kind, format, action, match method, delivery, subscriber status after, delivery error_kind after)
EXPECTED: dict[str, tuple[str, str, str, str | None, int | None, str | None, str | None]] = {
    "01": ("bounce", "rfc3464", "suppressed", "envid", 1, "bounced", "permanent"),
    "02": ("bounce", "rfc3464", "suppressed", "message-id", 2, "bounced", "permanent"),
    "03": ("bounce", "rfc3464", "suppressed", "message-id", 3, "bounced", "permanent"),
    "04": ("bounce", "rfc3464", "soft", "message-id", 4, "active", "soft"),
    "05": ("delay", "rfc3464", "ignored", "message-id", 5, "active", None),
    "06": ("bounce", "postfix", "suppressed", "message-id", 6, "bounced", "permanent"),
    "07": ("bounce", "exim", "suppressed", "message-id", 7, "bounced", "permanent"),
    "08": ("bounce", "exim", "rejected", "message-id", 8, "active", "rejected"),
    "09": ("bounce", "rfc3464", "suppressed", "message-id", 9, "bounced", "permanent"),
    "10": ("bounce", "rfc3464", "rejected", "message-id", 10, "active", "rejected"),
    # 11, 12 name the person by address only, came back to the plain bounce address (VERP is on here) and return no
    # headers of ours: a forged report looks the same, so they are kept as unmatched (tests/bounces/test_forged.py).
    "11": ("bounce", "microsoft", "unmatched", None, None, "active", None),
    "12": ("bounce", "rfc3464", "unmatched", None, None, "active", None),
    "13": ("bounce", "rfc3464", "soft", "message-id", 13, "active", "soft"),
    "14": ("bounce", "yahoo", "suppressed", "message-id", 14, "bounced", "permanent"),
    "15": ("bounce", "qmail", "suppressed", "message-id", 15, "bounced", "permanent"),
    "16": ("complaint", "arf", "unsubscribed", "message-id", 16, "complained", None),
    "17": ("complaint", "arf", "unsubscribed", "message-id", 17, "complained", None),
    "18": ("autoreply", "autoreply", "ignored", None, None, "active", None),
    "19": ("autoreply", "autoreply", "ignored", None, None, "active", None),
    "20": ("bounce", "forwarded-rfc3464", "suppressed", "message-id", 20, "bounced", "permanent"),
    "21": ("unrecognised", "unknown", "kept", None, None, "active", None),
    "22": ("unrecognised", "unknown", "kept", None, None, "active", None),
    "23": ("bounce", "rfc3464", "unmatched", None, None, None, None),
    "24": ("unrecognised", "arf", "kept", None, None, "active", None),
    "25": ("bounce", "rfc3464", "suppressed", "message-id", 25, "bounced", "permanent"),
    "26": ("bounce", "rfc3464", "suppressed", "verp", 26, "bounced", "permanent"),
}


def test_corpus_is_complete() -> None:
    files = corpus_files()
    assert len(files) >= 20
    assert [f.name[:2] for f in files] == sorted(EXPECTED)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_each_report_is_read_as_expected(path) -> None:
    kind, fmt, *_ = EXPECTED[path.name[:2]]
    report = parse_message(path.read_bytes())
    assert (report.kind.value, report.format) == (kind, fmt), report.reason


def test_corpus_import_matches_and_acts(store, settings) -> None:
    seed(store)
    summary = import_paths(store, corpus_settings(settings), [CORPUS])
    by_file = {o.source.rsplit("/", 1)[1][:2]: o for o in summary.outcomes}
    with store.session(write=False) as session:
        for prefix, (kind, fmt, action, match, delivery, status, error_kind) in EXPECTED.items():
            outcome = by_file[prefix]
            assert (outcome.kind, outcome.format, outcome.action, outcome.match) == (kind, fmt, action, match), prefix
            row = session.get(BounceReport, outcome.report_id)
            assert row.delivery_id == delivery, prefix
            assert (row.raw is not None) == (action in ("kept", "unmatched")), prefix  # kept, never dropped
            person = int(prefix)
            if status is not None:
                assert session.get(Subscriber, person).status == status, prefix
            if delivery is not None:
                d = session.get(Delivery, delivery)
                assert d.error_kind == error_kind, prefix
                assert d.state == ("failed" if error_kind else "sent"), prefix
    # Every suppression is on the list by hash too, and nobody else is.
    suppressed = {int(p) for p, e in EXPECTED.items() if e[5] in ("bounced", "complained")}
    for person in (int(p) for p, e in EXPECTED.items() if e[5] is not None):
        assert is_suppressed(store, address(person)) == (person in suppressed), person


def test_every_action_is_an_event_with_the_reports_evidence(store, settings) -> None:
    seed(store)
    import_paths(store, corpus_settings(settings), [CORPUS])
    with store.session(write=False) as session:
        events = {e.subscriber_id: e for e in session.exec(select(Event).where(Event.source == "bounce-mail")).all()}
        hard = events[3]
        assert hard.kind == "bounced" and hard.detail["hard"] is True
        assert hard.detail["status"] == "5.1.1" and "User unknown" in hard.detail["diagnostic"]
        assert hard.detail["match"] == "message-id" and hard.detail["delivery"] == 3 and hard.detail["campaign"] == 1
        assert session.get(BounceReport, hard.detail["report"]).message_id == "<20260505080217.4Xk3A10v9Gz5vLx@smtp.news.example.org>"
        soft = events[4]
        assert soft.kind == "bounced" and soft.detail["hard"] is False and soft.detail["effect"] == "soft"
        complaint = events[16]
        assert complaint.kind == "complained" and complaint.detail["feedback_type"] == "abuse"
        assert complaint.detail["user_agent"] == "Yahoo!-Mail-Feedback/2.0" and complaint.detail["source_ip"] == "198.51.100.7"
        # Rejections and ignored messages touch no one's log.
        assert 8 not in events and 10 not in events and 18 not in events


def test_a_complaint_unsubscribes_from_every_list(store, settings) -> None:
    seed(store)
    import_paths(store, settings, [CORPUS / "16_arf_yahoo_complaint.eml"])
    with store.session(write=False) as session:
        rows = session.exec(select(Subscription).where(Subscription.subscriber_id == 16)).all()
        assert {r.list_id: r.status for r in rows} == {1: "unsubscribed", 2: "unsubscribed"}
        others = session.exec(select(Subscription).where(Subscription.subscriber_id == 15)).all()
        assert {r.status for r in others} == {"active"}


def test_processing_twice_changes_nothing(store, settings) -> None:
    seed(store)
    first = import_paths(store, corpus_settings(settings), [CORPUS])
    with store.session(write=False) as session:
        before = (len(session.exec(select(Event)).all()), len(session.exec(select(BounceReport)).all()))
    again = import_paths(store, corpus_settings(settings), [CORPUS])
    assert again.actions == {"duplicate": len(first.outcomes)}
    with store.session(write=False) as session:
        after = (len(session.exec(select(Event)).all()), len(session.exec(select(BounceReport)).all()))
    assert after == before


def test_same_message_id_with_other_bytes_is_a_duplicate(store, settings) -> None:
    # An IMAP copy may differ from the file by a header a server added: the Message-ID still says "seen".
    seed(store)
    raw = (CORPUS / "03_postfix_user_unknown.eml").read_bytes()
    policy = Policy()
    assert process_message(store, raw, "a", policy=policy).action == "suppressed"
    assert process_message(store, b"X-Spam-Score: 0.1\n" + raw, "b", policy=policy).action == "duplicate"


def test_without_verp_the_forwarded_recipient_matches_nothing(store, settings) -> None:
    # Report 26's returned Message-ID was rewritten and its recipient is a forward target: only the VERP token names the delivery.
    seed(store)
    [outcome] = import_paths(store, settings, [CORPUS / "26_postfix_verp.eml"]).outcomes
    assert outcome.action == "unmatched"
