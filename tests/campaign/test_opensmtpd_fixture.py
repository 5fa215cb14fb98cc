"""The OpenSMTPD fixture itself: what one test's smtpd queued never reaches another test.

CI failed once with a recipient's Maildir holding two messages: an envelope an
earlier smtpd left in the machine's spool (``/var/spool/smtpd``) was delivered
by the next test's smtpd. Here a message is left queued on purpose (its relay
refuses connections) and must live only in this smtpd's own spool, gone with it.
"""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest
from loopback import free_port
from opensmtpd import SPOOL, _private_namespace_works, running_smtpd, smtpd_base

pytestmark = [pytest.mark.mta]


def _envelopes(spool: Path) -> set[Path]:
    """The envelope files of ``spool``'s queue (``queue/<bucket>/<message id>/<envelope id>``, beside ``message``)."""
    return {p for p in (spool / "queue").glob("*/*/*") if p.is_file() and p.name != "message"}


def test_a_message_left_queued_lives_only_in_this_smtpds_spool_and_goes_with_it() -> None:
    base = smtpd_base("leadex-mta-spool-")
    if not _private_namespace_works(base):
        pytest.skip("the kernel refuses a private mount namespace here: smtpd uses the machine's spool, drained before each stop")
    port, closed = free_port(), free_port()  # nothing listens on `closed`: the relay hop fails and the message stays queued
    conf = base / "smtpd.conf"
    conf.write_text(
        f"listen on 127.0.0.1 port {port}\n"
        f'action "out" relay host smtp://127.0.0.1:{closed}\n'
        'match from any for domain "example.org" action "out"\n'
    )
    machine_before = _envelopes(SPOOL)
    with running_smtpd(conf, [port], base):
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail("news@example.com", ["someone@example.org"], b"Subject: held\r\n\r\nqueued, never relayed\r\n")
        # smtpd commits the envelope to its queue before it answers 250 to the end of DATA.
        assert len(_envelopes(base / "spool")) == 1
        assert _envelopes(SPOOL) == machine_before  # the machine's spool did not get it
    assert not base.exists()  # and it went with its smtpd
