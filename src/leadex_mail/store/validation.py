"""Checking and normalising what goes into the store: addresses, names, attributes.

Everything here is pure (no database). Names and attribute values end up in
mail headers ("To: Ana Novak <ana@example.org>"), so control characters and
line breaks are refused outright rather than cleaned: a CR/LF in a name is
a header-injection attempt or a broken export, and either way a person
should look at it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from email_validator import EmailNotValidError, validate_email

from leadex_mail.errors import StoreError

MAX_FIELD = 1000
MAX_ATTRIBUTE_NAME = 100
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class InvalidValue(StoreError):
    """A value (address, name, attribute, language) the store refuses."""


def normalise_email(raw: str, *, allow_smtputf8: bool = False) -> str:
    """The canonical form of an address, or ``InvalidValue``.

    Trimmed, checked offline with email-validator, the domain IDNA-encoded
    (``bücher.example`` -> ``xn--bcher-kva.example``) and the whole address
    lower-cased: mailbox names are case-insensitive in practice, and an
    unsubscribe of ``Ana@`` must also stop ``ana@``.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidValue("the address is empty")
    if len(text) > 320:
        raise InvalidValue("the address is longer than 320 characters")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=allow_smtputf8)
    except EmailNotValidError as exc:
        international = "SMTPUTF8" in str(exc) or "Internationalized characters before" in str(exc)
        hint = "set smtputf8 = true if your mail server accepts such addresses" if international else None
        raise InvalidValue(f"{text!r} is not a valid address: {exc}", hint=hint) from None
    return f"{info.local_part}@{info.ascii_domain}".lower()


def clean_text(value: str | None, what: str) -> str | None:
    """``value`` trimmed (None when empty), refusing line breaks, control characters and > 1000 chars."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_FIELD:
        raise InvalidValue(f"{what} is longer than {MAX_FIELD} characters ({len(text)})")
    bad = _first_control(text)
    if bad is not None:
        raise InvalidValue(f"{what} contains a line break or control character ({bad})", hint="mail headers cannot carry it; fix the source")
    return text


def _first_control(text: str) -> str | None:
    """A readable name of the first control/line-separator character in ``text``."""
    for ch in text:
        # Cc: C0/C1 controls incl. CR, LF, TAB; Zl/Zp: U+2028/U+2029 line and paragraph separators.
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return f"U+{ord(ch):04X}"
    return None


def clean_language(value: str | None, default: str = "sl") -> str:
    """A language tag such as ``sl`` or ``en``, lower-cased; ``default`` when empty."""
    text = (value or "").strip().lower().replace("_", "-")
    if not text:
        return default
    if not _LANGUAGE.match(text):
        raise InvalidValue(f"language {value!r} is not a language code", hint="use a code such as sl or en")
    return text


def clean_attributes(values: Mapping[str, Any] | None) -> dict[str, str]:
    """Attribute names and values cleaned like names; empty values dropped."""
    out: dict[str, str] = {}
    for key, raw in (values or {}).items():
        name = clean_text(str(key), "an attribute name")
        if name is None:
            continue
        if len(name) > MAX_ATTRIBUTE_NAME:
            raise InvalidValue(f"attribute name {name[:40]!r}... is longer than {MAX_ATTRIBUTE_NAME} characters")
        value = clean_text(None if raw is None else str(raw), f"attribute {name!r}")
        if value is not None:
            out[name] = value
    return out


def clean_list_name(value: str) -> str:
    """A list name: a lower-case slug (letters, digits, - and _)."""
    text = (value or "").strip()
    if not _LIST_NAME.match(text):
        raise InvalidValue(
            f"list name {value!r} is not a slug",
            hint="use lower-case letters, digits, '-' and '_' (e.g. news-sl); put the display name in --title",
        )
    return text
