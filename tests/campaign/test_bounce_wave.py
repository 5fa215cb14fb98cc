"""The same "no such mailbox" reply for many recipients in a row pauses before anyone is suppressed (finding i8/a8 #1).

The safety net behind the reply classifier: a relay that answers everyone
``550 5.1.1 <…>: Recipient address rejected: User unknown`` is more likely
broken (or refusing the sender in words the classifier cannot tell apart)
than facing a list of people who all left. Reported: no such net; a whole
list was suppressed in one run. Through the CLI against a real SMTP
server on loopback.
"""

from __future__ import annotations

from campaign_helpers import ISSUE, email_of, smtp_env
from faulty_smtp import FaultPolicy, faulty_server
from sqlalchemy import func, select

from leadex_mail.store import campaigns
from leadex_mail.store.models import Event, Subscriber, Suppression


def _count(store, table, *where) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(select(func.count()).select_from(table.__table__).where(*where)).scalar_one()


def test_a_wave_of_identical_bounces_pauses_and_suppresses_nobody(cli, store, people) -> None:
    people(25)
    everyone = frozenset(email_of(i) for i in range(25))
    server = faulty_server(FaultPolicy(reject=everyone))
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", LEADEX_SEND_PAUSE_AFTER_BOUNCES="5", **smtp_env(server))
        assert result.exit_code == 4, result.output  # paused
        assert "recipients in a row with the same \"no such mailbox\" reply" in result.output and "nobody was suppressed" in result.output
        assert "LEADEX_SEND_PAUSE_AFTER_BOUNCES=0" in result.output
        assert _count(store, Suppression) == 0 and _count(store, Event, Event.kind == "bounced") == 0
        assert _count(store, Subscriber, Subscriber.status == "active") == 25
        counts = campaigns.state_counts(store, campaigns.find_campaign(store, ISSUE).id)  # type: ignore[union-attr]
        assert (counts["failed"], counts["sending"], counts["queued"]) == (0, 0, 25)

        # The operator looked: these addresses really are gone. Without the net, the same resume suppresses them.
        again = cli("send", ISSUE, "--list", "newsletter", "--resume", "--yes", LEADEX_SEND_PAUSE_AFTER_BOUNCES="0", **smtp_env(server))
    finally:
        server.stop()
    assert again.exit_code == 3, again.output  # done, with failures
    assert _count(store, Subscriber, Subscriber.status == "bounced") == 25 and _count(store, Suppression) == 25


def test_bounces_among_deliveries_are_suppressed_as_before(cli, store, people) -> None:
    people(12)
    gone = frozenset({email_of(3), email_of(4), email_of(9)})  # two in a row, then one: under the limit
    server = faulty_server(FaultPolicy(reject=gone))
    try:
        result = cli("send", ISSUE, "--list", "newsletter", "--yes", "--concurrency", "1", LEADEX_SEND_PAUSE_AFTER_BOUNCES="3", **smtp_env(server))
    finally:
        server.stop()
    assert result.exit_code == 3, result.output
    bounced = {s for s in gone if _count(store, Subscriber, Subscriber.email == s, Subscriber.status == "bounced")}
    assert bounced == gone and _count(store, Suppression) == 3


def test_the_limit_is_checked_when_loaded() -> None:
    import pytest

    from leadex_mail.config import load_settings
    from leadex_mail.errors import ConfigError

    with pytest.raises(ConfigError, match="send_pause_after_bounces"):
        load_settings(environ={"LEADEX_SEND_PAUSE_AFTER_BOUNCES": "-1"})
