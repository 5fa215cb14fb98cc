"""Removing people from the bounce mailbox's records: every report that names them, matched or not.

A report read from the bounce mailbox (``bounce_report``) can hold an
address in several places: the kept message itself (``raw``, for messages
not understood or matched to no delivery, e.g. the bounce of a sign-up
confirmation, which is no delivery), the evidence (the server's words,
"550 5.1.1 <ana@example.org>: user unknown"), and rarely its Message-ID or
source. Linking by ``subscriber_id`` finds only the matched ones, so the
erasure (``gdpr.erase``), the purge of unconfirmed sign-ups and retention
also look for the address itself, in every form a message may carry it:

- the bytes as they are, every header decoded (RFC 2047 encoded words),
  every part's body decoded (base64, quoted-printable, RFC 2045) and the
  messages attached to reports (``message/rfc822``, RFC 3464/5965);
- in any letter case, and with an internationalised domain written either
  as stored (``xn--``, IDNA) or in Unicode.

A report that arrives after the erasure (a late bounce, a complaint) is
checked the same way before it is stored (``names_erased``, by the keyed
hashes of the suppression list): it is recorded stripped, so the next
message from the bounce mailbox cannot undo the erasure.

A report that names someone keeps how it was classified (``REPORT_KEEP``:
the per-campaign counts of ``bounces report`` stay right) and loses
everything else: the message, the evidence, and a Message-ID or source that
holds the address. ``content_hash`` stays: a one-way digest of the bytes,
it keeps the same message from being read (and the address stored) again
when the mailbox still holds it.
"""

from __future__ import annotations

import email
import json
import re
from collections.abc import Collection, Iterable
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from sqlalchemy import Connection, select, update
from sqlmodel import Session

from leadex_mail.store.models import BounceReport, Event, Subscriber
from leadex_mail.store.suppression import address_hash, suppressed_hashes

_R = BounceReport.__table__  # type: ignore[attr-defined]
_S = Subscriber.__table__  # type: ignore[attr-defined]
_E = Event.__table__  # type: ignore[attr-defined]
# What a report keeps once it no longer may say whom it was about: how it was classified.
# ``removed`` says why the rest is gone (``erasure`` or ``retention``).
REPORT_KEEP = frozenset({"effect", "feedback_type", "format", "category", "removed"})
_READ_CHUNK = 500  # reports read per round: bounded memory on a mailbox of years
# Characters that make an address part of a longer one: "xana@example.org", "x.ana@", "x+ana@" and
# "ana@example.org.uk" are other addresses. Other atext ("'", "=") stands around addresses in text
# ("to='ana@…'"), so it counts as a boundary: erasure would rather strip a report too many.
_BEFORE = r"(?<![\w.+-])"
_AFTER = r"(?![\w-]|\.[\w-])"


def address_forms(address: str) -> set[str]:
    """The lower-case spellings of a stored (normalised) ``address``: as stored, and with its domain in Unicode."""
    local, _, domain = address.lower().rpartition("@")
    forms = {address.lower()}
    try:
        forms.add(f"{local}@{domain.encode('ascii').decode('idna')}")
    except (UnicodeError, ValueError):  # not an IDNA domain: the stored form is the only one
        pass
    return forms


