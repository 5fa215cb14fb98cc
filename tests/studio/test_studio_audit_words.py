"""The audit log says every action, target and detail in the page's language, never a stored code.

The log stores the core's codes and words (``send_unschedule``, ``replaced_by: "send"``,
``subscriber 54``, ``codes: ["draft.marked"]``); the Slovenian page said them as stored
("Replaced by: send", "subscriber 54", "Vrste napak: draft.marked"). Every action and detail
key the code can write is found in the source here, so a new one without words fails.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import leadex_mail
from leadex_mail.cli.bounces import SUBSCRIBER_CHANGES
from leadex_mail.problem_codes import CODES
from leadex_mail.store.accounts import record
from leadex_mail.store.db import open_store
from leadex_mail.studio import auditwords
from leadex_mail.studio.i18n import words
from studio.studio_helpers import RunningStudio

SOURCE = Path(leadex_mail.__file__).parent
# record(store, actor, "action", ...), audit(store, "action", ...), _log(session, actor, "action", ...), Entry(actor, "action", ...)
_ACTION = re.compile(r"\baudit\(\s*store,\s*\"([a-z_]+)\"|\b(?:record|_log)\(\s*[^,()\"]+,\s*(?:[^,()\"]+|name or \"\?\"),\s*\"([a-z_]+)\"|\bEntry\(\s*[^,()\"]+,\s*\"([a-z_]+)\"")
_KEY = re.compile(r"\"([a-z_]+)\":")
_KWARG = re.compile(r"with_detail(\(.*)")
# Keys written through a variable the scan cannot follow: record_send's **more (cli/delivery.py), lists update's ``asked``.
_THROUGH_VARIABLES = {"language", "limit", "public", "title", "description", *SUBSCRIBER_CHANGES}
_SAMPLES: dict[str, list[Any]] = {
    "campaign": ["running", "paused", "done", "interrupted", "error"],
    "reason": ["check_errors", "unreadable", "nothing_left", "started_elsewhere"],
    "replaced_by": ["send"],
    "finding": [sorted(CODES)],  # every kind of finding the check can hold a send for
    "state": [{s: 1 for s in ("queued", "sending", "sent", "retry_wait", "failed", "skipped", "uncertain", "held")}],
    "subscriber_status": [{s: 2 for s in ("pending", "active", "unsubscribed", "bounced", "complained")}],
    "languages": [{"sl": 40, "en": 10}],
    "language": ["en"],
    "role": ["editor", "sender"],
}
TARGETS = ["subscriber 54", "one subscriber", "everyone", "unconfirmed sign-ups", "people who left", "an address with no subscriber", "bounces of 2026-09-leadex-02", "2026-09-leadex-02 -> newsletter"]
# Words of the English page, and codes as stored: neither may be on the Slovenian one.
ENGLISH = re.compile(r"\b(?:subscriber|send|sent|by|replaced|everyone|people|bounces|of|an|address|with|no|yes|the|draft|error|errors|running|paused|done|editor|sender|unconfirmed|English|Slovenian)\b")
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b|->")


def _source_files() -> list[Path]:
    return [p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts]


def written_actions() -> set[str]:
    """Every action a ``record``, ``audit``, ``_log`` or ``Entry`` call of the code writes."""
    found = set()
    for path in _source_files():
        for match in _ACTION.finditer(path.read_text(encoding="utf-8")):
            found.add(match[1] or match[2] or match[3])
    return found


def written_detail_keys() -> set[str]:
    """Every key of an audit entry's details the code writes: literal ``detail`` dicts and ``with_detail`` keywords."""
    found = set(_THROUGH_VARIABLES)
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        if not any(call in text for call in ("record(", "audit(", "with_detail", "_log(", "Entry(")):
            continue
        for line in text.splitlines():
            if "detail" in line and ("audit(" in line or "record(" in line or "Entry(" in line or re.search(r"\bdetail(?:: [^=]+)? = \{", line)):
                found.update(_KEY.findall(line))
            for kwargs in _KWARG.findall(line):
                found.update(re.findall(r"(?:\(|, )(\w+)=(?!=)", kwargs))
    found.update(("errors", "codes"))  # store.schedule.Held.detail(), written with send_held
    return found - {"detail"}


