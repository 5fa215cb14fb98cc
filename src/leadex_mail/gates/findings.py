"""What the gates report: findings per edition, gathered into one report per issue.

A ``Finding`` is one thing found in one edition's message. Severities:

- ``error``: the message fails a standard we hold it to (WCAG 2.1 AA,
  RFC 5322/2045/2047, RFC 2369 + 8058, DKIM) or will be clipped or marked as
  spam; ``send`` refuses it unless ``--force``.
- ``warning``: worth a look; ``check`` exits 1 as it does for lint warnings,
  ``send`` lists it before asking.
- ``notice``: something was not measured (SpamAssassin not installed, ...);
  printed, never a failure.

``EditionReport`` and ``DeepReport`` also keep the measurements (violation
counts per view, spam score, sizes, seconds) for the summary table and
``--json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from leadex_mail.errors import Problem

Severity = Literal["error", "warning", "notice"]

# The four views every edition is checked in: (width in CSS px, colour scheme).
VIEWS: tuple[tuple[int, str], ...] = ((375, "light"), (375, "dark"), (600, "light"), (600, "dark"))


def view_name(width: int, scheme: str) -> str:
    """``"375 px light"``: how a view is named in findings, the table and JSON."""
    return f"{width} px {scheme}"


@dataclass(frozen=True)
class Finding:
    """One thing found in an edition's message.

    ``check`` is the kind (``accessibility``, ``markup``, ``spam``,
    ``conformance``, ``size``, ``setup``); ``rule`` the rule that fired (an
    axe rule id, a SpamAssassin test name, or ours); ``where`` what it is
    about (a view such as ``375 px dark``, a header, a MIME part).
    """

    check: str
    severity: Severity
    message: str
    hint: str | None = None
    rule: str = ""
    where: str = ""

    @property
    def code(self) -> str:
        """``check.rule`` (``conformance.dkim``): what a face says the finding by, in its own words (the studio's notices)."""
        return f"{self.check}.{self.rule}"

    def to_problem(self, file: str) -> Problem:
        """The finding as a ``Problem`` about the edition's file (for ``send``'s refusal and ``check``'s list)."""
        where = f" ({self.where})" if self.where else ""
        return Problem(file, None, None, "", f"{self.check}{where}: {self.message}", self.hint, self.severity, code=f"deep.{self.check}")


@dataclass(frozen=True)
class SpamResult:
    """SpamAssassin's verdict on one message: total score, threshold, and each test with its points."""

    score: float
    required: float
    rules: tuple[tuple[str, float, str], ...]  # (test name, points, description)


@dataclass(frozen=True)
class Sizes:
    """Byte counts of one message. ``html_bytes`` is the decoded HTML part (what Gmail measures)."""

    html_bytes: int
    message_bytes: int
    clip_bytes: int

    @property
    def margin_bytes(self) -> int:
        """How far the HTML is below Gmail's clipping size (negative: clipped)."""
        return self.clip_bytes - self.html_bytes


@dataclass
class EditionReport:
    """Everything the deep check found and measured in one edition.

    ``axe`` maps a view name to its number of violated rules (absent when
    the browser checks did not run); ``spam`` is None when SpamAssassin did
    not run.
    """

    language: str
    file: str
    findings: list[Finding] = field(default_factory=list)
    axe: dict[str, int] = field(default_factory=dict)
    spam: SpamResult | None = None
    sizes: Sizes | None = None
    seconds: float = 0.0

    def count(self, severity: str, check: str | None = None) -> int:
        """Findings of ``severity`` (and of ``check``, if given)."""
        return sum(1 for f in self.findings if f.severity == severity and (check is None or f.check == check))

    def problems(self) -> list[Problem]:
        """Errors and warnings as ``Problem``s about the edition's file (notices left out)."""
        return [f.to_problem(self.file) for f in self.findings if f.severity != "notice"]


@dataclass
class DeepReport:
    """The deep check of one issue: one report per edition, and the notices that concern all of them."""

    slug: str
    editions: list[EditionReport] = field(default_factory=list)
    notices: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    sample_recipient: str = ""

    def problems(self) -> list[Problem]:
        """Every edition's errors and warnings as ``Problem``s."""
        return [p for edition in self.editions for p in edition.problems()]

    @property
    def errors(self) -> int:
        """How many error-level findings there are in all editions."""
        return sum(e.count("error") for e in self.editions)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` (sizes in bytes, times in seconds)."""
        return {
            "issue": self.slug,
            "sample_recipient": self.sample_recipient,
            "seconds": round(self.seconds, 2),
            "notices": [asdict(n) for n in self.notices],
            "editions": [_edition_dict(e) for e in self.editions],
        }


def _edition_dict(e: EditionReport) -> dict[str, Any]:
    sizes = None
    if e.sizes is not None:
        sizes = {**asdict(e.sizes), "margin_bytes": e.sizes.margin_bytes}
    spam = None
    if e.spam is not None:
        spam = {
            "score": e.spam.score,
            "required": e.spam.required,
            "rules": [{"name": n, "points": p, "description": d} for n, p, d in e.spam.rules],
        }
    return {
        "language": e.language,
        "file": e.file,
        "axe_violations": dict(e.axe),
        "spam": spam,
        "sizes": sizes,
        "seconds": round(e.seconds, 2),
        "errors": e.count("error"),
        "warnings": e.count("warning"),
        "findings": [asdict(f) for f in e.findings],
    }
