"""Message conformance and size, read back from the bytes with the standard library.

Checked, each an error unless said otherwise:

- lines: CRLF only; no line over 998 octets (RFC 5322 2.1.1); no encoded
  line over 76 in quoted-printable and base64 bodies (RFC 2045 6.7, 6.8);
- the parser's own defects in the message, its parts and its headers
  (``email`` records a missing boundary, a bad header, ... as defects);
- headers: From, To, Subject, Date (parseable), Message-ID (``<left@right>``)
  and MIME-Version present, exactly once each; no 8-bit bytes unless
  SMTPUTF8 is on; RFC 2047 encoded words well formed (charset known,
  encoding B or Q, at most 75 characters, text that decodes);
- structure: ``multipart/alternative`` with a ``text/plain`` part first and
  the HTML (``text/html``, or ``multipart/related`` around it) last, both
  non-empty, both with a charset they decode in;
- RFC 2369 + RFC 8058: one ``List-Unsubscribe`` holding exactly one
  ``https:`` URI, plus at most one ``mailto:``, nothing else; one
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``;
- DKIM (RFC 6376): when a key is configured the message is signed, the
  signature verifies against the key's own public half (offline: DNS
  publication is the operator's part) and covers both list headers
  (RFC 8058 section 4);
- size: the decoded HTML part under Gmail's clipping size (about 102 KB:
  beyond it Gmail hides the rest, unsubscribe link included); a warning
  over 10 MB for the whole message (a common receiving limit).

``leaves_machine`` (the SMTP transport) decides whether a link that is not
https is an error or, for the outbox where nothing is sent, a warning.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from leadex_mail.config import Settings
from leadex_mail.counts import counted
from leadex_mail.gates.findings import Finding, Severity, Sizes
from leadex_mail.gates.sample import SampleMessage

MAX_LINE = 998
MAX_ENCODED_LINE = 76
GMAIL_CLIP_BYTES = 102 * 1000  # Gmail's "102 KB", read as the smaller value (1 KB = 1000 bytes)
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
ONE_CLICK = "List-Unsubscribe=One-Click"
REQUIRED_ONCE = ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version")
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=")
_LOOSE_ENCODED_WORD = re.compile(r"=\?\S*")
_Q_TEXT = re.compile(r"(?:[!->@-~]|=[0-9A-Fa-f]{2})*")  # printable ASCII but "?", "=" and space, or =XX
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")
_LIST_ENTRY = re.compile(r"<([^<>]*)>")
_WSP = re.compile(r"\r\n[ \t]+")


def check_conformance(sample: SampleMessage, settings: Settings) -> list[Finding]:
    """Every conformance finding in ``sample`` (see the module docstring for what is checked)."""
    msg = sample.parsed()
    leaves = settings.effective_transport == "smtp"
    findings = list(_line_findings(sample.data))
    findings += _defect_findings(msg)
    findings += _header_findings(sample.data, msg, settings)
    findings += _structure_findings(msg, sample)
    findings += _list_findings(msg, leaves)
    findings += _dkim_findings(sample.data, msg, settings)
    return findings


def measure_sizes(sample: SampleMessage) -> Sizes:
    """The HTML part's and the whole message's size in bytes."""
    html = len(sample.html.encode("utf-8")) if sample.html is not None else 0
    return Sizes(html_bytes=html, message_bytes=len(sample.data), clip_bytes=GMAIL_CLIP_BYTES)


def size_findings(sizes: Sizes) -> list[Finding]:
    """An error when Gmail would clip the HTML, a warning for a message over 10 MB."""
    found = []
    if sizes.html_bytes >= sizes.clip_bytes:
        found.append(
            Finding(
                "size", "error",
                f"the HTML part is {sizes.html_bytes / 1000:.1f} KB: Gmail clips messages over {sizes.clip_bytes // 1000} KB "
                "and hides the rest behind a link, the unsubscribe link included",
                "shorten the texts or move sections to the website, and link to them", "gmail-clipping", "HTML part",
            )
        )  # fmt: skip
    if sizes.message_bytes > MAX_MESSAGE_BYTES:
        found.append(
            Finding(
                "size", "warning",
                f"the whole message is {sizes.message_bytes / 1024 / 1024:.1f} MB: some servers refuse messages over 10 MB",
                "use fewer or smaller pictures, or publish them (images_url) instead of embedding them", "message-size",
            )
        )  # fmt: skip
    return found


# -- lines -----------------------------------------------------------------------


def _line_findings(data: bytes) -> list[Finding]:
    found = []
    if b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b""):
        found.append(Finding("conformance", "error", "the message has a line break that is not CRLF", "SMTP carries CRLF line endings only (RFC 5322 2.3)", "crlf"))
    for number, line in enumerate(data.split(b"\r\n"), 1):
        if len(line) > MAX_LINE:
            found.append(
                Finding("conformance", "error", f"line {number} is {len(line)} octets long (at most {MAX_LINE}, RFC 5322 2.1.1)", None, "line-length", f"line {number}")
            )
    return found


def _encoded_line_findings(part: EmailMessage, where: str) -> list[Finding]:
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    if cte not in ("quoted-printable", "base64"):
        return []
    raw = part.get_payload()
    if not isinstance(raw, str):
        return []
    long = [n for n, line in enumerate(raw.replace("\r\n", "\n").split("\n"), 1) if len(line) > MAX_ENCODED_LINE]
    found = []
    if long:
        found.append(
            Finding(
                "conformance", "error",
                f"{counted(len(long), f'{cte} line')} over {MAX_ENCODED_LINE} characters (first: line {long[0]} of the part; RFC 2045 6.7/6.8)",
                None, "encoded-line-length", where,
            )
        )  # fmt: skip
    if cte == "quoted-printable" and re.search(r"=(?![0-9A-Fa-f]{2}|\r?\n|$)", raw, re.MULTILINE):
        found.append(Finding("conformance", "error", "a quoted-printable escape is not '=' and two hex digits (RFC 2045 6.7)", None, "qp-escape", where))
    return found


# -- parser defects and headers ---------------------------------------------------


def _defect_findings(msg: EmailMessage) -> list[Finding]:
    found = []
    for part in msg.walk():
        where = part.get_content_type()
        for defect in part.defects:
            found.append(Finding("conformance", "error", f"the message structure is broken: {_defect_text(defect)}", None, "mime", where))
    return found


def _defect_text(defect: Exception) -> str:
    name = type(defect).__name__
    return f"{name}: {defect}" if str(defect) else name


def _header_findings(data: bytes, msg: EmailMessage, settings: Settings) -> list[Finding]:
    found = []
    for name in REQUIRED_ONCE:
        n = len(msg.get_all(name) or [])
        if n != 1:
            said = "is missing" if n == 0 else f"appears {n} times"
            found.append(Finding("conformance", "error", f"the {name} header {said} (RFC 5322 3.6: exactly one)", None, "required-header", name))
    found += _date_and_id(msg)
    head = data.split(b"\r\n\r\n", 1)[0]
    if not settings.smtputf8 and any(b > 0x7F for b in head):
        found.append(Finding("conformance", "error", "a header holds 8-bit bytes", "without SMTPUTF8, non-ASCII text in headers must be RFC 2047 encoded", "8bit-header"))
    for name, raw in _raw_headers(head):
        found += _encoded_word_findings(name, raw)
    for name, value in msg.items():
        for defect in getattr(value, "defects", ()):
            found.append(Finding("conformance", "error", f"the {name} header is malformed: {_defect_text(defect)}", None, "header-syntax", name))
    return found


def _date_and_id(msg: EmailMessage) -> list[Finding]:
    found = []
    date = msg.get("Date")
    if date is not None:
        try:
            parsedate_to_datetime(str(date))
        except (TypeError, ValueError):
            found.append(Finding("conformance", "error", f"the Date header {str(date)!r} is not an RFC 5322 date", None, "date", "Date"))
    message_id = msg.get("Message-ID")
    if message_id is not None and not _MESSAGE_ID.fullmatch(str(message_id).strip()):
        found.append(Finding("conformance", "error", f"the Message-ID {str(message_id)!r} is not <left@right>", None, "message-id", "Message-ID"))
    return found


def _raw_headers(head: bytes) -> list[tuple[str, str]]:
    """``(name, unfolded raw value)`` of every header field, as sent."""
    text = _WSP.sub(" ", head.decode("ascii", "replace"))
    return [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in text.split("\r\n") if line)]


def _encoded_word_findings(name: str, raw: str) -> list[Finding]:
    found = []
    words = list(_ENCODED_WORD.finditer(raw))
    spans = [m.span() for m in words]
    for loose in _LOOSE_ENCODED_WORD.finditer(raw):
        if not any(start <= loose.start() < end for start, end in spans):
            found.append(Finding("conformance", "error", f"the {name} header has a malformed encoded word {loose.group()[:40]!r} (RFC 2047)", None, "encoded-word", name))
    for match in words:
        problem = _encoded_word_problem(match)
        if problem:
            found.append(Finding("conformance", "error", f"the {name} header has an invalid encoded word {match.group()[:40]!r}: {problem} (RFC 2047)", None, "encoded-word", name))
    return found


def _encoded_word_problem(match: re.Match[str]) -> str | None:
    charset, encoding, text = match.group(1).split("*")[0], match.group(2).upper(), match.group(3)
    if len(match.group()) > 75:
        return f"{len(match.group())} characters long (at most 75)"
    try:
        codecs.lookup(charset)
    except LookupError:
        return f"unknown charset {charset!r}"
    if encoding == "B":
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return "its base64 text does not decode"
    elif encoding == "Q":
        if not _Q_TEXT.fullmatch(text):
            return "its Q text has characters that must be encoded"
        raw = binascii.a2b_qp(text.replace("_", " "), header=True)
    else:
        return f"unknown encoding {encoding!r} (B or Q)"
    try:
        raw.decode(charset)
    except UnicodeDecodeError:
        return f"its text is not valid {charset}"
    return None


# -- structure -------------------------------------------------------------------


def _structure_findings(msg: EmailMessage, sample: SampleMessage) -> list[Finding]:
    found: list[Finding] = []
    if msg.get_content_type() != "multipart/alternative":
        found.append(Finding("conformance", "error", f"the message is {msg.get_content_type()}, not multipart/alternative with a text and an HTML part", None, "structure"))
    kinds = [_kind(part) for part in msg.iter_parts()] if msg.is_multipart() else [_kind(msg)]
    if "text" not in kinds:
        found.append(Finding("conformance", "error", "the message has no plain-text part", "send the text part too: some readers and filters need it", "structure"))
    if "html" not in kinds:
        found.append(Finding("conformance", "error", "the message has no HTML part", None, "structure"))
    if "text" in kinds and "html" in kinds and kinds.index("text") > kinds.index("html"):
        found.append(Finding("conformance", "error", "the HTML part comes before the text part (mail programs show the last part they can)", None, "structure"))
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            found += _text_part_findings(part)
        if not part.is_multipart():
            found += _encoded_line_findings(part, part.get_content_type())
    for kind, body in (("text", sample.text), ("HTML", sample.html)):
        if body is not None and not body.strip():
            found.append(Finding("conformance", "error", f"the {kind} part is empty", None, "structure"))
    return found


def _kind(part: EmailMessage) -> str:
    ctype = part.get_content_type()
    if ctype == "text/plain":
        return "text"
    if ctype == "text/html" or (ctype == "multipart/related" and any(p.get_content_type() == "text/html" for p in part.iter_parts())):
        return "html"
    return ctype


def _text_part_findings(part: EmailMessage) -> list[Finding]:
    where = part.get_content_type()
    charset = part.get_content_charset()
    if charset is None:
        return [Finding("conformance", "error", "a text part declares no charset", "declare charset=utf-8", "charset", where)]
    try:
        (part.get_payload(decode=True) or b"").decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        return [Finding("conformance", "error", f"the part does not decode as {charset}: {exc}", None, "charset", where)]
    return []


# -- List-Unsubscribe and DKIM ---------------------------------------------------------


def _list_findings(msg: EmailMessage, leaves_machine: bool) -> list[Finding]:
    found: list[Finding] = []
    headers = msg.get_all("List-Unsubscribe") or []
    if len(headers) != 1:
        said = "is missing" if not headers else f"appears {len(headers)} times"
        return [Finding("conformance", "error", f"the List-Unsubscribe header {said}", "RFC 2369: exactly one", "list-unsubscribe", "List-Unsubscribe")]
    entries = _LIST_ENTRY.findall(str(headers[0]))
    https = [e for e in entries if e.lower().startswith("https://")]
    mailto = [e for e in entries if e.lower().startswith("mailto:")]
    other = [e for e in entries if e not in https and e not in mailto]
    link: Severity = "error" if leaves_machine else "warning"
    if len(https) != 1:
        said = "has no https:// URI" if not https else f"has {len(https)} https:// URIs"
        hint = "set public_url (LEADEX_PUBLIC_URL) to the https:// address of `leadex-mail serve`"
        if not leaves_machine:
            hint += "; the outbox sends nothing, so this only matters once mail goes out by SMTP"
        found.append(Finding("conformance", link, f"List-Unsubscribe {said} (RFC 8058 one-click needs exactly one)", hint, "list-unsubscribe", "List-Unsubscribe"))
    for entry in other:
        found.append(Finding("conformance", link, f"List-Unsubscribe holds {entry!r}: only one https:// URI and one mailto: belong there", None, "list-unsubscribe", "List-Unsubscribe"))
    if len(mailto) > 1:
        found.append(Finding("conformance", "error", f"List-Unsubscribe holds {len(mailto)} mailto: URIs (at most one)", None, "list-unsubscribe", "List-Unsubscribe"))
    posts = msg.get_all("List-Unsubscribe-Post") or []
    if [str(p).strip() for p in posts] != [ONE_CLICK]:
        said = repr([str(p) for p in posts]) if posts else "missing"
        found.append(Finding("conformance", "error", f"List-Unsubscribe-Post is {said}, not exactly {ONE_CLICK!r} (RFC 8058)", None, "list-unsubscribe-post", "List-Unsubscribe-Post"))
    return found


def _dkim_findings(data: bytes, msg: EmailMessage, settings: Settings) -> list[Finding]:
    signatures = msg.get_all("DKIM-Signature") or []
    if not settings.dkim_key_path:
        if settings.effective_transport == "smtp" and not signatures:
            return [Finding(
                "conformance", "notice",
                "not DKIM-signed by leadex-mail (dkim_key_path is not set): the relay must sign it; Gmail and Yahoo require DKIM from bulk senders",
                "set dkim_key_path and dkim_selector, or check that your relay signs", "dkim",
            )]  # fmt: skip
        return []
    if not signatures:
        return [Finding("conformance", "error", "DKIM signing is configured but the message has no DKIM-Signature", None, "dkim", "DKIM-Signature")]
    return _verify(data, signatures[0], settings)


def _verify(data: bytes, signature: object, settings: Settings) -> list[Finding]:
    import dkim

    from leadex_mail.delivery.dkim import dns_record

    assert settings.dkim_key_path is not None
    record = dns_record(settings.dkim_key_path)
    tags = {k.strip(): re.sub(r"\s+", "", v) for k, _, v in (t.partition("=") for t in str(signature).split(";"))}
    selector, domain = tags.get("s", ""), tags.get("d", "")

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{selector}._domainkey.{domain}.".encode() else None

    found = []
    try:
        ok = dkim.verify(data, dnsfunc=lookup)
    except dkim.DKIMException as exc:  # dkimpy raises for malformed signatures
        ok, why = False, str(exc)
    else:
        why = "the signed headers or the body changed after signing, or another key signed it"
    if not ok:
        found.append(Finding("conformance", "error", f"the DKIM signature does not verify: {why}", "receivers treat the message as unsigned", "dkim", "DKIM-Signature"))
    signed = {h.lower() for h in tags.get("h", "").split(":")}
    missing = [h for h in ("list-unsubscribe", "list-unsubscribe-post") if h not in signed]
    if missing:
        found.append(Finding("conformance", "error", f"the DKIM signature does not cover {', '.join(missing)} (RFC 8058 section 4)", None, "dkim", "DKIM-Signature"))
    return found