def test_the_scan_finds_the_actions_and_keys_it_must() -> None:
    actions, keys = written_actions(), written_detail_keys()
    assert {"send", "send_held", "send_unschedule", "user_add", "sign_in_refused", "subscriber_suppress", "list_update", "send_retry"} <= actions, actions
    assert {"replaced_by", "codes", "reason", "to_retry", "moved", "send_at", "per_language", "by_status", "other_send"} <= keys, keys


@pytest.mark.parametrize("language", ["en", "sl"])
def test_every_action_and_detail_key_the_code_writes_has_words(language: str) -> None:
    said = words(language)
    missing = [f"audit_{a}" for a in sorted(written_actions()) if auditwords.action_words(said, a) == a]
    for key in sorted(written_detail_keys()):
        try:
            said.t(f"audit_detail_{key}")
        except KeyError:
            missing.append(f"audit_detail_{key}")
    assert not missing, f"{language}.toml lacks: {', '.join(missing)}"


def _sample_details() -> list[dict[str, Any]]:
    """Each detail key, with every coded value of its kind in turn."""
    details: list[dict[str, Any]] = []
    for key in sorted(written_detail_keys()):
        kind = auditwords.VALUE_KINDS.get(key)
        values = _SAMPLES.get(kind, []) if kind else [7 if key != "send_at" and not key.endswith("_at") else "2026-09-01T08:00:00+00:00"]
        details.extend({key: value} for value in values or [7])
    return details


def test_every_detail_the_code_writes_is_said_in_slovenian_without_a_code_or_an_english_word() -> None:
    sl = words("sl")
    said = [auditwords.detail_words(sl, detail, lambda at: at.strftime("%Y-%m-%d %H:%M")) for detail in _sample_details()]
    said += [auditwords.action_words(sl, action) for action in sorted(written_actions())]
    said += [auditwords.target_words(sl, target) for target in TARGETS]
    wrong = [text for text in said if ENGLISH.search(text) or CODE.search(text)]
    assert not wrong, "\n".join(wrong)


def test_the_slovenian_audit_page_names_no_stored_code(studio: RunningStudio) -> None:
    store = open_store(studio.settings)
    at = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    try:
        record(store, "local:maja", "send_unschedule", "2026-09-leadex-02 -> newsletter", detail={"send_at": at.isoformat(), "replaced_by": "send"}, now=at)
        record(store, "local:maja", "subscriber_add", "subscriber 54", detail={"lists": ["newsletter"], "language": "en"}, now=at)
        record(store, "worker:maja", "send_held", "2026-09-leadex-02 -> newsletter", detail={"reason": "check_errors", "errors": 1, "codes": ["draft.marked"]}, now=at)
        record(store, "cli:maja", "subscriber_erase", "people who left", detail={"erased": 3, "by_status": {"bounced": 1, "complained": 2}}, now=at)
    finally:
        store.close()
    client = studio.client()
    client.headers["accept-language"] = "sl"
    page = client.get("/audit").text
    rows = html.unescape(" ".join(re.findall(r"<tbody>(.*?)</tbody>", page, re.S)))
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rows, re.S)]
    texts = [c for i, c in enumerate(cells) if i % 5 >= 2]  # what, target, details (when and who are a time and a name)
    assert "naročnik 54" in texts and "2026-09-leadex-02 → newsletter" in texts, texts
    assert any("Zamenjalo ga je: pošiljanje, začeto ročno" in t for t in texts), texts
    assert any("Besedilo je še označeno z ✎" in t for t in texts), texts
    assert any("izločen (pošta se vrača) 1" in t for t in texts), texts
    wrong = [t for t in texts if ENGLISH.search(t) or CODE.search(t.replace("2026-09-leadex-02", ""))]
    assert not wrong, wrong


def test_the_english_page_keeps_its_words() -> None:
    en = words("en")
    assert auditwords.target_words(en, "subscriber 59") == "subscriber 59"
    assert auditwords.detail_words(en, {"replaced_by": "send"}, str) == "Replaced by: a send started by hand"
    assert auditwords.detail_words(en, {"per_language": {"sl": 4, "en": 1}}, str) == "By language: English 1, Slovenian 4"
    assert auditwords.action_words(en, "no_such_action") == "no_such_action"
