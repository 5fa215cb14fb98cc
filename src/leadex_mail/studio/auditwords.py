"""The audit log's entries in the officer's words: an action, its target and its details, never a stored code.

    action_words(words, "send_unschedule")                 # "cancelled a scheduled send" / "preklical načrtovano pošiljanje"
    target_words(words, "subscriber 54")                   # "subscriber 54" / "naročnik 54"
    detail_words(words, {"replaced_by": "send"}, when)     # "Replaced by: a send started by hand" / "Zamenjalo ga je: ..."

The log stores what the core wrote (``store.accounts.record``): an action
code (``send_held``), a target in the core's words (``subscriber 54``,
``2026-09-leadex-02 -> newsletter``, ``people who left``) and details whose
keys and some values are codes (``replaced_by: "send"``, ``codes:
["draft.marked"]``, ``by_status: {"bounced": 3}``). This module says each in
the page's language from the catalogs: ``audit_<action>``,
``audit_target_<kind>``, ``audit_detail_<key>`` and, per kind of value
(``VALUE_KINDS``), the catalog that names it. An action, key or value no
catalog names shows as stored (a test walks every action and detail key
the code can write and keeps the catalogs complete).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadex_mail.studio.i18n import Words

# How a detail's value is said, by its key; a key not here is a number or the core's own text (``error``).
VALUE_KINDS: dict[str, str] = {
    "status": "campaign",  # campaign_<status>
    "reason": "reason",  # audit_reason_<reason>: why a send was held or refused
    "replaced_by": "replaced_by",  # audit_replaced_by_<action>
    "codes": "finding",  # the check's finding codes: [findings] of the catalogs
    "counts": "state",  # {delivery state: n}: audit_state_<state>
    "by_status": "subscriber_status",  # {subscriber status: n}: status_<status>
    "per_language": "languages",  # {language code: n}
    "language": "language",
    "role": "role",
    "from_role": "role",
    "to_role": "role",
}
# Targets the core writes in its own words, exactly.
TARGET_PHRASES = {
    "one subscriber": "one_subscriber",
    "everyone": "everyone",
    "unconfirmed sign-ups": "unconfirmed",
    "people who left": "people_who_left",
    "an address with no subscriber": "no_subscriber",
}
_SUBSCRIBER = re.compile(r"subscriber (\d+)")
_BOUNCES_OF = re.compile(r"bounces of (.+)")
_SEND = re.compile(r"(.+) -> (.+)")


def _maybe(words: Words, key: str, otherwise: str, **values: Any) -> str:
    try:
        return words.t(key, **values)
    except KeyError:
        return otherwise


def action_words(words: Words, action: str) -> str:
    """``send`` as "sent to a list"; an action no catalog names yet as itself."""
    return _maybe(words, f"audit_{action}", action)


def target_words(words: Words, target: str) -> str:
    """What an entry was done to, in the page's language: "naročnik 54", "2026-09-leadex-02 → novice"; a name as it is."""
    if target in TARGET_PHRASES:
        return _maybe(words, f"audit_target_{TARGET_PHRASES[target]}", target)
    if found := _SUBSCRIBER.fullmatch(target):
        return _maybe(words, "audit_target_subscriber", target, id=found[1])
    if found := _BOUNCES_OF.fullmatch(target):
        return _maybe(words, "audit_target_bounces_of", target, issue=found[1])
    if found := _SEND.fullmatch(target):
        return _maybe(words, "audit_target_send", target, issue=found[1], list=found[2])
    return target


def detail_words(words: Words, detail: dict[str, Any] | None, when: Callable[[datetime], str]) -> str:
    """An entry's details as a person reads them: "Recipients: 50; By language: Slovenian 40, English 10" (a13 finding 24: not JSON).

    Each key is named by the catalog (``audit_detail_<key>``; an unknown one
    as its words), a yes/no as yes/no, a time (``*_at``) by ``when``, a value
    of a kind in ``VALUE_KINDS`` by its catalog, a list comma-separated.
    """
    if not detail:
        return ""
    return "; ".join(
        f"{_maybe(words, f'audit_detail_{key}', key.replace('_', ' ').capitalize())}: {_value(words, key, value, when)}" for key, value in sorted(detail.items())
    )


def _value(words: Words, key: str, value: Any, when: Callable[[datetime], str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return words.t("audit_yes" if value else "audit_no")
    kind = VALUE_KINDS.get(key, "")
    if isinstance(value, dict):
        return ", ".join(f"{_one(words, kind, str(k))} {_value(words, str(k), v, when)}" for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return (" · " if kind == "finding" else ", ").join(_value(words, key, v, when) for v in value)
    if isinstance(value, str) and key.endswith("_at"):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return _one(words, kind, str(value)) if isinstance(value, str) else str(value)


def _one(words: Words, kind: str, value: str) -> str:
    """One coded value of ``kind`` in words; the value itself when no catalog names it."""
    from leadex_mail.studio.findings import language_display

    if kind in ("language", "languages"):
        return language_display(value, words.language)
    if kind == "finding":
        said = words.finding(value, {})
        return said.rstrip(".") if said else value
    key = {
        "campaign": f"campaign_{value}",
        "reason": f"audit_reason_{value}",
        "replaced_by": f"audit_replaced_by_{value}",
        "state": f"audit_state_{value}",
        "subscriber_status": f"status_{value}",
        "role": f"role_{value}",
    }.get(kind)
    return _maybe(words, key, value) if key else value
