"""End to end: bounces written by a real MTA are read back and act on the next campaign.

One Debian OpenSMTPD on loopback plays both sides: the relay leadex-mail
submits to (port A) and the recipients' mail server (port B, tagged MX),
which knows only some addresses of ``example.org`` and refuses the others
at RCPT TO. The relay then writes RFC 3464 DSNs, as any MTA does, into the
sender's Maildir; ``leadex-mail bounces import`` on that Maildir must
suppress exactly those subscribers, and the next campaign must skip them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from campaign_helpers import email_of, make_settings
from loopback import free_port
from opensmtpd import maildir_messages, make_maildirs, running_smtpd, smtpd_base, wait_until
from click.testing import CliRunner
from sqlalchemy import insert, select

from leadex_mail.cli import main
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store.models import Delivery, MailingList, Subscriber, Subscription

SENDER = "novice@news.example.org"
BOUNCES = "bounces@news.example.org"  # the return path; with VERP each message goes out from bounces+<token>@
KEY = "mta-bounce-test-secret-key-0123456789"  # pre-flight: >= 32 characters for SMTP
UNKNOWN = {2, 5, 7}  # people the recipients' server does not know
pytestmark = [pytest.mark.mta, pytest.mark.slow]


@pytest.fixture
def relay_and_mx():
    """OpenSMTPD: relay on port A (local mail for news.example.org to Maildirs), MX on port B knowing some of example.org."""
    base = smtpd_base("leadex-mta-bounce-")
    maildirs = make_maildirs(base)
    known = [email_of(i) for i in range(10) if i not in UNKNOWN]
    (base / "mx-rcpts").write_text("".join(f"{a}\n" for a in known))
    (base / "mx-users").write_text("".join(f"{a} nobody\n" for a in known))
    (base / "box-users").write_text(f"{BOUNCES} nobody\n")
    port, mx_port = free_port(), free_port()
    conf = base / "smtpd.conf"
    conf.write_text(
        f"table mxrcpts file:{base / 'mx-rcpts'}\n"
        f"table mxusers file:{base / 'mx-users'}\n"
        f"table boxusers file:{base / 'box-users'}\n"
        f"listen on 127.0.0.1 port {port}\n"
        f"listen on 127.0.0.1 port {mx_port} tag MX\n"
        f'action "box" maildir "{maildirs}/bounces" virtual <boxusers>\n'
        f'action "mx" maildir "{maildirs}/%{{rcpt.user}}" virtual <mxusers>\n'
        f'action "out" relay host smtp://127.0.0.1:{mx_port}\n'
        'match tag MX from any for domain "example.org" rcpt-to <mxrcpts> action "mx"\n'
        'match tag MX from any for domain "example.org" reject\n'
        'match from any for domain "news.example.org" action "box"\n'
        'match from any for domain "example.org" action "out"\n'
    )
    with running_smtpd(conf, [port, mx_port], base) as log:
        yield port, maildirs, log


def _wait_for(count: int, folder: Path, log: Path, *, what: str) -> list[Path]:
    """Wait (on the files appearing, up to 60 s) until ``folder`` holds ``count`` messages."""
    wait_until(lambda: len(maildir_messages(folder)) >= count, lambda: f"{what}: {len(maildir_messages(folder))} of {count} arrived", log)
    return maildir_messages(folder)


def test_mta_dsns_suppress_exactly_the_unknown_and_the_next_campaign_skips_them(tmp_path, store, people, issue, relay_and_mx, monkeypatch) -> None:
    port, maildirs, log = relay_and_mx
    ids = people(10)
    settings = make_settings(
        tmp_path, store=store, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", secret_key=KEY, public_url="https://news.example.org",
        from_address=SENDER, bounce_address=BOUNCES, verp=True, smtp_helo_name="mail.news.example.org",
    )
    report = send_campaign(store, issue, settings, list_name="newsletter", concurrency=1)
    assert report.status == "done" and report.counts["sent"] == 10, report.failures
    bounce_box = maildirs / "bounces"
    dsns = _wait_for(len(UNKNOWN), bounce_box, log, what="DSNs")
    for i in set(range(10)) - UNKNOWN:
        [delivered] = _wait_for(1, maildirs / email_of(i).split("@")[0], log, what=f"mail for {email_of(i)}")
        text = delivered.read_text(errors="replace")
        assert "Return-Path: <bounces+" in text and "from mail.news.example.org" in text  # VERP return path, configured EHLO name
    for dsn in dsns:
        assert "\nTo: bounces+" in dsn.read_text(errors="replace")  # each DSN came back to its message's VERP address

    env = {"LEADEX_DATABASE_URL": settings.database_url, "LEADEX_BOUNCE_ADDRESS": BOUNCES, "LEADEX_VERP": "true", "LEADEX_SECRET_KEY": KEY}
    monkeypatch.chdir(tmp_path)
    imported = CliRunner().invoke(main, ["bounces", "import", "-v", str(bounce_box)], env=env)
    assert imported.exit_code == 0, imported.output
    assert f"{len(dsns)} messages read: {len(UNKNOWN)} suppressed" in imported.output, imported.output
    assert imported.output.count("match verp") == len(UNKNOWN), imported.output
    with store.session(write=False) as session:
        status = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
    assert {a for a, st in status.items() if st == "bounced"} == {email_of(i) for i in UNKNOWN}
    assert all(st == "active" for a, st in status.items() if a not in {email_of(i) for i in UNKNOWN})
    again = CliRunner().invoke(main, ["bounces", "import", str(bounce_box)], env=env)
    assert f"{len(dsns)} messages read: {len(UNKNOWN)} duplicate" in again.output, again.output

    # The next campaign (the next issue: one issue reaches a person once, whatever their lists): everyone is on a
    # second list too; the bounced are not mailed.
    with store.begin() as conn:
        list_id = conn.execute(insert(MailingList.__table__).values(name="partners", title="Partners", description="")).inserted_primary_key[0]
        conn.execute(insert(Subscription.__table__), [{"subscriber_id": i, "list_id": list_id, "status": "active"} for i in ids])
    second = send_campaign(store, issue.model_copy(update={"slug": "2026-05-leadex-02"}), settings, list_name="partners", concurrency=1)
    assert second.status == "done" and second.counts["sent"] == 10 - len(UNKNOWN), second.counts
    with store.session(write=False) as session:
        rows = session.execute(select(Subscriber.email, Delivery.state).join(Delivery, Delivery.subscriber_id == Subscriber.id)
                               .where(Delivery.campaign_id == second.campaign_id)).all()
    assert {a for a, _ in rows if _ == "sent"} == {email_of(i) for i in set(range(10)) - UNKNOWN}
    assert not {a for a, _ in rows if _ == "sent"} & {email_of(i) for i in UNKNOWN}
    for i in set(range(10)) - UNKNOWN:
        _wait_for(2, maildirs / email_of(i).split("@")[0], log, what=f"second issue for {email_of(i)}")
    assert len(maildir_messages(bounce_box)) == len(UNKNOWN)  # no new bounce: nobody unknown was mailed
