"""Checking and normalising what goes into the store: addresses, names, attributes.

Everything here is pure (no database). Names end up in mail headers ("To:
Ana Novak <ana@example.org>"), so control characters and line breaks in a
name are refused outright rather than cleaned: a CR/LF in a name is a
header-injection attempt or a broken export, and either way a person should
look at it. An attribute value from an import is different: a multi-line
note from a spreadsheet cell is harmless once its lines are joined into one
(``one_line``), so the import joins them and says so; other control
characters are refused there too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

from leadex_mail.errors import InvalidValue, StoreError  # noqa: F401  (InvalidValue re-exported)
from leadex_mail.store.languages import normalise_language

MAX_FIELD = 1000
MAX_ATTRIBUTE_NAME = 100
# Unicode category Cc (C0 and C1 controls, incl. CR, LF, TAB) plus the line
# and paragraph separators U+2028/U+2029: all break or smuggle mail headers.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Line breaks a spreadsheet cell may hold (Unicode's "mandatory break" set), and tabs.
_BREAKS = re.compile("[ \t]*(?:\r\n|[\n\r\x0b\x0c\x85\u2028\u2029])[ \t\r\n\x0b\x0c\x85\u2028\u2029]*")
LINE_JOINER = " / "
_LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def normalise_email(raw: str, *, allow_smtputf8: bool = False) -> str:
    """The canonical form of an address, or ``InvalidValue``.

    Trimmed, checked offline with email-validator, the domain IDNA-encoded
    (``bücher.example`` -> ``xn--bcher-kva.example``) and the whole address
    lower-cased: mailbox names are case-insensitive in practice, and an
    unsubscribe of ``Ana@`` must also stop ``ana@``.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidValue("the address is empty", reason="no address")
    if len(text) > 320:
        raise InvalidValue("the address is longer than 320 characters")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=allow_smtputf8)
    except EmailNotValidError as exc:
        international = "SMTPUTF8" in str(exc) or "Internationalized characters before" in str(exc)
        hint = "set smtputf8 = true if your mail server accepts such addresses" if international else None
        raise InvalidValue(f"{text!r} is not a valid address: {exc}", hint=hint, reason=f"not a valid address: {exc}") from None
    return f"{info.local_part}@{info.ascii_domain}".lower()


# RFC 5322 dot-atom of plain ASCII "atext": what nearly every real address
# is. Anything else takes email-validator's full path.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class AddressNormaliser:
    """``normalise_email`` for many addresses at once (imports), same results, faster.

    email-validator spends most of its time on the domain, and a list has few
    distinct domains, so each domain is validated once (by email-validator
    itself) and remembered; plain dot-atom local parts are checked by a
    regex. Any address off that path goes through ``normalise_email``.
    """

    def __init__(self, *, allow_smtputf8: bool = False) -> None:
        self.allow_smtputf8 = allow_smtputf8
        self._domains: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str:
        """The normalised address, or ``InvalidValue`` (same as ``normalise_email``)."""
        text = (raw or "").strip()
        local, at, domain = text.rpartition("@")
        if at and len(local) <= 64 and _DOT_ATOM.fullmatch(local):
            ascii_domain = self._domain(domain)
            if ascii_domain is not None and len(local) + 1 + len(ascii_domain) <= 254:
                return f"{local}@{ascii_domain}".lower()
        return normalise_email(text, allow_smtputf8=self.allow_smtputf8)

    def _domain(self, domain: str) -> str | None:
        if domain not in self._domains:
            try:
                info = validate_email(f"a@{domain}", check_deliverability=False)
                self._domains[domain] = info.ascii_domain
            except EmailNotValidError:
                self._domains[domain] = None  # let the full path phrase the error
        return self._domains[domain]


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


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character or line separator anywhere."""
    return _CONTROL.search(text) is not None


def _first_control(text: str) -> str | None:
    """A readable name of the first control/line-separator character in ``text``."""
    found = _CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def clean_language(value: str | None, default: str = "sl") -> str:
    """A BCP 47 language tag in its canonical form (``EN-gb`` -> ``en-GB``); ``default`` when empty.

    InvalidValue when it is not a tag of a language CLDR knows (``xx``); see
    ``languages.normalise_language``.
    """
    text = (value or "").strip()
    if not text:
        return default
    return normalise_language(text)


def one_line(value: str) -> tuple[str, bool]:
    """``(value with its lines joined by " / " and tabs made spaces, whether it changed)``.

    For attribute values of an import (a multi-line note). Other control
    characters stay, for ``clean_text`` to refuse.
    """
    joined = _BREAKS.sub(LINE_JOINER, value.strip()).replace("\t", " ")
    return joined, joined != value.strip()


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
