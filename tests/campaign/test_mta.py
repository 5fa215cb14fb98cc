"""End to end through a real MTA on loopback: Debian's OpenSMTPD delivering to maildirs.

OpenSMTPD accepts at most 100 messages per session (``452 4.5.3``), so
sending 150 over one connection exercises the transport's reconnect.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from campaign_helpers import email_of, make_settings
from loopback import free_port
from opensmtpd import maildir_messages, make_maildirs, running_smtpd, smtpd_base, wait_until

from leadex_mail.campaign.runner import send_campaign

pytestmark = [pytest.mark.mta, pytest.mark.slow]


@pytest.fixture
def opensmtpd():
    """OpenSMTPD in the foreground on a free loopback port, delivering to ``<maildirs>/<local part>/``."""
    base = smtpd_base("leadex-mta-")
    maildirs = make_maildirs(base)
    (base / "vusers").write_text("@ nobody\n")
    port = free_port()
    conf = base / "smtpd.conf"
    conf.write_text(
        f"table vusers file:{base / 'vusers'}\n"
        f"listen on 127.0.0.1 port {port}\n"
        f'action "local" maildir "{maildirs}/%{{rcpt.user}}" virtual <vusers>\n'
        'match for any action "local"\n'
    )
    with running_smtpd(conf, [port], base) as log:
        yield port, maildirs, log


def delivered(maildirs: Path) -> dict[str, list[Path]]:
    return {d.name: maildir_messages(d) for d in maildirs.iterdir() if (d / "new").is_dir()}


def test_150_recipients_through_opensmtpd(tmp_path, store, people, issue, opensmtpd) -> None:
    port, maildirs, log = opensmtpd
    people(150)
    settings = make_settings(
        tmp_path, store=store, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
        secret_key="mta-test-secret-key-0123456789abcdef", public_url="https://news.example.org",
        smtp_max_per_connection=1000,  # leave the per-session cap to the server
    )
    report = send_campaign(store, issue, settings, list_name="newsletter", concurrency=1)
    assert report.status == "done" and report.counts["sent"] == 150, report.failures

    arrived = lambda: sum(len(v) for v in delivered(maildirs).values())  # noqa: E731
    wait_until(lambda: arrived() >= 150, lambda: f"{arrived()} of 150 messages arrived", log)
    boxes = delivered(maildirs)
    expected = {email_of(i).split("@")[0] for i in range(150)}
    assert set(boxes) == expected
    assert {name: len(files) for name, files in boxes.items()} == dict.fromkeys(expected, 1)
    for name, [path] in boxes.items():
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        i = int(name.removeprefix("person"))
        language = ("sl", "en")[i % 2]
        assert msg["To"].addresses[0].addr_spec == f"{name}@example.org"
        assert msg["Subject"] == issue.editions[language].subject
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = msg.get_body(("plain",)).get_content()
        assert f"Oseba Čžš {i}" in text or "/unsubscribe/" in text
    # One connection carried at most 100 messages: the transport reconnected and went on.
    lines = log.read_text().splitlines()
    # Sessions that carried messages (the readiness probe connected too, without one).
    sessions = len({line.split()[0] for line in lines if " smtp message " in line})
    print(f"\nOpenSMTPD: 150 recipients, {sessions} sessions, each maildir holds exactly one message")
    assert sessions == 2, log.read_text()[-3000:]
