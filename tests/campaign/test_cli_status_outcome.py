"""`leadex-mail status` says how a campaign that ended with failures ended, in its first line (s8).

It said "-> newsletter: done" and only the next line held "failed 2"; the studio's pages say
"ended: 6 of 8 sent, 2 could not be delivered", and so does the headline now (the stored "done" kept first).
"""

from __future__ import annotations

from campaign_helpers import ISSUE, email_of, smtp_env
from faulty_smtp import FaultPolicy, faulty_server


def test_status_headline_says_how_many_of_how_many_were_sent_and_failed(cli, store, people) -> None:
    people(8)
    server = faulty_server(FaultPolicy(reject=frozenset({email_of(2), email_of(3)})))
    try:
        assert cli("send", ISSUE, "--list", "newsletter", "--yes", **smtp_env(server)).exit_code == 3  # ended, with failures
        status = cli("status", ISSUE).output
        assert f"{ISSUE} -> newsletter: done: 6 of 8 sent, 2 could not be delivered  (campaign" in status, status
    finally:
        server.stop()


def test_a_campaign_without_failures_is_just_done(cli, store, people) -> None:
    people(3)
    assert cli("send", ISSUE, "--list", "newsletter", "--yes").exit_code == 0
    status = cli("status", ISSUE).output
    assert f"{ISSUE} -> newsletter: done  (campaign" in status, status
