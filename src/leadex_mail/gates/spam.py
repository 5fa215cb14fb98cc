"""SpamAssassin's local rules on the complete message: ``spamassassin -L -t``.

``-L`` runs local tests only (no DNS blocklists, no Razor/Pyzor: nothing
leaves the machine and the result does not depend on the network); ``-t``
appends the report with every test that fired and its points. Each run gets
an empty home folder, so no Bayes database, auto-welcomelist or user
preferences from earlier runs change the score: the same message always
scores the same.

Severity: at or above SpamAssassin's threshold (``required``, 5.0 by
default) an error (the message would be filed as spam); above 0.0 a
warning, with each test that added points. SpamAssassin not installed is a
notice: the score is not measured.

The run takes seconds (Perl loads thousands of rules), so ``start`` returns
a future and the caller does other work meanwhile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import Executor, Future

from leadex_mail.gates.findings import Finding, SpamResult

TIMEOUT_SECONDS = 120
_STATUS = re.compile(r"^X-Spam-Status: (?:Yes|No), score=(-?[\d.]+) required=(-?[\d.]+)", re.MULTILINE)
_DETAILS = "Content analysis details:"
_RULE_LINE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")
HINTS = {
    "HTML_FONT_LOW_CONTRAST": "a text colour is (nearly) that of its background; often a hidden preheader",
    "HTML_IMAGE_RATIO_02": "much more picture than text: add text or use fewer pictures",
    "HTML_IMAGE_ONLY_": "the message is mostly pictures: add text",
    "MIME_HTML_ONLY": "the message has no text part",
    "MPART_ALT_DIFF": "the text and HTML parts say different things",
}
NOT_INSTALLED = Finding(
    "spam", "notice", "SpamAssassin is not installed: the spam score was not measured", "apt-get install spamassassin (Debian), then check again", "spamassassin"
)


def spamassassin() -> str | None:
    """The ``spamassassin`` executable, or None when it is not installed."""
    return shutil.which("spamassassin")


def start(executor: Executor, data: bytes) -> Future[tuple[SpamResult | None, list[Finding]]]:
    """Score ``data`` in the background; the future gives ``(result, findings)``."""
    return executor.submit(score, data)


def score(data: bytes) -> tuple[SpamResult | None, list[Finding]]:
    """Run SpamAssassin's local tests on ``data``: the result (None when it could not run) and its findings."""
    exe = spamassassin()
    if exe is None:
        return None, [NOT_INSTALLED]
    with tempfile.TemporaryDirectory(prefix="lx-spamassassin-") as home:
        env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        try:
            run = subprocess.run([exe, "-L", "-t"], input=data, capture_output=True, env=env, timeout=TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, [Finding("spam", "notice", f"SpamAssassin did not run: {exc}", None, "spamassassin")]
    result = parse_report(run.stdout.decode("utf-8", "replace"))
    if result is None:
        tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no report"]
        return None, [Finding("spam", "notice", f"SpamAssassin gave no score (exit {run.returncode}): {tail[0]}", None, "spamassassin")]
    return result, findings(result)


def parse_report(output: str) -> SpamResult | None:
    """Score, threshold and tests from ``spamassassin -t`` output; None when there is no report."""
    status = _STATUS.search(output)
    if status is None:
        return None
    rules: list[tuple[str, float, str]] = []
    _, _, details = output.partition(_DETAILS)
    for line in details.splitlines()[1:]:
        match = _RULE_LINE.match(line)
        if match:
            rules.append((match[2], float(match[1]), match[3].strip()))
        elif rules and line.startswith(" " * 10) and line.strip():  # a description's continuation
            name, points, text = rules[-1]
            rules[-1] = (name, points, f"{text} {line.strip()}")
        elif rules and not line.strip():
            break
    return SpamResult(float(status[1]), float(status[2]), tuple(rules))


def findings(result: SpamResult) -> list[Finding]:
    """An error at or above the threshold, a warning above 0.0 (naming the tests that added points)."""
    if result.score <= 0.0:
        return []
    scoring = [(n, p, d) for n, p, d in result.rules if p > 0]
    said = "; ".join(f"{n} +{p:g} ({d})" for n, p, d in scoring) or "no single test"
    hints = [h for n, _, _ in scoring for key, h in HINTS.items() if n.startswith(key)]
    if result.score >= result.required:
        return [Finding("spam", "error", f"SpamAssassin scores it {result.score:g}, spam from {result.required:g}: {said}", "; ".join(hints) or None, "spam-score")]
    return [Finding("spam", "warning", f"SpamAssassin scores it {result.score:g} (target 0.0, spam from {result.required:g}): {said}", "; ".join(hints) or None, "spam-score")]
