"""What people read: a subscriber's log shows each bounce's evidence; kept messages can be marked dealt with (findings 10, 18)."""

from __future__ import annotations

from bounce_helpers import CORPUS, seed

from leadex_mail.bounces.service import import_paths


def test_subscribers_show_gives_each_reports_evidence_and_calls_soft_bounces_soft(store, settings, cli) -> None:
    seed(store)
    import_paths(store, settings, [CORPUS / "03_postfix_user_unknown.eml", CORPUS / "04_postfix_mailbox_full.eml", CORPUS / "16_arf_yahoo_complaint.eml"])
    hard = cli("subscribers", "show", "person3@example.net").output
    assert "bounced      bounce-mail" in hard
    assert "5.1.1 'smtp; 550 5.1.1" in hard and "matched by message-id; campaign 1, delivery 3; report 1" in hard
    soft = cli("subscribers", "show", "person4@example.com").output
    assert "soft-bounce  bounce-mail" in soft and "soft bounces: 1 in 30 days (limit 3)" in soft
    complaint = cli("subscribers", "show", "person16@yahoo.example").output
    assert "complained   bounce-mail" in complaint and "abuse" in complaint and "from Yahoo!-Mail-Feedback/2.0" in complaint


def test_kept_messages_can_be_dismissed(store, settings, cli) -> None:
    seed(store)
    summary = import_paths(store, settings, [CORPUS / "21_malformed_mime.eml", CORPUS / "22_human_reply.eml"])
    first, second = (o.report_id for o in summary.outcomes)
    assert "Kept for a person to read: 2" in cli("bounces", "status").output
    done = cli("bounces", "dismiss", str(first), "--note", "read it: spam")
    assert done.exit_code == 0 and f"1 kept message marked dealt with: {first}" in done.output
    status = cli("bounces", "status").output
    assert "Kept for a person to read: 1" in status and f"  {second:>6}  " in status and f"  {first:>6}  " not in status
    everything = cli("bounces", "status", "--all").output
    assert f"  {first:>6}  " in everything and "[dismissed]" in everything
    assert cli("bounces", "show", str(first)).exit_code == 0  # the bytes stay
    unknown = cli("bounces", "dismiss", "999")
    assert unknown.exit_code != 0 and "no kept message 999" in unknown.output
    assert "1 kept message marked dealt with" in cli("bounces", "dismiss", "--all-kept").output
    assert "Kept for a person to read: 0" in cli("bounces", "status").output
