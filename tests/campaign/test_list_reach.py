"""How many people a list reaches is what a send sends to, in every face (a14 finding 1).

reject1@example.org refused with 550 (bounced, suppressed) kept its active
subscription, and ``lists list``, ``subscribers stats`` and the studio still
counted it as subscribed. ``lists.list_infos`` now counts the send's people
(``queries.eligible_subscribers``, ``campaigns.eligible_select``,
``runner.plan_campaign``) and says apart who is on the list and not reached.
"""

from __future__ import annotations

import pytest
from campaign_helpers import email_of, make_settings
from faulty_smtp import faulty_server
from sinks import Policy, Session
from sqlalchemy import func, select

from leadex_mail.campaign.runner import plan_campaign, send_campaign
from leadex_mail.store import campaigns, subscribers
from leadex_mail.store.lists import create_list, get_list, list_info
from leadex_mail.store.queries import eligible_subscribers

KEY = "campaign-test-secret-key-0123456789abcdef"
REFUSED = "reject1@example.org"


class Refuse(Policy):
    """Answers RCPT for ``REFUSED`` with a hard bounce, accepts the rest."""

    def on_rcpt(self, session: Session, rcpt: str) -> str | None:
        return "550 5.1.1 <reject1@example.org>: Recipient address rejected: User unknown" if rcpt == REFUSED else None


@pytest.fixture
def mixed_list(tmp_path, store, people, issue, cli):
    """``newsletter``: six people, then one refused with 550 by a real send, one complained, one unsubscribed from
    everything, one from this list only, one not confirmed, one erased. Two are left whom a send mails."""
    ids = people(6)
    create_list(store, "partners")
    subscribers.add_subscriber(store, REFUSED, language="sl", lists=("newsletter", "partners"), source="cli")
    server = faulty_server(Refuse())
    settings = make_settings(
        tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none", secret_key=KEY, public_url="https://news.example.org"
    )
    try:
        report = send_campaign(store, issue, settings, list_name="partners")  # the only one on it is refused
    finally:
        server.stop()
    assert report.failed_now == 1 and subscribers.get_subscriber(store, REFUSED).status == "bounced"
    subscribers.mark_complained(store, ids[0])
    subscribers.unsubscribe(store, ids[1], source="web")
    subscribers.unsubscribe(store, ids[2], source="web", list_id=get_list(store, "newsletter").id)
    subscribers.request_subscription(
        store, "waiting@example.org", name=None, language="sl", lists=["newsletter"], consent_version="v", source="web", ip=None, user_agent=None
    )
    assert cli("subscribers", "forget", email_of(3), "--yes").exit_code == 0
    return settings


def test_the_list_reaches_whom_the_send_sends_to(store, issue, mixed_list) -> None:
    info = list_info(store, "newsletter")
    plan = plan_campaign(store, issue, mixed_list, list_name="newsletter")
    with store.begin(write=False) as conn:
        queued = conn.execute(select(func.count()).select_from(campaigns.eligible_select(get_list(store, "newsletter").id).subquery())).scalar_one()
    assert info.reachable == len(eligible_subscribers(store, "newsletter")) == queued == plan.total == 2  # people 4 and 5
    assert info.not_reachable == {"bounced": 1, "complained": 1}
    assert (info.on_list, info.unsubscribed) == (4, 2)  # the one not confirmed is not on it yet


def test_the_cli_says_the_sends_count_and_who_is_not_reached(cli, mixed_list) -> None:
    assert cli("lists", "list").output.startswith("newsletter\tprivate\t2 reachable, 2 unreachable (bounced 1, complained 1)\t2 unsubscribed\t")
    shown = cli("lists", "show", "newsletter").output
    assert "reachable:    2 (a send mails them)\nunreachable:  2 (bounced 1, complained 1)\nunsubscribed: 2\n" in shown
    assert "list newsletter: 2 reachable, 2 unreachable (bounced 1, complained 1), 2 unsubscribed\n" in cli("subscribers", "stats").output
    assert "list partners: 0 reachable, 1 unreachable (bounced 1), 0 unsubscribed\n" in cli("subscribers", "stats").output
