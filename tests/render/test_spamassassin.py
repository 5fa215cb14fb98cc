"""The rendered message through SpamAssassin's own rules (Debian's spamassassin, local tests only, no network).

Issue 9: MJML's hidden preheader was white text on the light page, which
SpamAssassin scores as HTML_FONT_LOW_CONTRAST. The preheader is now hidden
without a colour of its own.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from email import message_from_bytes, policy

import pytest

from leadex_mail.delivery.message import build_preview
from leadex_mail.render import render_edition

RULE = "HTML_FONT_LOW_CONTRAST"


def spam_report(message: bytes, home) -> str:
    """SpamAssassin's report on ``message``: local tests only (-L), a private home for its state."""
    if not shutil.which("spamassassin"):
        pytest.fail("spamassassin not found: run `sh .ci/setup` (apt-get install -y spamassassin)")
    result = subprocess.run(["spamassassin", "-L", "-t"], input=message, capture_output=True, env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    report = result.stdout.decode("utf-8", "replace")
    assert "Content analysis details" in report
    return report


def test_the_hidden_preheader_is_not_low_contrast_text(issue, settings, tmp_path):
    # One edition is enough: every edition comes from the same template (SpamAssassin takes seconds a run).
    rendered = render_edition(issue, "en", settings)
    assert RULE not in spam_report(build_preview(rendered, settings, issue.brand), tmp_path)


def test_spamassassin_would_flag_a_white_preheader(issue, settings, tmp_path):
    """The rule is live here: the preheader as MJML's mj-preview drew it is flagged."""
    rendered = render_edition(issue, "en", settings)
    white = rendered.html.replace('class="lx-preheader" style="display:none;', 'class="lx-preheader" style="display:none;color:#ffffff;', 1)
    assert white != rendered.html
    message = build_preview(dataclasses.replace(rendered, html=white), settings, issue.brand)
    assert message_from_bytes(message, policy=policy.default)["Subject"] == rendered.subject
    assert RULE in spam_report(message, tmp_path)
