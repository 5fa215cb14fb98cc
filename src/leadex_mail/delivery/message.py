"""Mail messages: built once per edition, filled in per recipient.

Building an ``EmailMessage`` per recipient costs ~5 ms for a 58 KB edition
(the header and body machinery of the standard library is pure Python), which
alone would cap sending at ~150 msg/s. So ``build_template`` serialises the
complete MIME message ONCE, as a list of byte pieces with *slots* between
them, and ``MessageTemplate.for_recipient`` only encodes the few
per-recipient values and joins the pieces (~0.1 ms).

Slots are the To, Date and Message-ID headers, the List-Unsubscribe header
and the body placeholders of ``render.result.PLACEHOLDERS`` in both parts.
Bodies are UTF-8 quoted-printable. Substitution stays valid QP because every
static body segment and every value is encoded on its own, starting at
column 0, and closed with a soft line break (``=`` CRLF), which a decoder
removes: the decoded text is exactly ``rendered.personalise(values)``, and no
line exceeds 76 octets whatever the values are (``qp.py``).

Each message is also handed to SMTP as ready bytes (``OutgoingMessage.wire``):
the static pieces are dot-stuffed once per edition and each value when it is
encoded (``delivery.wire``), so no per-message scan of the whole message
remains on the send path.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as _policy
from email.message import EmailMessage
from email.utils import format_datetime

from leadex_mail import links
from leadex_mail.config import Settings
from leadex_mail.content.model import Brand
from leadex_mail.delivery import wire as _wire
from leadex_mail.delivery.qp import qp, qp_segment, qp_value
from leadex_mail.delivery.headers import (
    HeaderValueError,
    check_header_value,
    folded_value,
    format_address,
    header_line,
    list_unsubscribe,
    phrase,
    unstructured,
)
from leadex_mail.errors import DeliveryError
from leadex_mail.render.result import PLACEHOLDERS, InlineImage, RenderedEdition

CRLF = b"\r\n"
_SMTP = _policy.SMTP  # CRLF line endings (bodies of one-off messages)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_PLACEHOLDER_RE = re.compile("|".join(re.escape(m) for m in PLACEHOLDERS.values()))
_KEY_BY_MARKER = {marker: key for key, marker in PLACEHOLDERS.items()}

# A slot is ("header", name) or (part, placeholder key) with part "text"/"html".
Slot = tuple[str, str]
Piece = bytes | Slot
Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Recipient:
    """Who one message is for: the subscriber's id and ``link_nonce`` (for signed links), address and name.

    ``link_nonce`` is the subscriber row's (read with the claim, no extra
    query): it binds every link in the message to that row.
    """

    subscriber_id: int
    email: str
    name: str | None = None
    link_nonce: str = field(kw_only=True)


@dataclass(frozen=True)
class OutgoingMessage:
    """One finished message: the bytes to hand to a transport and its envelope.

    ``message_id`` is the Message-ID header value, angle brackets included.
    ``wire`` is ``data`` as SMTP's DATA carries it (RFC 5321 4.5.2: every "."
    starting a line doubled, ending in CRLF; ``wire.dot_stuff(data)``).
    """

    data: bytes
    message_id: str
    envelope_from: str
    recipient: str
    wire: bytes = field(default=b"", repr=False)


@dataclass
class MessageTemplate:
    """One edition's complete message with per-recipient slots, serialised once."""

    slug: str
    language: str
    campaign_id: int
    settings: Settings
    envelope_from: str
    domain: str
    pieces: list[Piece]
    signer: Signer | None = field(default=None, repr=False)
    # The pieces dot-stuffed once (None when a piece would not start a line: then each message is stuffed whole).
    wire_pieces: list[Piece] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.wire_pieces = _wire.stuff_pieces(self.pieces)

    def return_path(self, delivery_id: int | None = None) -> str:
        """The envelope sender for one delivery: ``bounce_address+<token>`` with VERP, else the template's."""
        if self.settings.verp and self.settings.bounce_address and delivery_id is not None:
            from leadex_mail.verp import verp_address

            return verp_address(self.settings.bounce_address, delivery_id, self.settings.signing_key())
        return self.envelope_from

    def for_recipient(
        self,
        recipient: Recipient,
        *,
        now: datetime | None = None,
        message_id: str | None = None,
    ) -> OutgoingMessage:
        """The message for ``recipient``, with their signed links, Date and Message-ID.

        Pass the ``message_id`` stored for an earlier attempt to keep it on a
        retry (receivers then see a resend as the same message). DKIM signing,
        when configured, happens here because every recipient's body differs.
        """
        s, sid, cid, nonce = self.settings, recipient.subscriber_id, self.campaign_id, recipient.link_nonce
        unsubscribe = links.unsubscribe_url(s, sid, cid, nonce=nonce)
        values = {
            "name": recipient.name or "",
            "unsubscribe_url": unsubscribe,
            "preferences_url": links.preferences_url(s, sid, nonce=nonce),
            "view_url": links.view_url(s, sid, cid, self.language, nonce=nonce),
            "privacy_url": links.privacy_url(s, self.language),
        }
        return self.fill(
            to=format_address(recipient.name, recipient.email),
            recipient=recipient.email,
            values=values,
            unsubscribe_url=unsubscribe,
            now=now,
            message_id=message_id,
        )

    def fill(
        self,
        *,
        to: str,
        recipient: str,
        values: Mapping[str, str],
        unsubscribe_url: str,
        now: datetime | None = None,
        message_id: str | None = None,
    ) -> OutgoingMessage:
        """Fill explicit values into the slots (``for_recipient`` and previews use this).

        ``to`` is an already encoded address (see ``format_address``).
        """
        msgid = message_id or new_message_id(self.domain)
        headers = {
            "To": header_line("To", to),
            "Date": header_line("Date", format_datetime(now or datetime.now(UTC))),
            "Message-ID": header_line("Message-ID", msgid),
            "List-Unsubscribe": list_unsubscribe(unsubscribe_url, self.settings.unsubscribe_mailto),
        }
        filled: dict[Slot, bytes] = {("header", name): line for name, line in headers.items()}
        for key, value in values.items():
            filled[("text", key)] = qp_value(value, html=False)
            filled[("html", key)] = qp_value(value, html=True)
        # Slots without a value (a key the caller did not give) become empty, as in personalise().
        data = b"".join([p if p.__class__ is bytes else filled.get(p, b"") for p in self.pieces])  # type: ignore[misc]
        ready = self._wire(filled, data)
        if self.signer is not None:
            signed = self.signer(data)
            head = signed[: len(signed) - len(data)]
            # The signature header goes in front of the message as it was: stuffed on its own, it joins the ready bytes.
            ready = _wire.stuff(head) + ready if signed.endswith(data) and _wire.at_line_start(head) else _wire.dot_stuff(signed)
            data = signed
        return OutgoingMessage(data, msgid, self.envelope_from, recipient, ready)

    def _wire(self, filled: Mapping[Slot, bytes], data: bytes) -> bytes:
        """``wire.dot_stuff(data)``, from the pieces stuffed once and the values stuffed here."""
        if self.wire_pieces is None or not all(_wire.at_line_start(v) for v in filled.values()):
            return _wire.dot_stuff(data)  # a piece would start mid-line: stuff the whole message
        stuffed = {slot: _wire.stuff(value) for slot, value in filled.items()}
        ready = b"".join([p if p.__class__ is bytes else stuffed.get(p, b"") for p in self.wire_pieces])  # type: ignore[misc]
        return ready if ready[-2:] == CRLF else ready + CRLF


