"""One delivery per recipient per issue: someone on two lists gets an issue once, on SQLite and PostgreSQL.

Reported: a subscriber on the lists "newsletter" and "partners" got issue
No. 1 twice when it was sent to "newsletter" and then to "partners"
(campaigns were per (issue, list), and so was the one-delivery rule).
The race of two campaigns of one issue queued at once is in test_races.py.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from campaign_helpers import ISSUE, add_people, email_of, make_settings, smtp_env
from sqlalchemy import func, insert, select, update

from leadex_mail.campaign.runner import plan_campaign, send_campaign
from leadex_mail.errors import CampaignError
from leadex_mail.store import campaigns
from leadex_mail.store.lists import get_list
from leadex_mail.store.issuelock import SKIPPED_ELSEWHERE
from leadex_mail.store.models import Campaign, Delivery, Subscription
from leadex_mail.store.overlap import OtherList

KEY = "one-per-issue-secret-key-0123456789abcdef"


def on_partners_too(store, ids: list[int]) -> None:
    """Subscribe ``ids`` (already on "newsletter") to "partners" as well."""
    list_id = get_list(store, "partners").id
    with store.begin() as conn:
        conn.execute(insert(Subscription.__table__), [{"subscriber_id": i, "list_id": list_id, "status": "active"} for i in ids])


def deliveries_per_person(store, slug: str) -> dict[int, int]:
    d, c = Delivery.__table__, Campaign.__table__
    with store.begin(write=False) as conn:
        query = select(d.c.subscriber_id, func.count()).join(c, c.c.id == d.c.campaign_id).where(c.c.issue_slug == slug).group_by(d.c.subscriber_id)
        return dict(conn.execute(query).all())


def test_an_issue_sent_to_two_lists_reaches_someone_on_both_once(tmp_path, store, people, issue, cli, smtp_server) -> None:
    ids = people(5)  # person00000..4 on "newsletter"
    add_people(store, 2, list_name="partners", start=100)  # only on "partners"
    on_partners_too(store, ids[:3])  # the overlap: on both lists
    env = smtp_env(smtp_server)
    first = cli("send", ISSUE, "--list", "newsletter", "--yes", **env)
    assert first.exit_code == 0 and "Sent 5 in" in first.output, first.output

    second = cli("send", ISSUE, "--list", "partners", "--yes", **env)
    assert second.exit_code == 0, second.output
    said = "3 people on this list already received this issue through the list 'newsletter' and will not get it again"
    plan, report = second.output.split("Sent ")
    assert said in plan and "total: 2" in plan, second.output  # the confirmation
    assert "2 in" in report and said in report, second.output  # the report
    for i in [*range(5), 100, 101]:
        assert len(smtp_server.to(email_of(i))) == 1, (email_of(i), len(smtp_server.to(email_of(i))))  # before: 2 for 0, 1 and 2
    assert len(smtp_server.messages) == 7
    assert set(deliveries_per_person(store, ISSUE).values()) == {1}
    status = cli("status", ISSUE)
    assert status.output.count(said) == 1, status.output  # under the partners campaign only

    # Sending it again to either list sends nothing; the next issue reaches the overlap again.
    again = cli("send", ISSUE, "--list", "partners", "--yes", **env)
    assert "Nothing was sent in this run." in again.output and len(smtp_server.messages) == 7, again.output
    settings = make_settings(tmp_path, store=store, smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none",
                             secret_key=KEY, public_url="https://news.example.org")
    next_issue = issue.model_copy(update={"slug": "2026-05-leadex-02"})
    assert send_campaign(store, next_issue, settings, list_name="newsletter").sent_now == 5
    nxt = send_campaign(store, next_issue, settings, list_name="partners")
    assert nxt.sent_now == 2 and nxt.other_lists == (OtherList("newsletter", 3, 0, 0),)
    assert [len(smtp_server.to(email_of(i))) for i in [*range(5), 100, 101]] == [2] * 7


def test_the_plan_names_who_another_campaign_owns_in_every_state(store, settings, people, issue) -> None:
    ids = people(6)
    add_people(store, 1, list_name="partners", start=100)
    on_partners_too(store, ids[:4])
    newsletter = campaigns.open_campaign(store, issue.slug, "newsletter", {"sl": "h", "en": "h"}, "S")
    campaigns.queue_eligible(store, newsletter, issue.editions, issue.default_language)
    d = Delivery.__table__
    with store.begin() as conn:  # as sending left them: one sent, one failed, one skipped (the fourth still queued)
        for sid, state in zip(ids[:3], ("sent", "failed", "skipped")):
            conn.execute(update(d).where(d.c.campaign_id == newsletter.id, d.c.subscriber_id == sid).values(state=state))
    plan = plan_campaign(store, issue, settings, list_name="partners")
    assert plan.other_lists == (OtherList("newsletter", received=1, pending=1, not_sent=2),) and plan.total == 1
    dry = send_campaign(store, issue, settings, list_name="partners", dry_run=True)
    assert dry.built == 1
    report = send_campaign(store, issue, settings, list_name="partners")
    assert report.sent_now == 1 and report.counts["sent"] == 1
    assert set(deliveries_per_person(store, issue.slug).values()) == {1}
    # The failed one stays the newsletter campaign's: its retry sends it, the partners campaign never does.
    assert campaigns.queue_eligible(store, campaigns.find_campaign(store, issue.slug, "partners"), issue.editions, "sl") == 0


def test_explicit_queueing_follows_the_same_rule(store, people) -> None:
    ids = people(3)
    add_people(store, 1, list_name="partners", start=100)
    on_partners_too(store, ids)
    newsletter = campaigns.open_campaign(store, ISSUE, "newsletter", {"sl": "h"}, "S")
    assert campaigns.queue_deliveries(store, newsletter, [(i, "sl") for i in ids[:2]]) == 2
    partners = campaigns.open_campaign(store, ISSUE, "partners", {"sl": "h"}, "S")
    assert campaigns.queue_eligible(store, partners, {"sl"}, "sl") == 2  # ids[2] and the partner
    assert campaigns.queue_deliveries(store, newsletter, [(i, "sl") for i in ids]) == 0  # ids[2] is the partners campaign's now


def test_a_new_list_cannot_get_an_issue_whose_other_send_was_anonymised(store, settings, people, issue) -> None:
    people(2)
    add_people(store, 1, list_name="partners", start=100)
    old = campaigns.open_campaign(store, issue.slug, "newsletter", {"sl": "h"}, "S")
    with store.begin() as conn:
        when = datetime(2027, 1, 2, tzinfo=timezone.utc)
        conn.execute(update(Campaign.__table__).where(Campaign.__table__.c.id == old.id).values(status="done", anonymised_at=when))
    for attempt in (lambda: plan_campaign(store, issue, settings, list_name="partners"), lambda: send_campaign(store, issue, settings, list_name="partners")):
        with pytest.raises(CampaignError, match="'newsletter' long ago .* anonymised on 2027-01-02"):
            attempt()
    assert [name for _, name in campaigns.list_campaigns(store)] == ["newsletter"]  # the refused campaign was not left behind


def test_a_campaign_queued_before_the_rule_skips_whoever_has_the_issue_already(store, settings, people, issue) -> None:
    """A store from before: the partners campaign queued the people on both lists too, and stopped. Resuming it sends only the rest."""
    ids = people(4)
    partner = add_people(store, 1, list_name="partners", start=100)
    on_partners_too(store, ids[:3])
    assert send_campaign(store, issue, settings, list_name="newsletter").sent_now == 4
    partners = campaigns.open_campaign(store, issue.slug, "partners", {"sl": "h", "en": "h"}, "S")
    with store.begin() as conn:  # what the old queueing wrote: everyone on the list, the overlap included
        conn.execute(insert(Delivery.__table__), [{"campaign_id": partners.id, "subscriber_id": i, "language": "sl", "state": "queued", "attempts": 0,
                                                   "uncertain": False, "created_at": datetime.now(timezone.utc), "updated_at": datetime.now(timezone.utc)}
                                                  for i in [*ids[:3], *partner]])
    plan = plan_campaign(store, issue, settings, list_name="partners")
    assert plan.total == 1 and plan.other_lists == (OtherList("newsletter", 3, 0, 0),)
    report = send_campaign(store, issue, settings, list_name="partners", resume=True)
    assert report.sent_now == 1 and report.counts["sent"] == 1 and report.counts["skipped"] == 3 and report.status == "done"
    assert {f.reply for f in report.failures} == {SKIPPED_ELSEWHERE}
    assert len(list(settings.outbox_dir.glob("*/*.eml"))) == 5  # four to the newsletter, one to the partner
