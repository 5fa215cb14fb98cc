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

The run takes seconds (Perl loads thousands of rules), so one process
scores every edition and ``start`` returns a future: the caller does other
work meanwhile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from pathlib import Path

from leadex_mail.gates.findings import Finding, SpamResult

TIMEOUT_SECONDS = 120
_CHECKER = re.compile(r"^X-Spam-Checker-Version:", re.MULTILINE)
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


def start(executor: Executor, messages: Sequence[bytes]) -> Future[list[tuple[SpamResult | None, list[Finding]]]]:
    """Score ``messages`` in the background; the future gives ``(result, findings)`` for each, in order."""
    return executor.submit(score_all, messages)


def score(data: bytes) -> tuple[SpamResult | None, list[Finding]]:
    """Run SpamAssassin's local tests on ``data``: the result (None when it could not run) and its findings."""
    return score_all([data])[0]


def score_all(messages: Sequence[bytes]) -> list[tuple[SpamResult | None, list[Finding]]]:
    """Score every message with one SpamAssassin process (loading the rules is most of its cost)."""
    exe = spamassassin()
    if exe is None or not messages:  # (with no file named, spamassassin would read standard input)
        return [(None, [NOT_INSTALLED]) for _ in messages]
    try:
        run = _run(exe, messages)
    except (OSError, subprocess.TimeoutExpired) as exc:
        # A full or read-only temporary folder is as much "did not run" as a missing program: a notice, never a traceback.
        return [(None, [Finding("spam", "notice", f"SpamAssassin did not run: {_why(exc)}", None, "spamassassin")]) for _ in messages]
    reports = _split(run.stdout.decode("utf-8", "replace"))
    results = [parse_report(r) for r in reports] if len(reports) == len(messages) else [None] * len(messages)
    if any(r is None for r in results):
        tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no report"]
        failed = Finding("spam", "notice", f"SpamAssassin gave no score (exit {run.returncode}): {tail[0]}", None, "spamassassin")
        return [(r, findings(r)) if r is not None else (None, [failed]) for r in results]
    return [(r, findings(r)) for r in results if r is not None]


def _run(exe: str, messages: Sequence[bytes]) -> subprocess.CompletedProcess[bytes]:
    """SpamAssassin's local tests on ``messages``, written to a private temporary home; OSError, TimeoutExpired."""
    with tempfile.TemporaryDirectory(prefix="lx-spamassassin-") as home:
        files = []
        for n, data in enumerate(messages):
            path = Path(home) / f"message-{n}.eml"
            path.write_bytes(data)
            files.append(str(path))
        env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        return subprocess.run([exe, "-L", "-t", *files], capture_output=True, env=env, timeout=TIMEOUT_SECONDS, check=False)


def _why(exc: OSError | subprocess.TimeoutExpired) -> str:
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"it took longer than {TIMEOUT_SECONDS} s"
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _split(output: str) -> list[str]:
    """One chunk per message of ``spamassassin -t``'s output (each starts with its X-Spam-Checker-Version header)."""
    bounds = [*(m.start() for m in _CHECKER.finditer(output)), len(output)]
    return [output[a:b] for a, b in zip(bounds, bounds[1:])]  # no header at all: no chunk (the caller says "gave no score")


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