def build_template(
    rendered: RenderedEdition,
    settings: Settings,
    brand: Brand,
    *,
    campaign_id: int,
    test: bool = False,
    sign: bool = True,
) -> MessageTemplate:
    """Serialise ``rendered`` once into a ``MessageTemplate`` for a campaign.

    ``test`` prefixes the subject with ``[TEST] ``. With ``sign`` (default)
    and DKIM configured, every filled message is DKIM-signed. Raises
    ``ConfigError`` when no signing key for links (or a bad DKIM key) is set.
    """
    settings.signing_key()  # fail before the first recipient, not at it
    sender = sender_address(settings, brand)
    domain = _domain_of(sender)
    subject = ("[TEST] " if test else "") + rendered.subject
    header = _static_headers(settings, brand, sender, subject, rendered, campaign_id)
    pieces = _message_pieces(header, rendered)
    signer = None
    if sign and settings.dkim_key_path:
        from leadex_mail.delivery.dkim import make_signer

        signer = make_signer(settings, default_domain=domain)
    return MessageTemplate(rendered.slug, rendered.language, campaign_id, settings, return_path(settings, brand), domain, pieces, signer)


def build_preview(rendered: RenderedEdition, settings: Settings, brand: Brand) -> bytes:
    """A complete message to look at (``render``'s ``<lang>.eml``): no personal data, no secret needed.

    Its links lead to the public archive; it is never signed.
    """
    sender = sender_address(settings, brand)
    domain = _domain_of(sender)
    header = _static_headers(settings, brand, sender, rendered.subject, rendered, 0)
    template = MessageTemplate(rendered.slug, rendered.language, 0, settings, sender, domain, _message_pieces(header, rendered))
    base = links.base_url(settings)
    values = {
        "name": "",
        "view_url": links.archive_url(settings, rendered.slug, rendered.language),
        "unsubscribe_url": f"{base}/unsubscribe/preview",
        "preferences_url": f"{base}/preferences/preview",
        "privacy_url": links.privacy_url(settings, rendered.language),
    }
    return template.fill(
        to=format_address("Preview", "preview@example.org"),
        recipient="preview@example.org",
        values=values,
        unsubscribe_url=values["unsubscribe_url"],
    ).data