def naming(addresses: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any of ``addresses`` (stored forms) in lower-cased text; None for none."""
    forms = sorted({f for a in addresses for f in address_forms(a)}, key=len, reverse=True)
    if not forms:
        return None
    return re.compile(_BEFORE + "(?:" + "|".join(re.escape(f) for f in forms) + ")" + _AFTER)


def message_text(raw: bytes) -> str:
    """Everything a person could read in the message ``raw``, lower-cased: bytes, decoded headers and bodies, attached messages.

    Never raises: a malformed part is read as far as it goes (the raw
    bytes are always part of the text).
    """
    chunks = [raw.decode("utf-8", "replace")]
    try:
        msg = email.message_from_bytes(raw)  # compat32: never raises on malformed MIME
        for part in msg.walk():
            chunks.extend(_headers(part))
            chunks.append(_body(part))
    except Exception:  # noqa: BLE001, S110 - the raw bytes above are searched whatever the MIME says
        pass
    return "\n".join(chunks).lower()


def _headers(part: Message) -> list[str]:
    out = []
    for _name, value in part.items():
        try:
            out.append(str(make_header(decode_header(str(value)))))
        except Exception:  # noqa: BLE001 - an undecodable encoded word: its raw form is in the bytes
            out.append(str(value))
    return out


def _body(part: Message) -> str:
    payload = part.get_payload(decode=True)  # base64 / quoted-printable undone; None for a container
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")


# An address as it stands in text (RFC 5322 dot-atom local part, any letters): a candidate to look up.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_ATEXT_EDGE = "!#$%&'*+/=?^`{|}~.-"


def addresses_in(text: str) -> set[str]:
    """Every address-like string in ``text``, lower-cased, with the domain as stored (IDNA); quotes and dots around it also without."""
    found: set[str] = set()
    for match in _ADDRESS.findall(text.lower()):
        for candidate in {match, match.lstrip(_ATEXT_EDGE)}:
            local, _, domain = candidate.rpartition("@")
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError:  # not a valid domain name: no stored address has it
                continue
            found.add(f"{local}@{domain}")
    return found


def any_erasure(conn: Connection) -> bool:
    """True once anyone was erased (every erasure leaves an ``erased`` event): only then can a report name someone erased."""
    return conn.execute(select(_E.c.id).where(_E.c.kind == "erased").limit(1)).first() is not None


def names_erased(conn: Connection, key: bytes, text: str) -> bool:
    """True when ``text`` names an erased address: suppressed, and no subscriber row has it any more.

    What a report arriving after an erasure (a late bounce, a complaint)
    is checked with before it is stored: the erasure must not be undone by
    the next message from the bounce mailbox. Only keyed hashes are
    compared; the erased address itself is nowhere to compare with.
    """
    candidates = addresses_in(text)
    if not candidates:
        return False
    hashed = {address_hash(key, a): a for a in candidates}
    suppressed = [hashed[h] for h in suppressed_hashes(conn, list(hashed))]
    if not suppressed:
        return False
    live = set(conn.execute(select(_S.c.email).where(_S.c.email.in_(suppressed))).scalars())
    return any(a not in live for a in suppressed)


def keep_classification(evidence: dict[str, Any] | None, why: str) -> dict[str, Any]:
    """``evidence`` reduced to how the report was classified, marked with why the rest was removed."""
    kept = {k: v for k, v in (evidence or {}).items() if k in REPORT_KEEP}
    return {**kept, "removed": why}


def scrub_reports(
    session: Session,
    addresses: Collection[str],
    subscriber_ids: Collection[int] = (),
    *,
    why: str = "erasure",
    apply: bool = True,
    received_since: datetime | None = None,
) -> int:
    """In the caller's transaction, strip every report about ``subscriber_ids`` or naming one of ``addresses``; return how many.

    ``addresses`` are stored (normalised) forms. A report matched to someone
    else keeps that link; one about these subscribers loses it. With
    ``apply=False`` only count (a dry run); ``received_since`` looks only at
    reports received then or later.
    """
    if not addresses and not subscriber_ids:
        return 0
    pattern = naming(addresses)
    ids = set(subscriber_ids)
    todo: list[tuple[int, dict[str, Any]]] = []
    last = 0
    while True:
        query = select(_R.c.id, _R.c.subscriber_id, _R.c.evidence, _R.c.raw, _R.c.message_id, _R.c.source).where(_R.c.id > last)
        if received_since is not None:
            query = query.where(_R.c.received_at >= received_since)
        rows = session.execute(query.order_by(_R.c.id).limit(_READ_CHUNK)).all()
        if not rows:
            break
        last = rows[-1].id
        todo.extend((row.id, _scrubbed(row, pattern, ids, why)) for row in rows if row.subscriber_id in ids or _names(row, pattern))
    if apply:
        for report_id, values in todo:
            session.execute(update(_R).where(_R.c.id == report_id).values(**values))
    return len(todo)


def _names(row: Any, pattern: re.Pattern[str] | None) -> bool:
    """True when the report ``row`` holds one of the addresses anywhere."""
    if pattern is None:
        return False
    texts = [json.dumps(row.evidence or {}, ensure_ascii=False).lower(), (row.message_id or "").lower(), (row.source or "").lower()]
    if row.raw is not None:
        texts.append(message_text(bytes(row.raw)))
    return any(pattern.search(text) for text in texts)


def _scrubbed(row: Any, pattern: re.Pattern[str] | None, ids: set[int], why: str) -> dict[str, Any]:
    """The new values of a report that names someone: no message, classification only, no address left."""
    values: dict[str, Any] = {"raw": None, "evidence": keep_classification(row.evidence, why)}
    if row.subscriber_id in ids:
        values["subscriber_id"] = None
    if pattern is not None and row.message_id and pattern.search(row.message_id.lower()):
        values["message_id"] = None
    if pattern is not None and row.source and pattern.search(row.source.lower()):
        values["source"] = f"(removed: {why})"
    return values

