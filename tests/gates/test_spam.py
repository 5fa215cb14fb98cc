"""SpamAssassin's local rules on the sample message (Debian's spamassassin), and its absence."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile

import pytest
from readonly import read_only

from leadex_mail.gates import spam
from leadex_mail.gates.deep import deep_check
from leadex_mail.gates.findings import SpamResult
from leadex_mail.gates.sample import build_sample
from leadex_mail.render import render_edition

from .conftest import sending_settings

HIDDEN_WHITE = '<div style="display:none;color:#ffffff;font-size:1px">Hidden white words for the inbox preview line</div>'


@pytest.fixture(scope="module")
def spamassassin():
    if not shutil.which("spamassassin"):
        pytest.fail("spamassassin not found: run `sh .ci/setup` (apt-get install -y spamassassin)")


def test_white_text_on_the_light_page_scores_and_is_named(issue, settings, spamassassin):
    rendered = render_edition(issue, "en", settings)
    body = re.search(r"<body[^>]*>", rendered.html)
    html = rendered.html[: body.end()] + HIDDEN_WHITE + rendered.html[body.end() :]
    sample = build_sample(issue, "en", settings, rendered=dataclasses.replace(rendered, html=html))
    result, findings = spam.score(sample.data)
    assert result is not None and result.required == 5.0
    names = {name: points for name, points, _ in result.rules}
    assert names["HTML_FONT_LOW_CONTRAST"] > 0 and result.score >= names["HTML_FONT_LOW_CONTRAST"]
    (found,) = findings
    assert found.severity == "warning" and found.check == "spam"
    assert found.message.startswith(f"SpamAssassin scores it {result.score:g} (target 0.0, spam from 5): ")
    assert "HTML_FONT_LOW_CONTRAST +" in found.message and "often a hidden preheader" in found.hint


def test_a_score_at_the_threshold_is_an_error():
    result = SpamResult(6.1, 5.0, (("MIME_HTML_ONLY", 1.1, "BODY: Message only has text/html MIME parts"), ("HTML_MESSAGE", 0.0, "BODY: HTML included")))
    (found,) = spam.findings(result)
    assert found.severity == "error"
    assert found.message == "SpamAssassin scores it 6.1, spam from 5: MIME_HTML_ONLY +1.1 (BODY: Message only has text/html MIME parts)"
    assert found.hint == "the message has no text part"
    assert spam.findings(SpamResult(0.0, 5.0, ())) == [] and spam.findings(SpamResult(-0.1, 5.0, ())) == []


def test_the_report_is_parsed_with_wrapped_descriptions():
    output = (
        "X-Spam-Status: No, score=0.7 required=5.0 tests=HTML_FONT_LOW_CONTRAST,\n\tHTML_MESSAGE autolearn=no\n"
        "...\nContent analysis details:   (0.7 points, 5.0 required)\n\n pts rule name              description\n"
        "---- ---------------------- --------------------------------------------------\n"
        "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n"
        " 0.7 HTML_FONT_LOW_CONTRAST BODY: HTML font color similar or identical to\n"
        "                            background\n\n"
        "Subject: after the report\n"
    )
    result = spam.parse_report(output)
    assert result == SpamResult(0.7, 5.0, (("NO_RELAYS", -0.0, "Informational: message was not relayed via SMTP"), ("HTML_FONT_LOW_CONTRAST", 0.7, "BODY: HTML font color similar or identical to background")))
    assert spam.parse_report("no report here") is None


def test_without_spamassassin_or_chromium_each_is_a_clear_notice(issue, tmp_path, monkeypatch):
    """`send`'s safety net on a machine with neither: the other gates still run, and say what was skipped."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no spamassassin on it
    settings = sending_settings(chromium_path=tmp_path / "no-chromium")
    report = deep_check(issue, settings, require_browser=False)
    assert [(n.check, n.message) for n in report.notices] == [("accessibility", f"not checked in a browser: Chromium not found at {tmp_path / 'no-chromium'}")]
    assert "apt-get install chromium" in report.notices[0].hint
    for edition in report.editions:
        assert edition.spam is None and edition.axe == {}
        notices = [f for f in edition.findings if f.severity == "notice" and f.check == "spam"]
        assert [n.message for n in notices] == ["SpamAssassin is not installed: the spam score was not measured"]
        assert notices[0].hint == "apt-get install spamassassin (Debian), then check again"
        assert edition.sizes is not None  # conformance and size still checked


@pytest.mark.parametrize("output", ["echo boom >&2; exit 3", "head -c 100 /dev/urandom; exit 0"], ids=["fails", "garbage"])
def test_a_spamassassin_that_gives_no_report_is_a_notice_not_a_traceback(tmp_path, monkeypatch, output):
    # Tester a12 #1: no X-Spam-Checker-Version in the output made _split raise ValueError (zip strict) in check --deep and send.
    fake = tmp_path / "spamassassin"
    fake.write_text(f"#!/bin/sh\n{output}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    results = spam.score_all([b"Subject: one\n\nbody\n", b"Subject: two\n\nbody\n"])
    assert [r for r, _ in results] == [None, None]
    assert all(f.severity == "notice" and "SpamAssassin gave no score" in f.message for _, found in results for f in found)


def test_a_temporary_folder_that_refuses_writes_is_a_notice_not_a_traceback(tmp_path, monkeypatch):
    """Every way SpamAssassin cannot run is one notice: a refused temporary folder too (it raised PermissionError)."""
    refusing = tmp_path / "tmp"
    refusing.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(refusing))  # where Python's tempfile puts SpamAssassin's home
    fake = tmp_path / "bin" / "spamassassin"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    with read_only(refusing):
        results = spam.score_all([b"Subject: one\n\nbody\n", b"Subject: two\n\nbody\n"])
    assert [r for r, _ in results] == [None, None]
    for _, found in results:
        assert [(f.check, f.severity) for f in found] == [("spam", "notice")]
        assert found[0].message.startswith("SpamAssassin did not run: ") and str(refusing) in found[0].message, found[0].message