def build_transactional(
    settings: Settings,
    brand: Brand,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    now: datetime | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A one-off message (e.g. the double opt-in confirmation): no list headers.

    ``to`` is an address, optionally with a display name (``Name <a@b>``).
    ``attachments`` are ``(filename, "type/subtype", data)``, attached after
    the text (``multipart/mixed``, base64), e.g. a subscriber's data export.
    """
    sender = sender_address(settings, brand)
    msg = EmailMessage(policy=_SMTP)
    # set_raw with values folded here: the standard library's folder would
    # re-encode them, with the lost-space fault this project avoids (headers.py).
    msg.set_raw("From", folded_value("From", _sender(settings, brand, sender)))
    msg.set_raw("To", folded_value("To", _address_value("to", _clean(to))))
    reply_to = settings.reply_to or brand.reply_to
    if reply_to:
        msg.set_raw("Reply-To", folded_value("Reply-To", _address_value("reply_to", reply_to)))
    msg.set_raw("Subject", folded_value("Subject", unstructured(_clean(subject))))
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = new_message_id(_domain_of(sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: a machine answered a request
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, mime_type, data in attachments:
        maintype, subtype = mime_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=_SMTP)


# -- addresses and headers ---------------------------------------------------


def sender_address(settings: Settings, brand: Brand) -> str:
    """The From address: settings first, else the brand's."""
    return settings.from_address or brand.from_address


def return_path(settings: Settings, brand: Brand, delivery_id: int | None = None) -> str:
    """The envelope sender (RFC 5321 MAIL FROM), where bounces go.

    ``bounce_address`` when set, else the From address; with ``verp`` and a
    ``delivery_id``, ``local+<signed token>@domain`` naming that delivery.
    """
    if settings.bounce_address is None:
        return sender_address(settings, brand)
    if settings.verp and delivery_id is not None:
        from leadex_mail.verp import verp_address

        return verp_address(settings.bounce_address, delivery_id, settings.signing_key())
    return settings.bounce_address


def new_message_id(domain: str) -> str:
    """A fresh, globally unique Message-ID on ``domain``, angle brackets included."""
    return f"<{datetime.now(UTC):%Y%m%d%H%M%S}.{secrets.token_hex(8)}@{domain}>"


def _sender(settings: Settings, brand: Brand, sender: str) -> str:
    """The From value: the configured (else the brand's) name and the sender address."""
    return format_address(_checked("from_name", settings.from_name or brand.from_name), _checked("from_address", sender))


def _address_value(what: str, text: str) -> str:
    """One address as written in settings or the brand (``a@b`` or ``Name <a@b>``), encoded for a header.

    The name is everything before the last ``<``, quotes removed, so
    ``Novak, Ana <a@b>`` keeps its comma (it is one address, not a list).
    """
    text = _checked(what, text).strip()
    name, address = "", text
    if text.endswith(">") and "<" in text:
        name, _, address = text[:-1].rpartition("<")
        name = name.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = re.sub(r"\\(.)", r"\1", name[1:-1])
    if "@" not in address or re.search(r"[\s<>]", address):
        raise DeliveryError(f"{what} {text!r} is not an address", hint="write it as news@example.org or Name <news@example.org>")
    return format_address(name, address.strip()) if name else address.strip()


def _checked(what: str, value: str) -> str:
    """``value`` when it may reach a header; ``DeliveryError`` for a control character.

    Settings and brand files are checked when loaded (with file and line);
    this guards values that were built in code.
    """
    try:
        return check_header_value(what, value)
    except HeaderValueError as exc:
        raise DeliveryError(str(exc), hint=f"remove line breaks and control characters from {what}") from None


def _static_headers(
    settings: Settings, brand: Brand, sender: str, subject: str, rendered: RenderedEdition, campaign_id: int
) -> list[Piece]:
    """Every header of the message, static ones pre-encoded, per-recipient ones as slots."""
    if settings.unsubscribe_mailto:
        _checked("unsubscribe_mailto", settings.unsubscribe_mailto)
    pieces: list[Piece] = [header_line("From", _sender(settings, brand, sender)), ("header", "To")]
    reply_to = settings.reply_to or brand.reply_to
    if reply_to:
        pieces.append(header_line("Reply-To", _address_value("reply_to", reply_to)))
    pieces += [
        header_line("Subject", unstructured(_clean(subject))),
        ("header", "Date"),
        ("header", "Message-ID"),
        b"MIME-Version: 1.0\r\n",
        header_line("List-Id", list_id(settings, brand, sender)),
        ("header", "List-Unsubscribe"),
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
        f"Feedback-ID: {_ascii_name(rendered.slug)}:{rendered.language}:c{campaign_id}:leadex\r\n".encode("ascii"),
    ]
    return pieces


def list_id(settings: Settings, brand: Brand, sender: str) -> str:
    """The List-Id value: configured, else ``Brand <brand.from-domain>`` (RFC 2919)."""
    if settings.list_id:
        value = " ".join(_checked("list_id", settings.list_id).split())
        return value if "<" in value else f"<{value}>"
    label = re.sub(r"[^a-z0-9-]+", "-", brand.name.lower()).strip("-") or "newsletter"
    return f"{phrase(_clean(brand.name))} <{label}.{_domain_of(sender)}>".strip()


def _domain_of(address: str) -> str:
    if "@" not in address:
        raise DeliveryError(f"sender address {address!r} has no domain", hint="set from_address (LEADEX_FROM_ADDRESS) to a full address")
    return address.rsplit("@", 1)[1].strip(">").lower()


def _clean(text: str) -> str:
    """Control characters (CR/LF above all) never reach a header (the officer's text: checked when loaded)."""
    return _CONTROL.sub(" ", text)


# -- MIME structure and bodies -------------------------------------------------


def _message_pieces(headers: list[Piece], rendered: RenderedEdition) -> list[Piece]:
    """Headers plus ``multipart/alternative`` [text, html] or [text, related[html, images]]."""
    alt = _boundary()
    pieces: list[Piece] = list(headers)
    pieces.append(f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n'.encode("ascii"))
    pieces.append(f"--{alt}\r\n".encode("ascii"))
    pieces += _text_part("plain", "text", rendered.text)
    pieces.append(f"\r\n--{alt}\r\n".encode("ascii"))
    if rendered.inline_images:
        rel = _boundary()
        pieces.append(f'Content-Type: multipart/related; boundary="{rel}";\r\n type="text/html"\r\n\r\n--{rel}\r\n'.encode("ascii"))
        pieces += _text_part("html", "html", rendered.html)
        for image in rendered.inline_images:
            pieces.append(f"\r\n--{rel}\r\n".encode("ascii") + _image_part(image))
        pieces.append(f"\r\n--{rel}--\r\n".encode("ascii"))
    else:
        pieces += _text_part("html", "html", rendered.html)
    pieces.append(f"\r\n--{alt}--\r\n".encode("ascii"))
    return _merge(pieces)


def _boundary() -> str:
    # "=_" never occurs in quoted-printable or base64 output, so it cannot clash.
    return f"=_lx_{secrets.token_hex(12)}"


def _text_part(subtype: str, kind: str, body: str) -> list[Piece]:
    """A text part: headers, then QP segments with placeholder slots between them."""
    pieces: list[Piece] = [
        f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'.encode("ascii")
    ]
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    pos = 0
    for match in _PLACEHOLDER_RE.finditer(body):
        pieces.append(qp_segment(body[pos : match.start()]))
        pieces.append((kind, _KEY_BY_MARKER[match.group()]))
        pos = match.end()
    pieces.append(qp(body[pos:]))
    return pieces


def _image_part(image: InlineImage) -> bytes:
    """An inline image part, base64 in 76-column lines, referenced as ``cid:<cid>``."""
    encoded = base64.encodebytes(image.data).replace(b"\n", CRLF)
    head = (
        f"Content-Type: {image.mime_type}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: inline;\r\n filename="{_ascii_name(image.filename)[-64:]}"\r\n'
        f"Content-ID: <{image.cid}>\r\n\r\n"
    )
    return head.encode("ascii") + encoded.rstrip(CRLF)


def _ascii_name(filename: str) -> str:
    """A filename safe in a header parameter without RFC 2231 encoding."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", filename) or "image"


def _merge(pieces: Sequence[Piece]) -> list[Piece]:
    """Join neighbouring static pieces so a fill joins as few parts as possible."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] = merged[-1] + piece
        else:
            merged.append(piece)
    return merged
