"""The privacy notice at ``/privacy``, built from the settings and the brand file (GDPR Art. 13).

    notice = build_notice(settings, brand)
    notice.version        # "p-3fa9c2e1d07b": recorded with every consent
    notice.facts.relay    # "smtp.example.org"
    notice.content()      # what this version says, kept in the store

The facts (controller, data-protection officer, processors, retention
periods, supervisory authority) come from ``brand.privacy`` and the
settings; the wording from the web catalogs' ``privacy_*`` strings. The
version is a digest of both, in every language, so it changes whenever
anything the notice says changes, and nobody has to remember to bump it.
``serve`` builds the notice once at start and keeps each version it shows
in the store (``store/notices.py``) with what it said.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from leadex_mail.config import Settings
from leadex_mail.content.model import Brand
from leadex_mail.web.i18n import catalog, languages

PREFIX = "privacy_"  # every catalog string the notice shows starts with this
MISSING = ("controller", "address", "email", "authority")  # what `check` warns about when empty


@dataclass(frozen=True)
class NoticeFacts:
    """What the notice states, apart from its wording. Empty text: not stated in the brand file."""

    site: str
    controller: str
    address: str
    email: str
    dpo: str
    authority: str
    authority_url: str
    relay: str  # the SMTP host mail goes through; "" with the outbox transport (nothing leaves the machine)
    bounce_mailbox: str  # the IMAP host bounce reports are read from ("" when none is configured)
    processors: tuple[str, ...]
    pending_days: int
    confirm_days: int
    inactive_days: int
    delivery_days: int

    @property
    def missing(self) -> tuple[str, ...]:
        """The controller fields the brand file leaves empty."""
        return tuple(name for name in MISSING if not getattr(self, name))


@dataclass(frozen=True)
class PrivacyNotice:
    """One version of the notice: its facts and its version string."""

    facts: NoticeFacts
    version: str

    def content(self) -> dict[str, Any]:
        """What this version says: the facts and the notice's strings in every language (kept as evidence)."""
        return notice_content(self.facts)


def build_notice(settings: Settings, brand: Brand) -> PrivacyNotice:
    """The notice for this configuration and brand."""
    p = brand.privacy
    relay = (settings.smtp_host or "") if settings.effective_transport == "smtp" else ""
    facts = NoticeFacts(
        site=brand.name,
        controller=p.controller.strip(),
        address=p.address.strip(),
        email=p.email.strip(),
        dpo=p.dpo.strip(),
        authority=p.authority.strip(),
        authority_url=(p.authority_url or "").strip(),
        relay=relay,
        bounce_mailbox=settings.imap_host or "",
        processors=tuple(line.strip() for line in p.processors if line.strip()),
        pending_days=settings.pending_purge_days,
        confirm_days=settings.confirm_expiry_days,
        inactive_days=settings.unsubscribed_retention_days,
        delivery_days=settings.delivery_retention_days,
    )
    digest = hashlib.sha256(json.dumps(notice_content(facts), sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return PrivacyNotice(facts, f"p-{digest[:12]}")


def notice_content(facts: NoticeFacts) -> dict[str, Any]:
    """The facts plus every ``privacy_*`` string of every catalog: all a version says."""
    strings = {}
    for code in languages():
        cat = catalog(code)
        strings[code] = {key: cat.t(key) for key in sorted({*cat.strings, *cat.fallback}) if key.startswith(PREFIX)}
    return {"facts": {**asdict(facts), "processors": list(facts.processors)}, "strings": strings}
