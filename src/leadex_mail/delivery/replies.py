"""What an SMTP reply means for the recipient, the campaign and the sender: one classifier.

Every place that reads a server's answer asks ``classify(reply)``: the SMTP
transport (permanent or worth retrying?), the campaign workers (suppress the
address? count toward pausing?), ``send-test`` (what to tell the officer),
and later the processing of bounce mail (RFC 3464 ``Status:`` and
``Diagnostic-Code:`` fields take the same path).

The decision follows the RFC 3463 enhanced status code (``5.1.1``) when the
reply has one, and the RFC 5321 basic code (``550``) for permanence:

    2xx                            ACCEPTED
    4xx (any enhanced code)        TEMPORARY     try again later
    5.1.x (not 5.1.7/5.1.8)        HARD_BOUNCE   the address does not exist: suppress it
    5.2.2, 5.2.x                   SOFT_BOUNCE   mailbox full or unavailable: the address stays
    5.7.x 5.3.x 5.4.x 5.5.x 5.6.x  REJECTED      policy, relay, blocklist, authentication,
    5.1.7/5.1.8, 5.2.3              content, size, routing, protocol, SMTPUTF8: about
                                                 the sender or the message, not the person

A bounce whose words name our side -- the sender address ("Sender address
rejected", Postfix's reject_unlisted_sender at RCPT with 5.1.0), the HELO
name, the client host or its reverse DNS, the connection -- is REJECTED
(``sender`` / ``client``) whatever its code: only evidence about the
recipient's own mailbox suppresses anyone.

Replies without an enhanced code (or with the catch-all ``x.0.0``) are read
by their words, from a table of phrases real servers use ("User unknown",
"No such user here", "mailbox full", "blocked using zen.spamhaus.org", ...);
when no phrase matches, a 5xx is a REJECTED of category ``refused``: a
suppression needs clear evidence that the mailbox does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["Classification", "Kind", "classify", "parse_reply"]


class Kind(str, Enum):
    """What a reply means for this recipient."""

    ACCEPTED = "accepted"
    TEMPORARY = "temporary"  # try again later (4xx, timeouts)
    HARD_BOUNCE = "hard-bounce"  # the mailbox or address does not exist: suppress
    SOFT_BOUNCE = "soft-bounce"  # mailbox full, disabled for now: fail this message, keep the person
    REJECTED = "rejected"  # refused for the sender's or the message's sake: keep the person


# -- the tables (first match wins) ----------------------------------------------

# Enhanced status codes of a permanent (5xx) reply: (subject.detail pattern, kind, category).
_BY_STATUS: tuple[tuple[str, Kind, str], ...] = (
    (r"1\.[78]", Kind.REJECTED, "sender"),  # bad sender's mailbox / system address
    (r"1\.\d+", Kind.HARD_BOUNCE, "mailbox"),  # bad destination mailbox, system, syntax; moved; null MX
    (r"2\.2", Kind.SOFT_BOUNCE, "mailbox-full"),
    (r"2\.3", Kind.REJECTED, "size"),  # message length exceeds administrative limit
    (r"2\.\d+", Kind.SOFT_BOUNCE, "mailbox-unavailable"),  # mailbox disabled, mailing-list expansion
    (r"3\.4", Kind.REJECTED, "size"),
    (r"3\.\d+", Kind.REJECTED, "server"),  # the receiving mail system is full, misconfigured
    (r"4\.\d+", Kind.REJECTED, "routing"),
    (r"5\.\d+", Kind.REJECTED, "protocol"),
    (r"6\.7", Kind.REJECTED, "smtputf8"),  # RFC 6531: an address needs SMTPUTF8
    (r"6\.\d+", Kind.REJECTED, "content"),  # media, conversion
    (r"7\.(8|26|27|509|515|57)", Kind.REJECTED, "authentication"),  # credentials, SPF/DKIM/DMARC
    (r"7\.\d+", Kind.REJECTED, "policy"),  # refined by the words below
)

# Phrases, for replies without an enhanced code and to refine x.7.x: (regex, kind, category).
_SENDER = r"sender (address )?(rejected|verify|domain|denied|not allowed)|verification failed|domain of sender"
_RELAY = r"relay(ing)? (access )?(denied|not permitted|prohibited|not allowed)|unable to relay|not permitted to relay|relay access"
_BLOCKLIST = (
    r"spamhaus|spamcop|sorbs|barracuda|block ?list|black ?list|blocked using|\bdnsbl\b|\brbl\b|\bbl\d+\]|banned sending ip|"
    r"on our block|reputation|listed (at|in|on|by)"
)
_AUTH = r"\bspf\b|\bdkim\b|\bdmarc\b|unauthenticated|authenticat|credentials|password"
_CONTENT = r"spam|unsolicited|content|virus|malware|phish|suspicious"
_SIZE = r"too (big|large)|size (exceed|limit)|exceed\w* .{0,30}size|message size|maximum (message )?size"
_UNKNOWN = (
    r"user unknown|unknown (user|recipient|mailbox|address)|no such (user|mailbox|recipient|account|address|person)|"
    r"(mailbox|recipient|user|account|address) (not found|unknown|does ?n[o']t exist|not exist)|"
    # "The email account that you tried to reach does not exist": what does not exist must be named.
    r"\b(address|account|mailbox|user|recipient)\b[\w\s']{0,40}\bdoes ?n[o']t exist|invalid (recipient|mailbox|address|user)|"
    r"do(es)?n[o']t have an? [\w.-]+ account|no mailbox (here|by that name)|recipient not found|not a valid (mailbox|recipient)"
)
_FULL = r"over ?quota|quota exceeded|exceeded (its|the|their)? ?quota|mailbox (is )?full|insufficient (system )?storage|exceeded storage|out of storage"
_BY_TEXT: tuple[tuple[str, Kind, str], ...] = (
    (_SENDER, Kind.REJECTED, "sender"),
    (_RELAY, Kind.REJECTED, "relay"),
    (_BLOCKLIST, Kind.REJECTED, "blocklist"),
    (r"smtputf8", Kind.REJECTED, "smtputf8"),
    (_UNKNOWN, Kind.HARD_BOUNCE, "mailbox"),
    (_FULL, Kind.SOFT_BOUNCE, "mailbox-full"),
    (_SIZE, Kind.REJECTED, "size"),
    (_AUTH, Kind.REJECTED, "authentication"),
    (_CONTENT, Kind.REJECTED, "content"),
)
# Words that blame our side of the conversation, not the recipient's mailbox:
# the sender address (Postfix reject_unlisted_sender / reject_unverified_sender
# answer at RCPT with 5.1.0 or 5.1.1 and "Sender address rejected"), the HELO
# name, the client host (its IP, reverse DNS) or the connection. A reply
# naming them is never a hard or soft bounce, whatever its code says:
# suppressing people needs evidence about *their* mailbox.
_OUR_SENDER = r"\bsender'?s?\b|\bfrom:|\b(mail|envelope|header) from\b|\bfrom (address|domain)\b|\breturn[- ]path\b|\boriginator\b"
_OUR_CLIENT = (
    r"\b(he|eh)lo\b|\bclient\b|reverse (dns|lookup|address|hostname)|\brdns\b|\bptr\b|\bfcrdns\b|"
    r"\byour (ip|host|server|system|network)\b|\bip address\b|\bconnections?\b|\bconnecting (host|ip|server)\b"
)

# Words that refine a 5.7.x policy rejection.
_POLICY_TEXT = ("relay", "blocklist", "authentication", "content")

# Basic codes without a helpful enhanced code or phrase.
_BY_CODE: dict[int, str] = {500: "protocol", 501: "protocol", 502: "protocol", 503: "protocol", 504: "protocol", 530: "authentication", 535: "authentication", 538: "authentication"}

_HINTS: dict[str, str] = {
    "mailbox": "the address does not exist at the receiving server (a hard bounce: campaigns stop mailing it)",
    "mailbox-full": "the mailbox is full; the address is kept, and `leadex-mail retry` tries again later",
    "mailbox-unavailable": "the mailbox is disabled or unavailable for now; the address is kept",
    "sender": "the server refused the sender address: check from_address and that its domain exists and may be used with this login",
    "client": (
        "the server refused the sending machine itself (its HELO name, reverse DNS, IP address or connection), not the recipients:"
        " nobody was suppressed; ask the relay's provider, or fix the sending host's name and DNS"
    ),
    "relay": "the relay refuses to pass mail on for this sender or login: check smtp_user and LEADEX_SMTP_PASSWORD, and that from_address is allowed on this relay",
    "blocklist": "the sending server's IP address is on a blocklist: look it up (e.g. at check.spamhaus.org) and ask the mail provider to send through a clean relay",
    "authentication": "the message or the login failed authentication: check the SMTP login, and SPF, DKIM (dkim_key_path) and DMARC of the From domain",
    "content": "the server refused the message's content as spam or unsafe: run `leadex-mail check`, look at links and wording, send a test to a mailbox there",
    "size": "the message is too big for this server: use smaller images or publish them by URL (images_url)",
    "smtputf8": "the server cannot take internationalised (non-ASCII) addresses (no SMTPUTF8)",
    "routing": "the server could not route the message: check the relay's configuration",
    "protocol": "the server refused a command: check smtp_port and smtp_security, and the relay's limits",
    "server": "the receiving mail system reported a problem of its own",
    "policy": "the server refused the message by its policy: read its words, then ask its postmaster or the relay's provider",
    "refused": "the server refused the message without saying why in a standard way: read its words",
}

# Categories that name one cause whatever the wording; the rest are told apart by their words too.
_NAMED_CAUSES = frozenset({"relay", "blocklist", "sender", "client", "authentication", "size", "smtputf8", "content", "mailbox-full", "mailbox"})
_VARYING = re.compile(r"<[^>]*>|\S+@\S+|\[[^\]]*\]|\S*\d\S*")


def _shape(text: str) -> str:
    """``text`` lower-cased, with addresses, bracketed parts and every token holding a digit replaced by ``#``."""
    return " ".join(_VARYING.sub("#", text.lower()).split())


