"""The durable confirmation queue: a relay that is down, refuses, or comes back after a restart.

The app is served for real (uvicorn, SQLite file, aiosmtpd relays on
loopback); the sender's clock is the test's, so retry times are reached by
moving it, and ``wait_idle`` replaces every sleep.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.store.db import Store, open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.outgoing import ConfirmationRequest, queue_summary
from leadex_mail.store.subscribers import get_subscriber, request_subscription
from leadex_mail.web.confirmations import ConfirmationSender
from web.web_helpers import SECRET, Clock, held_relay, link_in, serve_site, sign_up, site_settings, unused_port


@pytest.fixture
def store_and_settings(tmp_path: Path) -> tuple[Store, Settings]:
    """A store with the list ``newsletter``; settings whose relay is filled in per test."""
    settings = site_settings(tmp_path, 0, 1)
    store = open_store(settings)
    create_list(store, "newsletter", title="LeadEx novice", public=True)
    yield store, settings
    store.close()


def _cli(settings: Settings, *args: str) -> str:
    env = {"LEADEX_DATABASE_URL": settings.database_url, "LEADEX_SECRET_KEY": SECRET, "LEADEX_TRANSPORT": "outbox"}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _relay(settings: Settings, port: int, **changes: object) -> Settings:
    return replace(settings, smtp_port=port, **changes)


def test_relay_down_is_retried_visibly_and_sent_after_a_restart(store_and_settings, caplog) -> None:
    store, settings = store_and_settings
    caplog.set_level(logging.INFO, logger="leadex_mail.web")
    clock = Clock()
    down = unused_port()
    with serve_site(_relay(settings, down.getsockname()[1]), store, clock, None) as site:
        with site.client() as client:
            assert sign_up(client, "patient@example.org").status_code == 200
        site.idle()
        [entry] = queue_summary(store).attention
        assert (entry.email, entry.state, entry.attempts) == ("patient@example.org", "waiting", 1)
        assert "could not connect" in entry.last_reply and entry.next_attempt_at == clock.now + timedelta(seconds=60)

        clock.advance(seconds=61)  # the retry is due: tried again, and the next one waits twice as long
        site.sender.wake()
        site.idle()
        [entry] = queue_summary(store).attention
        assert entry.attempts == 2 and entry.next_attempt_at == clock.now + timedelta(seconds=120)

        with site.client() as client:  # while the sender waits for the relay, a sign-up is only queued
            sign_up(client, "queued@example.org")
        site.idle()
    down.close()
    assert queue_summary(store).counts == {"waiting": 1, "queued": 1}
    assert "not sent (attempt 2 of 10)" in caplog.text and "could not connect" in caplog.text
    shown = _cli(settings, "confirmations")
    assert "1 queued, 1 waiting to retry" in shown and "waiting: patient@example.org  attempts 2  next try" in shown
    assert "Confirmation mails (sign-ups): 1 queued, 1 waiting to retry; details: leadex-mail confirmations" in _cli(settings, "status")

    with held_relay(held=False) as relay:  # the relay is back; the app is started again
        clock.advance(minutes=3)
        with serve_site(_relay(settings, relay.port), store, clock, relay) as site:
            [patient] = site.mails_to("patient@example.org")
            [queued] = site.mails_to("queued@example.org")
            site.idle()
        assert len(relay.messages) == 2
    assert "/confirm/" in link_in(patient, "confirm") and "/confirm/" in link_in(queued, "confirm")
    assert queue_summary(store).counts == {"sent": 2}
    assert "Confirmation mails" not in _cli(settings, "status")


def test_attempts_used_up_end_failed_until_the_operator_queues_them_again(store_and_settings, caplog) -> None:
    store, settings = store_and_settings
    caplog.set_level(logging.INFO, logger="leadex_mail.web")
    clock = Clock()
    down = unused_port()
    with serve_site(_relay(settings, down.getsockname()[1], confirm_max_attempts=2), store, clock, None) as site:
        with site.client() as client:
            sign_up(client, "unlucky@example.org")
        site.idle()
        clock.advance(minutes=2)
        site.sender.wake()
        site.idle()
    down.close()
    [entry] = queue_summary(store).attention
    assert (entry.state, entry.attempts, entry.next_attempt_at) == ("failed", 2, None)
    assert "gave up after 2 attempts" in entry.last_reply
    assert "gave up after 2 attempts" in caplog.text and "`leadex-mail confirmations --retry` queues it again" in caplog.text
    shown = _cli(settings, "confirmations")
    assert "1 failed" in shown and "leadex-mail confirmations --retry" in shown

    assert "Queued 1 failed confirmation mail again" in _cli(settings, "confirmations", "--retry")
    with held_relay(held=False) as relay, serve_site(_relay(settings, relay.port), store, clock, relay) as site:
        site.mails_to("unlucky@example.org")
        site.idle()
    assert queue_summary(store).counts == {"sent": 1}


def test_a_refused_recipient_fails_at_once_with_the_servers_words(store_and_settings) -> None:
    store, settings = store_and_settings
    refusal = "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
    with held_relay(held=False, refuse=refusal) as relay, serve_site(_relay(settings, relay.port), store, Clock(), relay) as site:
        with site.client() as client:
            sign_up(client, "nobody@example.org")
        site.idle()
    [entry] = queue_summary(store).attention
    assert (entry.state, entry.attempts) == ("failed", 1)
    assert "User unknown" in entry.last_reply
    assert get_subscriber(store, "nobody@example.org").status == "pending"  # the sign-up itself is kept


@pytest.mark.parametrize("refusal", [
    "550 5.7.1 Relaying denied",
    # Postfix reject_unlisted_sender at RCPT: a 5.1.x about the sender, not the person (finding i8/a8 #1)
    "550 5.1.0 <newsletter@example.org>: Sender address rejected: User unknown in virtual mailbox table",
    "550 HELO host does not exist",
])
def test_a_relay_refusing_the_sender_is_retried_not_failed(store_and_settings, refusal: str) -> None:
    """A refusal about the relay's configuration or the sender, not the person: keep the mail, retry later."""
    store, settings = store_and_settings
    with held_relay(held=False, refuse=refusal) as relay, serve_site(_relay(settings, relay.port), store, Clock(), relay) as site:
        with site.client() as client:
            sign_up(client, "patient@example.org")
            sign_up(client, "second@example.org")
        site.idle()
    entries = queue_summary(store).attention
    assert [(e.state, e.attempts) for e in entries] == [("waiting", 1)]  # the sender paused after the first refusal
    assert refusal[4:] in entries[0].last_reply


