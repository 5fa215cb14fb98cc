"""The sample message of an edition: the exact bytes ``send`` would send, for a sample recipient.

Built by ``delivery.message.build_template`` and ``MessageTemplate.for_recipient``
— the calls the campaign engine makes — so its headers, MIME structure,
quoted-printable bodies, signed links and DKIM signature are those of a
real delivery. Only the recipient is made up: a name with non-ASCII letters
(so the To header needs RFC 2047 encoded words) and the largest ids a store
will reach for years (so links are as long as they get).

Without ``LEADEX_SECRET_KEY`` (and with mail leaving the machine, where
``send`` would refuse for that reason alone) the links are signed with a
stand-in key: same length, so every measurement still holds; the report
says so.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from leadex_mail.config import Settings
from leadex_mail.content.loader import issue_edition_path
from leadex_mail.content.model import Issue
from leadex_mail.delivery.message import Recipient, build_template
from leadex_mail.errors import ConfigError
from leadex_mail.gates.findings import Finding
from leadex_mail.render.pipeline import render_edition
from leadex_mail.render.result import RenderedEdition

SAMPLE_NAME = "Špela Novak-Žagar"
SAMPLE_EMAIL = "spela.novak@example.org"
SAMPLE_SUBSCRIBER_ID = 9_999_999
SAMPLE_CAMPAIGN_ID = 99_999
_STAND_IN_KEY = "leadex-deep-check-stand-in-key-not-for-sending"


@dataclass(frozen=True)
class SampleMessage:
    """One edition's message as sent, and what a browser needs to show its HTML.

    ``html`` and ``text`` are the decoded bodies of the two parts (None when
    a part is missing); ``resources`` maps each image reference in the HTML
    (``cid:…`` for embedded images, the published URL with ``images_url``)
    to ``(media type, bytes)``, so a browser can show the images offline.
    """

    language: str
    file: str
    data: bytes
    html: str | None
    text: str | None
    resources: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    def parsed(self) -> EmailMessage:
        """The message parsed back by the standard library."""
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


def sample_recipient() -> str:
    """How the sample recipient is named in reports."""
    return f"{SAMPLE_NAME} <{SAMPLE_EMAIL}>"


def build_sample(issue: Issue, language: str, settings: Settings, rendered: RenderedEdition | None = None) -> SampleMessage:
    """Build ``language``'s message of ``issue`` for the sample recipient, as ``send`` would.

    Raises ``RenderError`` when the edition does not render. A DKIM key that
    cannot be used becomes a finding (the rest of the message is still checked).
    """
    rendered = rendered or render_edition(issue, language, settings)
    findings: list[Finding] = []
    settings = _with_signing_key(settings, findings)
    try:
        template = build_template(rendered, settings, issue.brand, campaign_id=SAMPLE_CAMPAIGN_ID)
    except ConfigError as err:  # only DKIM can fail here: the signing key is settled above
        findings.append(Finding("conformance", "error", f"the message cannot be DKIM-signed: {err.message}", err.hint, "dkim"))
        template = build_template(rendered, settings, issue.brand, campaign_id=SAMPLE_CAMPAIGN_ID, sign=False)
    recipient = Recipient(SAMPLE_SUBSCRIBER_ID, SAMPLE_EMAIL, SAMPLE_NAME, link_nonce=secrets.token_urlsafe(8))
    data = template.for_recipient(recipient).data
    return from_bytes(data, language, str(issue_edition_path(issue, language)), _published_images(issue, rendered, settings), tuple(findings))


def from_bytes(
    data: bytes, language: str, file: str, published: dict[str, tuple[str, bytes]] | None = None, findings: tuple[Finding, ...] = ()
) -> SampleMessage:
    """A ``SampleMessage`` of any message bytes (the tests plant defects this way).

    ``published`` adds resources referenced by URL (``images_url``).
    """
    msg: EmailMessage = message_from_bytes(data, policy=policy.default)  # type: ignore[assignment]
    html = _body(msg, "html")
    text = _body(msg, "plain")
    resources = dict(published or {})
    for part in msg.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            resources[f"cid:{str(cid).strip().strip('<>')}"] = (part.get_content_type(), part.get_payload(decode=True) or b"")
    return SampleMessage(language, file, data, html, text, resources, findings)


def _body(msg: EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    try:
        return part.get_content()
    except (LookupError, ValueError):  # unknown charset, broken encoding: conformance says so
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _with_signing_key(settings: Settings, findings: list[Finding]) -> Settings:
    try:
        settings.signing_key()
    except ConfigError as err:
        findings.append(Finding("setup", "notice", f"links signed with a stand-in key: {err.message}", err.hint, "secret_key"))
        return dataclasses.replace(settings, secret_key=_STAND_IN_KEY)
    return settings


def _published_images(issue: Issue, rendered: RenderedEdition, settings: Settings) -> dict[str, tuple[str, bytes]]:
    """With ``images_url``, the processed images under the URLs the HTML names (rendered locally, never fetched)."""
    if not settings.images_url or rendered.inline_images:
        return {}
    embedded = render_edition(issue, rendered.language, dataclasses.replace(settings, images_url=None))
    base = f"{settings.images_url.rstrip('/')}/{issue.slug}/"
    return {base + image.filename: (image.mime_type, image.data) for image in embedded.inline_images}
