"""axe-core's WCAG 2.x A and AA rules on a message as shown in Chromium.

axe-core (bundled by ``axe-playwright-python``) runs inside the message's
own frame, with the rules tagged ``wcag2a``, ``wcag2aa``, ``wcag21a``,
``wcag21aa``, ``wcag22a`` and ``wcag22aa``. Rules about a web page's
landmarks and navigation are off: an email is one document inside a mail
program's page, with no ``<main>``, no banner and no blocks repeated across
pages (``region``, ``landmark-*``, ``page-has-heading-one``, ``bypass``).

Each view (375 or 600 px, light or dark) is checked on its own: media
queries change colours, sizes and what is displayed. A page is loaded once
and switched between the views (frame width, emulated colour scheme). Every violation is an
error; a result axe could not decide ("needs review", e.g. text over a
picture) is a notice. One finding per rule and element set, naming every
view it occurs in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from leadex_mail.gates.browser import MessageView
from leadex_mail.gates.findings import Finding

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
OFF_FOR_EMAIL_PREFIXES = ("landmark-",)
OFF_FOR_EMAIL = ("region", "page-has-heading-one", "bypass")
_START = """(options) => {
  const off = axe.getRules().map((r) => r.ruleId)
    .filter((id) => options.offPrefixes.some((p) => id.startsWith(p)) || options.off.includes(id));
  const rules = Object.fromEntries(off.map((id) => [id, {enabled: false}]));
  window.__lxAxe = axe.run(document, {runOnly: {type: "tag", values: options.tags}, rules,
                                      resultTypes: ["violations", "incomplete"]})
    .then((r) => ({violations: r.violations, incomplete: r.incomplete}));
}"""
HINTS = {
    "color-contrast": "make the text darker or its background lighter (brand.yaml colours; in dark mode the templates' prefers-color-scheme rules)",
    "image-alt": "give the picture an alt text saying what it shows (or mark it decorative: true)",
    "link-name": "give the link a text (or its picture an alt text)",
    "html-has-lang": "the template sets <html lang>",
    "document-title": "the template puts the subject in <title>",
}
_TAGS = re.compile(r"<[^>]+>")
EXAMPLES = 3  # elements named per finding


@cache
def axe_script() -> str:
    """axe-core's source, as ``axe-playwright-python`` bundles it."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def run_axe(views: Sequence[MessageView]) -> list[dict[str, Any]]:
    """axe's results (``violations``, ``incomplete``) for each view, in order; the views run in parallel.

    Each view's run is started before any is awaited: every view has its
    own renderer process, so two cores check two views at once.
    """
    options = {"tags": list(WCAG_TAGS), "off": list(OFF_FOR_EMAIL), "offPrefixes": list(OFF_FOR_EMAIL_PREFIXES)}
    for view in views:
        if not view.evaluate("() => typeof axe !== 'undefined'"):
            view.evaluate(axe_script())
        view.evaluate(_START, options)
    return [v.evaluate("() => window.__lxAxe") for v in views]


def axe_findings(results: dict[str, dict[str, Any]]) -> list[Finding]:
    """Findings from ``run_axe`` results of one edition: one per rule and element set, with every view it occurs in."""
    grouped: dict[tuple[str, str, tuple[str, ...]], tuple[dict[str, Any], list[str]]] = {}
    for view, result in results.items():
        for kind in ("violations", "incomplete"):
            for rule in result[kind]:
                targets = tuple(str(n.get("target")) for n in rule["nodes"])
                key = (kind, rule["id"], targets)
                grouped.setdefault(key, (rule, []))[1].append(view)
    return [_finding(kind, rule, views) for (kind, _, _), (rule, views) in grouped.items()]


def violation_counts(results: dict[str, dict[str, Any]]) -> dict[str, int]:
    """How many rules each view violates."""
    return {view: len(result["violations"]) for view, result in results.items()}


def _finding(kind: str, rule: dict[str, Any], views: list[str]) -> Finding:
    nodes = rule["nodes"]
    example = "; ".join(_describe(rule["id"], node) for node in nodes[:EXAMPLES])
    count = f"{len(nodes)} element{'s' if len(nodes) != 1 else ''}"
    if kind == "violations":
        message = f"{rule['help']} ({rule['id']}, {rule.get('impact') or 'no'} impact): {count}, e.g. {example}"
        return Finding("accessibility", "error", message, HINTS.get(rule["id"], rule.get("helpUrl")), rule["id"], ", ".join(views))
    message = f"axe could not decide {rule['id']!r} ({rule['help']}) for {count}, e.g. {example}: look at it yourself"
    return Finding("accessibility", "notice", message, rule.get("helpUrl"), rule["id"], ", ".join(views))


def _describe(rule_id: str, node: dict[str, Any]) -> str:
    """``'text' at selector``, plus the colours and ratio for a contrast failure."""
    text = " ".join(_TAGS.sub(" ", node.get("html", "")).split())[:60]
    target = " ".join(str(t) for t in node.get("target", []))[:80]
    described = f"{text!r} at {target}" if text else target
    if rule_id == "color-contrast":
        data = next((c.get("data") for c in node.get("any", []) if isinstance(c.get("data"), dict)), None)
        if data and data.get("fgColor"):
            described += f": {data['fgColor']} on {data.get('bgColor')} is {data.get('contrastRatio')}:1, needs {data.get('expectedContrastRatio')}"
    return described
