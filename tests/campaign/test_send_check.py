"""`send` runs the checks of `check` first: errors refuse the issue (unless --force), warnings are shown before the question.

Through CliRunner on a copy of issue No. 1 with one fault put in, a real
SQLite store and the outbox transport; what was (not) sent is read back from
the store and the outbox folder.
"""

from __future__ import annotations

import re
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from campaign_helpers import ISSUE
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.store import campaigns


@pytest.fixture
def cli(tmp_path, monkeypatch, settings, newsletters):
    monkeypatch.chdir(tmp_path)
    env = {
        "LEADEX_DATABASE_URL": settings.database_url,
        "LEADEX_OUTBOX_DIR": str(settings.outbox_dir),
        "LEADEX_NEWSLETTERS_DIR": str(newsletters),
        "LEADEX_IMAGES_URL": "https://images.example.org",
        "LEADEX_CONFIG": "",
    }
    return lambda *args, input=None, **more: CliRunner().invoke(main, list(args), env={**env, **more}, input=input)


def edit(newsletters: Path, language: str, old: str, new: str) -> int:
    """Replace the first ``old`` in an edition of issue No. 1; the 1-based line it was on."""
    path = newsletters / ISSUE / f"{language}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


# Each kind of error `send` refuses, put into the real issue: (language, old, new, what `check` says).
FAULTS = {
    "placeholder link": ("en", "url: https://www.interregeurope.eu/leadex", 'url: "#"', "error: the link address is a placeholder '#'"),
    "link in the text": ("sl", "ranljivih skupinah.", "ranljivih [skupinah](#).", "error: a link in the text has no real address ('#')"),
    "scaffold text": ("sl", "heading: LeadEx uvodni sestanek - Murcia", "heading: ✎ Naslov novice", "error: this text is still marked ✎"),
    "example picture": ("sl", "src: images/kickoff-murcia.jpg", "src: images/example.png", "error: the example picture images/example.png"),
    "missing alt text": ("sl", "alt: Partnerji projekta LeadEx na uvodnem sestanku v Murcii", 'alt: ""', "error: the image has no alt text"),
    "number differs": ("en", "number: 1", "number: 2", "error: the en edition is No. 2, the sl edition No. 1"),
    "date differs": ("en", "date: 2026-04-01", "date: 2026-05-01", "error: the en edition is dated 2026-05-01, the sl edition 2026-04-01"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_send_refuses_an_issue_with_errors(fault, cli, store, people, newsletters, settings):
    language, old, new, said = FAULTS[fault]
    if fault == "example picture":
        shutil.copyfile(newsletters / ISSUE / "images" / "kickoff-murcia.jpg", newsletters / ISSUE / "images" / "example.png")
    line = edit(newsletters, language, old, new)
    people(4)
    result = cli("send", ISSUE, "--list", "newsletter", "--yes")
    assert result.exit_code == 1, result.output
    assert f"{language}.yaml:{line}:" in result.stderr and said in result.stderr
    assert f"error: {ISSUE} is not ready to send: 1 problem (1 error, 0 warnings)" in result.stderr
    assert "hint: correct the errors above" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.output
    # Nothing happened: no campaign, no delivery, no message.
    assert campaigns.list_campaigns(store) == [] and not settings.outbox_dir.exists()
    # A dry run says the same.
    assert cli("send", ISSUE, "--list", "newsletter", "--dry-run").exit_code == 1


def test_force_sends_anyway_and_says_what_it_overrides(cli, store, people, newsletters):
    edit(newsletters, "en", "url: https://www.interregeurope.eu/leadex", 'url: "#"')
    people(4)
    result = cli("send", ISSUE, "--list", "newsletter", "--yes", "--force")
    assert result.exit_code == 0, result.output + result.stderr
    assert "check: 1 error, sending anyway (--force):" in result.output
    assert "error: the link address is a placeholder '#'" in result.output
    assert "Campaign done: sent 4" in result.output


def test_the_confirmation_lists_the_warnings(cli, store, people, newsletters):
    edit(newsletters, "en", "preheader: Kick-off meeting", "# preheader: Kick-off meeting")
    people(2)
    result = cli("send", ISSUE, "--list", "newsletter", input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    warning = re.search(r"\n    \S+/en\.yaml:1:1: warning: the edition has no preheader \(preheader\)\n", result.output)
    assert "  check: 1 warning:\n" in result.output and warning, result.output
    warning = warning.group(0)
    assert result.output.index(warning) < result.output.index("Send 2 messages now?")
    assert campaigns.list_campaigns(store) == []
    sent = cli("send", ISSUE, "--list", "newsletter", input="y\n")
    assert sent.exit_code == 0 and "Campaign done: sent 2" in sent.output


def test_a_clean_issue_is_sent_without_findings(cli, store, people):
    people(2)
    result = cli("send", ISSUE, "--list", "newsletter", "--yes")
    assert result.exit_code == 0, result.output + result.stderr
    assert "check:" not in result.output and "Campaign done: sent 2" in result.output


def test_a_test_send_of_a_refused_issue_still_goes_out(cli, newsletters, smtp_server):
    edit(newsletters, "sl", "heading: LeadEx uvodni sestanek - Murcia", "heading: ✎ Naslov novice")
    smtp = {
        "LEADEX_TRANSPORT": "smtp",
        "LEADEX_SMTP_HOST": "127.0.0.1",
        "LEADEX_SMTP_PORT": str(smtp_server.port),
        "LEADEX_SMTP_SECURITY": "none",
        "LEADEX_SECRET_KEY": "k" * 32,
        "LEADEX_PUBLIC_URL": "https://news.example.org",
    }
    result = cli("send-test", ISSUE, "--to", "officer@example.org", "--lang", "sl", **smtp)
    assert result.exit_code == 0, result.output + result.stderr
    (got,) = smtp_server.to("officer@example.org")
    message = message_from_bytes(got.data, policy=policy.default)
    assert message["Subject"].startswith("[TEST] ") and "✎ Naslov novice" in message.get_body(("plain",)).get_content()
