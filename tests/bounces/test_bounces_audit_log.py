"""Who processed the bounce mailbox is in the audit log when it suppressed or unsubscribed anyone (issue 13 point 8).

`leadex-mail bounces import` and `fetch` suppress addresses (hard bounces)
and unsubscribe people (complaints): changes to subscribers that left no
audit entry. One ``subscriber_suppress`` entry per run now names who ran it
and how many of each (never an address: the reports' own rows say which);
a run that changed nobody, or read the same mailbox again, logs nothing.
"""

from __future__ import annotations

from bounce_helpers import CORPUS, seed

from leadex_mail.store.accounts import audit_log

OPS = {"LOGNAME": "ops", "USER": "ops"}


def test_a_bounce_import_that_suppresses_and_unsubscribes_is_logged_once_by_who_ran_it(store, cli) -> None:
    seed(store)
    files = [str(CORPUS / name) for name in ("03_postfix_user_unknown.eml", "16_arf_yahoo_complaint.eml", "04_postfix_mailbox_full.eml")]
    ran = cli("bounces", "import", *files, env=OPS)
    assert ran.exit_code == 0, ran.output
    [entry] = audit_log(store)
    assert (entry.actor, entry.action, entry.target, entry.subscriber_id) == ("cli:ops", "subscriber_suppress", "bounce reports from files", None)
    assert entry.detail == {"suppressed": 1, "unsubscribed": 1, "messages": 3}

    assert cli("bounces", "import", *files, env=OPS).exit_code == 0  # the same messages again: duplicates, nothing changed
    assert cli("bounces", "import", str(CORPUS / "22_human_reply.eml"), env=OPS).exit_code == 0  # kept for a person: nobody changed
    assert [e.action for e in audit_log(store)] == ["subscriber_suppress"]
    assert "example" not in repr([e.detail for e in audit_log(store)])
