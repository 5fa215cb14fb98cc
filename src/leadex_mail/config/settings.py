"""The typed settings object: every setting of leadex-mail with its default, and secrets masked for display.

``Settings`` is built and validated by ``config.load_settings`` (``config/loading.py``);
everything else reads it. ``redact_url`` and ``url_password`` find the passwords a
database URL may carry, for display, errors and the refusal to keep them in a file.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from leadex_mail.errors import ConfigError

SECRETS = frozenset({"smtp_password", "secret_key", "previous_secret_keys", "imap_password"})
# Used only with the outbox transport, where nothing leaves the machine.
DEV_SECRET_KEY = "leadex-dev-insecure-key-outbox-only"

Transport = Literal["outbox", "smtp"]
Security = Literal["starttls", "tls", "none"]
UncertainPolicy = Literal["resend", "hold"]


@dataclass(frozen=True)
class Settings:
    """Every setting of leadex-mail, with its default."""

    # store
    database_url: str = "sqlite:///subscribers.db"
    # content
    newsletters_dir: Path = Path("newsletters")
    default_language: str = "sl"
    # public web (unsubscribe, view in browser, archive, images)
    public_url: str | None = None
    images_url: str | None = None
    # transport
    transport: Transport | None = None  # None: smtp when smtp_host is set, else outbox
    outbox_dir: Path = Path("outbox")
    smtp_host: str | None = None
    smtp_port: int | None = None  # None: 587 starttls, 465 tls, 25 none
    smtp_security: Security = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    smtp_max_per_connection: int = 100
    smtp_allow_insecure: bool = False  # security "none" beyond loopback
    smtp_helo_name: str | None = None  # EHLO name; None: the machine's host name
    smtp_dsn: bool = True  # request NOTIFY=FAILURE and ENVID (RFC 3461) where the relay offers DSN
    smtp_ca_file: Path | None = None  # CA certificates (PEM) to trust for the relay instead of the system's (a private CA)
    # sender identity (None: taken from the brand file)
    from_name: str | None = None
    from_address: str | None = None
    reply_to: str | None = None
    list_id: str | None = None
    unsubscribe_mailto: str | None = None
    # DKIM
    dkim_key_path: Path | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    # sending policy
    send_rate: str | None = None  # e.g. "600/min", "5000/h"
    send_concurrency: int = 2
    send_max_attempts: int = 5
    send_backoff_seconds: float = 60.0
    send_pause_after_failures: int = 10
    send_pause_after_bounces: int = 10  # identical hard bounces in a row that pause before anyone is suppressed; 0: never
    send_lease_seconds: int = 300
    send_uncertain: UncertainPolicy = "resend"  # no reply after the whole message went out: resend (marked uncertain) or hold
    test_recipients: tuple[str, ...] = ()
    # pre-send checks (`check --deep`, `send`)
    send_deep_check: bool = True  # `send` runs the deep checks first; --deep/--no-deep override
    chromium_path: Path | None = None  # None: `chromium` on PATH, else /usr/bin/chromium
    timezone: str | None = None  # IANA zone of times typed at the CLI (send --at), e.g. "Europe/Ljubljana"; unset: this machine's
    # secrets: environment only
    secret_key: str | None = None
    previous_secret_keys: tuple[str, ...] = ()  # verify links only (key rotation), never sign
    # subscribers
    smtputf8: bool = False
    consent_version: str = "2026-04"
    confirm_expiry_days: int = 7
    confirm_max_attempts: int = 10  # tries per confirmation mail before it is marked failed
    confirm_backoff_seconds: float = 60.0  # first retry delay; doubles each time, at most an hour
    pending_purge_days: int = 30
    # retention (`leadex-mail maintenance`, docs/privacy.md)
    unsubscribed_retention_days: int = 365  # unsubscribed/bounced/complained: then erased, suppression hash kept
    delivery_retention_days: int = 365  # after a campaign is done: its deliveries anonymised, counts kept
    # web
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # return path: the envelope sender bounces go to (None: from_address); VERP: bounces+<token>@domain per delivery
    bounce_address: str | None = None
    verp: bool = False
    # bounce mailbox (bounces import / fetch): soft bounces suppress after N within M days
    bounce_soft_limit: int = 3
    bounce_soft_days: int = 30
    imap_host: str | None = None
    imap_port: int = 993  # IMAP over TLS (RFC 8314); there is no plain-text mode
    imap_user: str | None = None
    imap_password: str | None = None  # secret: LEADEX_IMAP_PASSWORD only
    imap_mailbox: str = "INBOX"
    imap_processed_folder: str = "leadex-processed"
    imap_ca_file: Path | None = None  # a CA bundle to trust instead of the system's (a private CA)
    # tests and trials on one machine only: SMTP sends and `serve` accept an
    # http:// or loopback public_url (see preflight.py)
    allow_insecure_links: bool = False
    # where each value came from: "default", a file path, "env LEADEX_X" or "flag"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def effective_transport(self) -> Transport:
        """The transport in use: explicit, else smtp when a host is configured, else outbox."""
        if self.transport:
            return self.transport
        return "smtp" if self.smtp_host else "outbox"

    @property
    def effective_smtp_port(self) -> int:
        """The SMTP port, defaulting by security mode."""
        if self.smtp_port:
            return self.smtp_port
        return {"starttls": 587, "tls": 465, "none": 25}[self.smtp_security]

    def signing_key(self) -> bytes:
        """The HMAC key for tokens.

        With the outbox transport a fixed development key is allowed so the
        embedded demo works with no set-up; anything that reaches real people
        needs ``LEADEX_SECRET_KEY``.
        """
        if self.secret_key:
            return self.secret_key.encode()
        if self.effective_transport == "outbox":
            return DEV_SECRET_KEY.encode()
        raise ConfigError(
            "no secret key is configured for signing unsubscribe and view links",
            hint="set LEADEX_SECRET_KEY in the environment (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
        )

    def verification_keys(self) -> tuple[bytes, ...]:
        """The keys a link's signature may be made with: ``signing_key()`` first, then ``previous_secret_keys``.

        After a key change, links in mail already sent were signed with an
        older key; listing it in ``LEADEX_PREVIOUS_SECRET_KEYS`` keeps them
        working while every new link is signed with the current key.
        """
        current = self.signing_key()
        older = (key.encode() for key in self.previous_secret_keys)
        return (current, *dict.fromkeys(key for key in older if key != current))

    def masked(self) -> dict[str, tuple[Any, str]]:
        """Every setting as ``name -> (value, source)``, secrets masked."""
        out: dict[str, tuple[Any, str]] = {}
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if f.name in SECRETS and value:
                value = "********"
            elif f.name == "database_url":
                value = redact_url(value)
            out[f.name] = (value, self.sources.get(f.name, "default"))
        return out


def _userinfo(url: str) -> tuple[str, str, str | None] | None:
    """``(text up to the user name, host and the rest, password)`` of a URL with ``user:password@``.

    Lenient on purpose (it also masks URLs that are not valid): the
    user-info is what stands between ``//`` and the last ``@`` before the
    next ``/``, ``?`` or ``#``.
    """
    start = url.find("//") + 2 if "//" in url else 0
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if found != -1:
            end = min(end, found)
    at = url.rfind("@", start, end)
    if at == -1 or ":" not in url[start:at]:
        return None
    user, password = url[start:at].split(":", 1)
    return url[:start] + user, url[at + 1 :], password or None


# Query parameters that carry a password (libpq and psycopg accept ``?password=``, ``?sslpassword=``).
_QUERY_SECRET = re.compile(r"([?&][^=&#]*password[^=&#]*=)([^&#]*)", re.IGNORECASE)


def url_password(url: str) -> str | None:
    """The password written in ``url``: in its user-info (``scheme://user:password@host``) or its query (``?password=``)."""
    parts = _userinfo(url)
    if parts and parts[2]:
        return parts[2]
    found = _QUERY_SECRET.search(url)
    return found.group(2) or None if found else None


def redact_url(url: str) -> str:
    """``url`` with every password replaced by ``***`` (for display and errors).

    The user-info's password up to the *last* ``@`` before the host (an
    unencoded ``@`` in a password stays hidden), and the value of every
    query parameter named like a password (``password``, ``sslpassword``).
    """
    parts = _userinfo(url)
    if parts is not None and parts[2] is not None:
        url = f"{parts[0]}:***@{parts[1]}"
    return _QUERY_SECRET.sub(lambda m: m.group(1) + ("***" if m.group(2) else ""), url)

