"""``bounces report`` and ``bounces status`` through the CLI, on the corpus imported into a real store."""

from __future__ import annotations

from bounce_helpers import CORPUS, ISSUE_SLUG, VERP_ENV, seed
from click.testing import CliRunner

from leadex_mail.bounces.reporting import overview
from leadex_mail.cli import main


def _run(settings, tmp_path, monkeypatch, *args: str):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args), env={"LEADEX_DATABASE_URL": settings.database_url, **VERP_ENV})


def test_report_figures_per_campaign_and_type(store, settings, tmp_path, monkeypatch) -> None:
    seed(store)
    imported = _run(settings, tmp_path, monkeypatch, "bounces", "import", str(CORPUS))
    assert imported.exit_code == 0, imported.output
    assert "26 messages read: 3 ignored, 3 kept, 2 rejected, 2 soft, 11 suppressed, 3 unmatched, 2 unsubscribed" in imported.output
    view = overview(store, ISSUE_SLUG)
    [campaign] = view.campaigns
    assert campaign.sent == 25
    assert campaign.counts == {"hard": 11, "soft": 2, "rejected": 2, "complaint": 2, "unverified": 0}
    assert round(campaign.complaint_rate, 4) == round(2 / 25, 4) and campaign.over_limit
    assert len(view.suppressed) == 13  # 11 hard bounces, 2 complaints (11 and 12 name people by address only: kept)

    report = _run(settings, tmp_path, monkeypatch, "bounces", "report", ISSUE_SLUG)
    assert report.exit_code == 3, report.output  # above the complaint limit: a script can tell
    assert "bounces: 11 hard, 2 soft, 2 rejected (policy/content)" in report.output
    assert "complaints: 2, rate 8.00%  ABOVE the 0.3% limit" in report.output
    assert "person3@example.net  bounced  hard bounce 5.1.1: smtp; 550 5.1.1 <person3@example.net>: Recipient address rejected" in report.output
    assert "person16@yahoo.example  complained  complaint (abuse, Yahoo!-Mail-Feedback/2.0)" in report.output

    status = _run(settings, tmp_path, monkeypatch, "bounces", "status")
    assert status.exit_code == 0, status.output
    assert "26 messages processed" in status.output
    assert "Kept for a person to read: 6" in status.output
    assert "not a bounce, complaint or auto-reply" in status.output and "VERP is on" in status.output


def test_kept_message_shown_as_it_arrived(store, settings, tmp_path, monkeypatch) -> None:
    seed(store)
    _run(settings, tmp_path, monkeypatch, "bounces", "import", str(CORPUS / "22_human_reply.eml"))
    [kept] = overview(store).kept
    shown = _run(settings, tmp_path, monkeypatch, "bounces", "show", str(kept.report_id))
    assert shown.exit_code == 0 and shown.output.encode() == (CORPUS / "22_human_reply.eml").read_bytes()
    missing = _run(settings, tmp_path, monkeypatch, "bounces", "show", "999")
    assert missing.exit_code == 1 and "there is no bounce report 999" in missing.output


def test_unknown_issue_and_missing_path_are_clear_errors(store, settings, tmp_path, monkeypatch) -> None:
    result = _run(settings, tmp_path, monkeypatch, "bounces", "report", "no-such-issue")
    assert result.exit_code == 1 and "has not been sent to any list" in result.output and "Traceback" not in result.output
    result = _run(settings, tmp_path, monkeypatch, "bounces", "import", str(tmp_path / "missing.mbox"))
    assert result.exit_code == 1 and "no such file or folder" in result.output


def test_fetch_without_a_configured_mailbox_is_a_clear_error(store, settings, tmp_path, monkeypatch) -> None:
    result = _run(settings, tmp_path, monkeypatch, "bounces", "fetch")
    assert result.exit_code == 1 and "no IMAP mailbox is configured" in result.output and "LEADEX_IMAP_PASSWORD" in result.output
    assert "Traceback" not in result.output