def test_two_senders_on_one_store_never_send_a_confirmation_twice(store_and_settings) -> None:
    """Two ``serve`` processes: each claims rows atomically; both are inside the relay at once."""
    _, settings = store_and_settings
    clock = Clock()
    addresses = [f"once{n}@example.org" for n in range(12)]
    with held_relay() as relay:
        settings = _relay(settings, relay.port)
        stores = [open_store(settings), open_store(settings)]  # two engines, as two processes have
        for address in addresses:
            request_subscription(stores[0], address, name=None, language="sl", lists=("newsletter",), consent_version="2026-04",
                                 source="web", ip=None, user_agent=None, confirmation=ConfirmationRequest("sl", clock()))
        senders = [ConfirmationSender(s, settings, clock=clock, owner=f"process-{n}") for n, s in enumerate(stores)]
        for sender in senders:
            sender.start()
        relay.wait_holding(2)  # one mail in each sender's hands, held at the relay
        relay.gate.set()
        for sender in senders:
            sender.wake()
            assert sender.wait_idle()
            sender.stop()
        assert sorted(r for m in relay.messages for r in m.rcpt_tos) == sorted(addresses)
        for s in stores:
            s.close()


def test_the_resend_limit_holds_across_a_restart(store_and_settings) -> None:
    store, settings = store_and_settings
    clock = Clock()
    with held_relay(held=False) as relay:
        settings = _relay(settings, relay.port)
        with serve_site(settings, store, clock, relay) as site, site.client() as client:
            sign_up(client, "twice@example.org")
            site.mails_to("twice@example.org")
        clock.advance(minutes=5)
        with serve_site(settings, store, clock, relay) as site:
            with site.client() as client:
                sign_up(client, "twice@example.org")
            site.idle()
            assert len(relay.to("twice@example.org")) == 1  # not within ten minutes, restart or not
            clock.advance(minutes=6)
            with site.client() as client:
                sign_up(client, "twice@example.org")
            assert len(site.mails_to("twice@example.org", count=2)) == 2
            site.idle()
        assert len(relay.to("twice@example.org")) == 2