_CODE = re.compile(r"^\s*(?:smtp;\s*)?([245]\d\d)(?:[ -]|$)", re.IGNORECASE)
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_LINE_PREFIX = re.compile(r"^\s*[245]\d\d[ -]")


@dataclass(frozen=True)
class Classification:
    """One reply's meaning.

    ``code`` is the RFC 5321 basic code (``550``; None when the reply had
    none, e.g. a bare DSN status); ``status`` the RFC 3463 enhanced code as
    given (``"5.7.1"``; None when absent); ``category`` one of the keys of
    the hints (``mailbox``, ``relay``, ``blocklist``, ...), ``accepted`` or
    ``temporary``; ``text`` the reply's words without codes.
    """

    kind: Kind
    category: str
    code: int | None
    status: str | None
    text: str

    @property
    def suppresses(self) -> bool:
        """True when the address must never be mailed again (a hard bounce)."""
        return self.kind is Kind.HARD_BOUNCE

    @property
    def temporary(self) -> bool:
        """True when trying again later may succeed."""
        return self.kind is Kind.TEMPORARY

    @property
    def key(self) -> str:
        """What makes two rejections "the same cause" (for pausing a campaign), whatever their wording.

        A named cause is its category (``relay``: ``554 5.7.1 <x>: Relay
        access denied`` and ``550 5.7.1 Unable to relay`` are one problem
        with the relay); an unnamed one (``policy``, ``refused``, ...) is its
        enhanced code and the shape of its words (``fingerprint``).
        """
        if self.category in _NAMED_CAUSES:
            return f"{self.kind.value} {self.category}"
        return f"{self.kind.value} {self.category} {self.status or ''} {_shape(self.text)}"

    @property
    def fingerprint(self) -> str:
        """The reply with what differs per recipient taken out: addresses, IPs, ids, numbers (for "identical" replies)."""
        return " ".join(p for p in (self.status, _shape(self.text)) if p)

    @property
    def hint(self) -> str | None:
        """What the operator can do about it, in plain words."""
        return _HINTS.get(self.category)


