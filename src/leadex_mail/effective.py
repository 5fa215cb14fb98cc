"""What every setting will actually be, and where that comes from (``config show``).

A setting left unset is not blank in effect: the public URL falls back to
the local web app, the transport follows ``smtp_host``, the sender comes
from ``brand.yaml``, the secret key is the development key for the outbox.
``effective_settings`` says so, secrets masked, and ``readiness`` adds what
the pre-flight checks (``preflight.py``) would say about sending and serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadex_mail import preflight
from leadex_mail.config import DEV_SECRET_KEY, Settings
from leadex_mail.links import LOCAL_PUBLIC_URL


@dataclass(frozen=True)
class Shown:
    """One line of ``config show``: the setting, its effective value as text, and its source."""

    name: str
    value: str
    source: str


def effective_settings(settings: Settings) -> list[Shown]:
    """Every setting with its effective value (secrets masked, the database password hidden)."""
    brand = _brand(settings)
    out = []
    for name, (value, source) in settings.masked().items():
        shown, derived = _effective(settings, name, value, brand)
        out.append(Shown(name, shown, derived or source))
    return out


def readiness(settings: Settings) -> list[tuple[str, list[preflight.Finding]]]:
    """(action, what stops it) for ``send`` over SMTP and for ``serve`` as configured; no findings: ready."""
    return [
        ("send over SMTP", preflight.smtp_findings(settings)),
        (f"serve on {settings.web_host}", preflight.serving_findings(settings, settings.web_host)),
    ]


def _effective(settings: Settings, name: str, value: Any, brand: tuple[Any, str] | None) -> tuple[str, str | None]:
    """(value as shown, a source that replaces the recorded one or None)."""
    if value is not None and value != ():
        if name == "secret_key":
            return _key_state(settings), None
        return (", ".join(value) if isinstance(value, tuple) else str(value)), None
    if name == "transport":
        why = "smtp_host is set" if settings.smtp_host else "no smtp_host"
        return settings.effective_transport, f"derived: {why}"
    if name == "public_url":
        return f"{LOCAL_PUBLIC_URL} (not set: links work on this machine only)", None
    if name == "secret_key":
        if settings.effective_transport == "outbox":
            return "(development key: outbox only)", None
        return "(not set: required for SMTP)", None
    if name == "smtp_port":
        return f"{settings.effective_smtp_port} (for {settings.smtp_security})", "derived"
    if name in ("from_name", "from_address", "reply_to", "list_id") and brand is not None:
        return _from_brand(settings, name, *brand)
    return _unset_meaning(name), None


def _key_state(settings: Settings) -> str:
    key = settings.secret_key or ""
    if key == DEV_SECRET_KEY:
        return "******** (the published development key: outbox only)"
    if len(key) < preflight.MIN_SECRET_KEY_LENGTH:
        return f"******** (too short for SMTP: {len(key)} < {preflight.MIN_SECRET_KEY_LENGTH} characters)"
    return "********"


_UNSET = {
    "images_url": "(not set: images are embedded in each mail)",
    "smtp_host": "(not set)",
    "smtp_user": "(not set: no SMTP login)",
    "smtp_password": "(not set)",
    "unsubscribe_mailto": "(not set: List-Unsubscribe has the https link only)",
    "dkim_key_path": "(not set: mail is not DKIM-signed)",
    "dkim_selector": "(not set)",
    "dkim_domain": "(the sender's domain)",
    "send_rate": "unlimited",
    "test_recipients": "(none: send-test needs --to)",
    "bounce_address": "(the sender address: from_address)",
    "smtp_helo_name": "(this machine's host name)",
    "imap_host": "(not set: `bounces fetch` needs it)",
    "imap_ca_file": "(the system's CA certificates)",
    "smtp_ca_file": "(the system's CA certificates)",
}


def _unset_meaning(name: str) -> str:
    return _UNSET.get(name, "(not set)")


def _brand(settings: Settings) -> tuple[Any, str] | None:
    """(brand, where it came from), or None when the brand file has errors (``check`` reports them)."""
    from leadex_mail.content.loader import BRAND_FILE, load_brand
    from leadex_mail.errors import LeadexError

    path = settings.newsletters_dir / BRAND_FILE
    try:
        brand = load_brand(settings)
    except LeadexError:
        return None
    return brand, (f"brand {path}" if path.is_file() else "brand defaults (no brand.yaml)")


def _from_brand(settings: Settings, name: str, brand: Any, source: str) -> tuple[str, str]:
    if name == "list_id":
        from leadex_mail.delivery.message import list_id, sender_address
        from leadex_mail.errors import LeadexError

        try:
            return list_id(settings, brand, sender_address(settings, brand)), f"derived from the sender ({source})"
        except LeadexError as err:
            return f"(cannot be derived: {err.message})", source
    value = getattr(brand, name)
    return (str(value) if value else "(not set)"), source
