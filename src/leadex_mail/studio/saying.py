"""What the officer reads of a test send and of an error: typed address lists, outcomes, an error's words.

    typed_addresses("Ana <ana@example.org>; bor@example.org")   # ["ana@example.org", "bor@example.org"]
    address_problem(ctx, read_mailboxes("Bcc: z@example.org"))   # "This is a line of an email's header, not an address: …"
    heading, lines = test_outcome(results)                      # "test_results_none", [TestLine(..., why="unreachable")]
    error_words(err)                                            # message and hint, the message ended once

The faces (``views_send``, ``views_issues``, ``views_schedule``, ``views_people``) call these; the
words themselves are in ``catalogs/<lang>.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadex_mail.errors import LeadexError, PermanentFailure, ServerFailure, TemporaryFailure, TlsFailure, TransportError
from leadex_mail.studio.mailboxes import Mailbox, read_mailboxes
from leadex_mail.studio.web import Ctx

MAX_TEST_ADDRESSES = 20


def error_words(err: LeadexError) -> str:
    """An error's message and hint as one text, the message ended by one full stop.

    Messages of the core may end with a full stop of their own (email-validator's
    "...must have an @-sign."): joining them with another "." gave "@-sign.."
    (a13c F2). Every studio face joins an error's words here.
    """
    text = sentences(err.message)
    hint = (err.hint or "").strip()
    return sentences(text, hint) if hint else text


def sentences(*parts: str) -> str:
    """``parts`` (a message, a server's reply, a hint: the core's words, each begun in lower case) joined as sentences of one text.

    Each part but the last is ended by one full stop (unless it ends in ``.!?:``
    already; a single part is ended too), and a part that follows a full stop
    begins with a capital ("… (today is 2026-12-02). Check the year", not
    ". check the year"). Empty parts are left out; the last of several keeps its own end.
    """
    said = [p.strip() for p in parts if p and p.strip()]
    out: list[str] = []
    for i, part in enumerate(said):
        if out and out[-1][-1] in ".!?" and part[0].islower():
            part = part[0].upper() + part[1:]
        if (i < len(said) - 1 or len(said) == 1) and part[-1] not in ".!?:":
            part += "."
        out.append(part)
    return " ".join(out)


def typed_addresses(raw: str) -> list[str]:
    """The addresses an officer typed (``mailboxes.read_mailboxes``): each mailbox's address, an item that is none as typed."""
    return [m.address if m.refused is None else m.typed for m in read_mailboxes(raw)]


def address_problem(ctx: Ctx, typed: list[Mailbox]) -> str | None:
    """What is wrong with the test's addresses, in the officer's words; None when each is an address.

    A header line or group (``Bcc: z@example.org``) is said as one, the
    rest that is no address as "not an email address"; each as typed.
    """
    from leadex_mail.errors import InvalidValue
    from leadex_mail.store.validation import normalise_email

    if not typed and not ctx.studio.settings.test_recipients:
        return ctx.t("test_no_address")
    if len(typed) > MAX_TEST_ADDRESSES:  # refused whole, at the field: never a silent cut to the first ones
        return ctx.t("test_too_many", n=len(typed), limit=MAX_TEST_ADDRESSES)
    headers = [f"“{m.typed}”" for m in typed if m.refused == "header"]
    if headers:
        return ctx.t("address_header_line", n=len(headers), addresses=", ".join(headers))
    bad = []
    for mailbox in typed:
        try:
            if mailbox.refused:
                raise InvalidValue(mailbox.typed)
            normalise_email(mailbox.address, allow_smtputf8=ctx.studio.settings.smtputf8)
        except InvalidValue:
            bad.append(f"“{mailbox.typed}”")
    return ctx.t("test_not_addresses", n=len(bad), addresses=", ".join(bad)) if bad else None


def one_address(ctx: Ctx, raw: str) -> tuple[Mailbox | None, str | None]:
    """The one mailbox of a field that takes one address (add a subscriber), or what is wrong with it in the officer's words.

    ``(mailbox, None)`` for ``ana@example.org`` or ``Ana Novak <ana@example.org>``;
    ``(None, words)`` for a header line or more than one address; ``(None, None)``
    for anything else, left to the store's own check of an address to say.
    """
    typed = read_mailboxes(raw)
    if len(typed) == 1 and typed[0].refused is None:
        return typed[0], None
    headers = [f"“{m.typed}”" for m in typed if m.refused == "header"]
    if headers:
        return None, ctx.t("address_header_line", n=len(headers), addresses=", ".join(headers))
    if len(typed) > 1:
        return None, ctx.t("address_only_one", n=len(typed))
    return None, None


@dataclass(frozen=True)
class TestLine:
    """One address of a test send as the page says it: sent or not, why in plain words, the transport's own words."""

    __test__ = False  # not a pytest test class

    recipient: str
    language: str
    ok: bool
    why: str | None = None  # catalog key ``test_why_*``: the kind of failure
    detail: str = ""  # the server's reply and the transport's message, for the person who runs leadex-mail


def test_outcome(results: list) -> tuple[str, list[TestLine]]:
    """``(heading key, lines)`` of a test send: the heading says what happened to all of it (all, some, none sent)."""
    lines = [_line(r) for r in results]
    sent = sum(line.ok for line in lines)
    heading = "test_results_all" if sent == len(lines) else "test_results_some" if sent else "test_results_none"
    return heading, lines


def _line(result: Any) -> TestLine:
    if result.ok:
        return TestLine(result.recipient, result.language, True)
    err = result.error
    words = [result.reply or ""] + ([err.message] if err is not None and err.message != result.reply else []) + [result.hint or ""]
    return TestLine(result.recipient, result.language, False, failure_kind(err, result.reply or ""), sentences(*words))


# RFC 4954 replies to AUTH: 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538 encryption required.
_LOGIN_CODES = frozenset({"530", "534", "535", "538"})


def failure_kind(err: TransportError | None, reply: str) -> str:
    """Which kind of failure a test message met, by the transport's error class and the SMTP reply code (RFC 5321 4.2).

    ``unreachable`` (refused, dropped, no such host), ``timeout``, ``tls`` (RFC 3207/8314),
    ``login`` (RFC 4954), ``server`` (the server refused the whole session, 421/554 at
    greeting), ``deferred`` (4xx for this address), ``refused`` (5xx for this address), ``other``.
    """
    code = reply[:3] if re.match(r"[2-5][0-9][0-9]\b", reply) else ""
    said = f"{reply} {err.message if err is not None else ''}".lower()
    if isinstance(err, TlsFailure) or (isinstance(err, ServerFailure) and ("ssl" in said or "tls with" in said)):
        return "tls"
    if isinstance(err, ServerFailure):
        if code in _LOGIN_CODES or "login" in said:
            return "login"
        if "timed out" in said or "timeout" in said or "no answer within" in said:
            return "timeout"
        return "server" if code else "unreachable"
    if code.startswith("4") or isinstance(err, TemporaryFailure):
        return "deferred"
    if code.startswith("5") or isinstance(err, PermanentFailure):
        return "refused"
    return "other"
