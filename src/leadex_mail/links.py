"""The public URLs in every mail and web page, built in one place.

Per-recipient links carry signed tokens (ids, never the address): the
subscriber id ``s`` and the row's random ``link_nonce`` as ``n``, so a link
made for one row never acts on another that has (or gets) the same id
(``store/identity.py``). The web app serves these paths; the delivery layer
puts them in messages.

    /unsubscribe/<token>   GET: a page with one button; POST: unsubscribe
                           (also the RFC 8058 one-click endpoint)
    /preferences/<token>   language and lists
    /confirm/<token>       double opt-in confirmation (expires)
    /view/<token>          "view in browser": the campaign's web version
    /erase/<token>         confirms a "delete my data" request (mailed; expires)
    /privacy?lang=<lang>   the privacy notice, no personal data
    /archive/, /archive/<slug>/<lang>   public archive, no personal data
"""

from __future__ import annotations

from datetime import datetime

from leadex_mail.config import Settings
from leadex_mail.tokens import sign

LOCAL_PUBLIC_URL = "http://127.0.0.1:8000"


def base_url(settings: Settings) -> str:
    """The public base URL without a trailing slash (local ``serve`` when unset)."""
    return (settings.public_url or LOCAL_PUBLIC_URL).rstrip("/")


def unsubscribe_url(settings: Settings, subscriber_id: int, campaign_id: int, *, nonce: str) -> str:
    """One-click unsubscribe link; ``campaign_id`` 0 for mail outside campaigns, ``nonce`` the row's ``link_nonce``."""
    token = sign("unsubscribe", {"s": subscriber_id, "c": campaign_id, "n": nonce}, settings.signing_key())
    return f"{base_url(settings)}/unsubscribe/{token}"


def preferences_url(settings: Settings, subscriber_id: int, *, nonce: str) -> str:
    """Link to the subscriber's preferences (language, lists)."""
    token = sign("preferences", {"s": subscriber_id, "n": nonce}, settings.signing_key())
    return f"{base_url(settings)}/preferences/{token}"


def view_url(settings: Settings, subscriber_id: int, campaign_id: int, language: str, *, nonce: str) -> str:
    """"View in browser" link for one recipient of one campaign."""
    token = sign("view", {"s": subscriber_id, "c": campaign_id, "l": language, "n": nonce}, settings.signing_key())
    return f"{base_url(settings)}/view/{token}"


def confirm_url(settings: Settings, subscriber_id: int, expires_at: datetime, *, nonce: str) -> str:
    """Double opt-in confirmation link, valid until ``expires_at``."""
    token = sign("confirm", {"s": subscriber_id, "n": nonce}, settings.signing_key(), expires_at=expires_at)
    return f"{base_url(settings)}/confirm/{token}"


def archive_url(settings: Settings, slug: str, language: str) -> str:
    """Public web version of an issue edition."""
    return f"{base_url(settings)}/archive/{slug}/{language}"


def erase_url(settings: Settings, subscriber_id: int, expires_at: datetime, *, nonce: str, language: str) -> str:
    """The mailed link that confirms a "delete my data" request, valid until ``expires_at``.

    ``language`` is the mail's: the page after the erasure speaks it, when no row is left to ask.
    """
    token = sign("erase", {"s": subscriber_id, "n": nonce, "l": language}, settings.signing_key(), expires_at=expires_at)
    return f"{base_url(settings)}/erase/{token}"


def privacy_url(settings: Settings, language: str | None = None) -> str:
    """The privacy notice, in ``language`` when given (the page falls back to the visitor's)."""
    return f"{base_url(settings)}/privacy" + (f"?lang={language}" if language else "")