def parse_reply(reply: str) -> tuple[int | None, str | None, str]:
    """Split a reply into (basic code, enhanced status, words).

    Accepts a one-line reply (``550 5.1.1 No such user``), the raw multi-line
    form (``550-5.1.1 ...\\n550 5.1.1 ...``; each line's code and status are
    dropped from the words), a DSN ``Diagnostic-Code`` (``smtp; 550 ...``) and
    a bare status (``5.1.1``).
    """
    match = _CODE.match(reply)
    code = int(match.group(1)) if match else None
    rest = reply[match.end() :] if match else reply.strip()
    words: list[str] = []
    status: str | None = None
    for i, line in enumerate(rest.splitlines() or [""]):
        line = _LINE_PREFIX.sub("", line) if i else line
        line = line.strip()
        found = _STATUS.match(line)
        if found:
            status = status or found.group(0)
            line = line[found.end() :]
        words.append(line.strip())
    return code, status, " ".join(w for w in " ".join(words).split() if w)


def classify(reply: str) -> Classification:
    """What ``reply`` means (see the module's table). Never raises; unknown forms are REJECTED/refused.

    A bounce (hard or soft), or a refusal the table could not name, whose
    words name the sender, the HELO name, the client host or the connection
    is a REJECTED of category ``sender`` or ``client`` instead: it is about
    us, not the recipient's mailbox.
    """
    verdict = _classify(reply or "")
    if verdict.kind in (Kind.HARD_BOUNCE, Kind.SOFT_BOUNCE) or verdict.category == "refused":
        lowered = verdict.text.lower()
        for pattern, category in ((_OUR_SENDER, "sender"), (_OUR_CLIENT, "client")):
            if re.search(pattern, lowered):
                return Classification(Kind.REJECTED, category, verdict.code, verdict.status, verdict.text)
    return verdict


def _classify(reply: str) -> Classification:
    """The table's verdict, by enhanced status code first, then by words, then by basic code."""
    code, status, text = parse_reply(reply)
    lowered = text.lower()
    klass = str(code)[0] if code is not None else (status[0] if status else None)
    if klass == "2":
        return Classification(Kind.ACCEPTED, "accepted", code, status, text)
    if klass == "4" or lowered == "timeout":
        return Classification(Kind.TEMPORARY, "temporary", code, status, text)
    detail = status.split(".", 1)[1] if status else None
    if detail is not None and detail != "0.0":
        for pattern, kind, category in _BY_STATUS:
            if re.fullmatch(pattern, detail):
                if category == "policy":
                    category = _refine_policy(lowered)
                return Classification(kind, category, code, status, text)
    for pattern, kind, category in _BY_TEXT:
        if re.search(pattern, lowered):
            return Classification(kind, category, code, status, text)
    return Classification(Kind.REJECTED, _BY_CODE.get(code or 0, "refused"), code, status, text)


def _refine_policy(lowered: str) -> str:
    """A 5.7.x rejection named by its words: relay, blocklist, authentication, content, or policy."""
    for pattern, _kind, category in _BY_TEXT:
        if category in _POLICY_TEXT and re.search(pattern, lowered):
            return category
    return "policy"
