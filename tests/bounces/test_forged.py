"""Forged reports: anyone can mail the bounce address, so an address alone must not suppress or unsubscribe anyone.

The tester's reports (finding 3): one DSN from MAILER-DAEMON@evil… naming ten
subscribers took a list from 8 active to 0; a forged ARF complaint with VERP
on unsubscribed a person for good and pushed the complaint rate over 0.3 %.
Rules (docs/bounces.md, "Forged reports"): with VERP on only a signed value
(VERP token, ENVID, Message-ID) acts; without VERP the address step acts only
when the report returns headers of ours naming the campaign, on at most one
subscriber, and a complaint so matched is recorded as liftable.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bounce_helpers import CORPUS, VERP_ENV, corpus_settings, seed
from sqlmodel import select

from leadex_mail.bounces.service import import_paths
from leadex_mail.store.models import BounceReport, Event, Subscriber, Subscription
from leadex_mail.store.subscribers import is_suppressed

FORGED = Path(__file__).resolve().parent / "fixtures" / "forged"
RETURNED = (
    "--b{n}\nContent-Type: text/rfc822-headers\n\nFrom: LeadEx <news@news.example.org>\nTo: {to}\n"
    "Subject: LeadEx novice 1\nMessage-ID: <{mid}@news.example.org>\n\n--b{n}--\n"
)


def _with_returned_headers(raw: str, boundary: str, to: str, mid: str = "lx.1.99.00000000deadbeef") -> str:
    """The report with a returned-headers part naming campaign 1 by its subject (a value anyone who got the newsletter knows)."""
    return raw.replace(f"--b{boundary}--\n", RETURNED.format(n=boundary, to=to, mid=mid))


def _statuses(store) -> dict[int, str]:
    with store.session(write=False) as session:
        return {s.id: s.status for s in session.exec(select(Subscriber)).all()}


def test_a_forged_mass_dsn_suppresses_nobody(store, settings) -> None:
    seed(store)
    before = _statuses(store)
    [outcome] = import_paths(store, settings, [FORGED / "forged_mass_dsn.eml"]).outcomes
    assert outcome.action == "unmatched"
    assert _statuses(store) == before
    with store.session(write=False) as session:
        assert "address only" in session.get(BounceReport, outcome.report_id).evidence["reason"]


def test_naming_the_campaign_does_not_let_one_report_act_on_many(store, settings, tmp_path) -> None:
    seed(store)
    before = _statuses(store)
    path = tmp_path / "mass.eml"
    path.write_text(_with_returned_headers((FORGED / "forged_mass_dsn.eml").read_text(), "2", "person1@example.com"))
    [outcome] = import_paths(store, settings, [path]).outcomes
    assert outcome.action == "unmatched"
    assert _statuses(store) == before
    with store.session(write=False) as session:
        assert "names 10 subscribers by address only" in session.get(BounceReport, outcome.report_id).evidence["reason"]


def test_with_verp_on_a_forged_complaint_is_kept_not_acted_on(store, settings, cli) -> None:
    seed(store)
    [outcome] = import_paths(store, corpus_settings(settings), [FORGED / "forged_arf_verp_on.eml"]).outcomes
    assert outcome.action == "unmatched"
    assert _statuses(store)[15] == "active" and not is_suppressed(store, "person15@example.com")
    with store.session(write=False) as session:
        assert "VERP is on" in session.get(BounceReport, outcome.report_id).evidence["reason"]
    result = cli("bounces", "report", env=VERP_ENV)
    assert result.exit_code == 0 and "ABOVE" not in result.output


def test_with_verp_on_the_address_step_is_not_taken_even_with_our_headers(store, settings, tmp_path) -> None:
    seed(store)
    raw = (CORPUS / "03_postfix_user_unknown.eml").read_text().replace("lx.1.3.0000000000000003", "lx.1.3.00000000000000ff")
    path = tmp_path / "rewritten.eml"
    path.write_text(raw)
    assert import_paths(store, corpus_settings(settings), [path]).outcomes[0].action == "unmatched"
    assert _statuses(store)[3] == "active"


def test_without_verp_our_returned_headers_let_the_address_act_on_one_person(store, settings, tmp_path) -> None:
    # A relay rewrote the returned Message-ID (it no longer proves the delivery), but it still names campaign 1.
    seed(store)
    raw = (CORPUS / "03_postfix_user_unknown.eml").read_text().replace("lx.1.3.0000000000000003", "lx.1.3.00000000000000ff")
    path = tmp_path / "rewritten.eml"
    path.write_text(raw)
    [outcome] = import_paths(store, settings, [path]).outcomes
    assert (outcome.action, outcome.match) == ("suppressed", "recipient")
    assert _statuses(store)[3] == "bounced"


def test_an_unverified_complaint_counts_apart_and_the_operator_may_lift_it(store, settings, cli, tmp_path) -> None:
    seed(store)
    path = tmp_path / "arf.eml"
    path.write_text((FORGED / "forged_arf_verp_on.eml").read_text().replace("Subject: whatever", "Subject: LeadEx novice 1"))
    [outcome] = import_paths(store, settings, [path]).outcomes
    assert (outcome.action, outcome.match) == ("unsubscribed", "recipient")
    assert _statuses(store)[15] == "complained"
    report = cli("bounces", "report")
    assert report.exit_code == 0, report.output  # not counted in the rate: it may be forged
    assert "complaints: 0, rate 0.00%" in report.output and "matched by address only (unverified, not in the rate): 1" in report.output
    lifted = cli("subscribers", "reactivate", "person15@example.com", "--reason", "forged complaint from evil.example.net")
    assert lifted.exit_code == 0, lifted.output
    assert _statuses(store)[15] == "active" and not is_suppressed(store, "person15@example.com")
    with store.session(write=False) as session:
        subs = session.exec(select(Subscription).where(Subscription.subscriber_id == 15)).all()
        assert {s.status for s in subs} == {"active"}
        event = session.exec(select(Event).where(Event.subscriber_id == 15, Event.kind == "reactivated")).one()
        assert event.detail["reason"] == "forged complaint from evil.example.net" and "unverified" in event.detail["was"]


def test_a_verified_complaint_is_still_never_lifted(store, settings, cli) -> None:
    seed(store)
    import_paths(store, dataclasses.replace(settings), [CORPUS / "16_arf_yahoo_complaint.eml"])
    refused = cli("subscribers", "reactivate", "person16@yahoo.example", "--reason", "forged")
    assert refused.exit_code != 0 and "person's decision" in refused.output
    assert _statuses(store)[16] == "complained"
