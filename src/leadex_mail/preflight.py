"""Pre-flight: what must hold before mail reaches real people or the web app faces them.

Every campaign mail carries links (one-click unsubscribe, preferences, view
in browser) that must work for every recipient, wherever they read it:

- ``public_url`` must be set, ``https://`` (RFC 8058 3.1: the one-click
  URI MUST be HTTPS, and receivers such as Gmail ignore it otherwise) and on
  a host that is not this machine (``127.0.0.1`` links work for nobody else);
- the links must be signed with a key only this operator knows: the
  development key is published in the source, and a short key can be
  guessed offline from any one link, after which anyone can unsubscribe or
  confirm anyone. The same holds for every key in ``previous_secret_keys``:
  they only verify, but a link they accept acts on a person all the same.

    check_sending(settings)          ``send`` and ``send-test`` over SMTP
    check_serving(settings, host)    ``serve`` reachable by others, or sending mail

The outbox transport writes files and sends nothing, and ``serve`` on
loopback with the outbox transport and no public URL is a local preview:
both keep working with the defaults. ``allow_insecure_links`` (tests and
trials on one machine) lets the public URL be ``http://`` or loopback; it
never relaxes the key.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

from leadex_mail.config import DEV_SECRET_KEY, Settings
from leadex_mail.errors import ConfigError

MIN_SECRET_KEY_LENGTH = 32
KEY_HINT = "set LEADEX_SECRET_KEY to a new random value, e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"


@dataclass(frozen=True)
class Finding:
    """One setting that stops real sending or serving: which, why, and what to do."""

    setting: str
    problem: str
    hint: str


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (no DNS lookup); ``0.0.0.0`` listens everywhere: False."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost") or name == "localhost.localdomain":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _names_this_machine(host: str) -> bool:
    """True when a URL's host can only mean the machine reading it (loopback, or 0.0.0.0 / ::)."""
    try:
        unspecified = ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        unspecified = False
    return is_loopback(host) or unspecified


def link_findings(settings: Settings) -> list[Finding]:
    """What is wrong with ``public_url`` for links that every recipient can use (empty: nothing)."""
    if settings.allow_insecure_links:
        return []
    url = settings.public_url
    if not url:
        return [Finding(
            "public_url", "public_url is not set: every link in the mail would point at http://127.0.0.1:8000 (this machine), "
            "so no recipient could unsubscribe with one click",
            "set public_url (LEADEX_PUBLIC_URL) to the https:// address where `leadex-mail serve` is reachable, e.g. https://news.example.org",
        )]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        return [Finding(
            "public_url", f"public_url {url!r} is not https://: RFC 8058 requires HTTPS for one-click unsubscribe, and mail providers ignore an http:// one",
            "serve the subscriber pages over HTTPS (a reverse proxy with a certificate) and set public_url to that https:// address",
        )]
    if _names_this_machine(parts.hostname or ""):
        return [Finding(
            "public_url", f"public_url {url!r} points at this machine: no recipient could open its links or unsubscribe with one click",
            "set public_url to the public https:// address of the subscriber pages",
        )]
    return []


def key_findings(settings: Settings) -> list[Finding]:
    """What is wrong with ``secret_key`` and ``previous_secret_keys`` for links nobody else can forge (empty: nothing).

    A previous key still verifies links, so it must be as strong as the
    current one: a link it accepts acts on a person just the same.
    """
    findings: list[Finding] = []
    key = settings.secret_key
    if not key:
        why = "secret_key is not set: links would be signed with the development key, which is published"
    else:
        why = _weak_key("secret_key", key)
    if why:
        findings.append(Finding("secret_key", why + _LINKS_ACT, KEY_HINT))
    for n, old in enumerate(settings.previous_secret_keys, 1):
        weak = _weak_key(f"previous_secret_keys (key {n} of {len(settings.previous_secret_keys)})", old)
        if weak:
            findings.append(Finding("previous_secret_keys", weak + _LINKS_ACT, PREVIOUS_KEY_HINT))
    return findings


_LINKS_ACT = " (unsubscribe and confirmation links must act only for the person they were sent to)"
PREVIOUS_KEY_HINT = (
    "remove that key from LEADEX_PREVIOUS_SECRET_KEYS: links signed with it then stop working, and their recipients "
    "unsubscribe from a newer mail or through the List-Unsubscribe mailto address (docs/configuration.md, 'Changing the secret key')"
)


def _weak_key(name: str, key: str) -> str | None:
    """Why ``key`` cannot protect links, or None."""
    if key == DEV_SECRET_KEY:
        return f"{name} is the published development key: anyone could forge unsubscribe and confirmation links"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"{name} has {len(key)} characters; fewer than {MIN_SECRET_KEY_LENGTH} can be guessed from one link"
    return None


def sending_findings(settings: Settings) -> list[Finding]:
    """Everything that stops a send over SMTP (empty for the outbox transport)."""
    if settings.effective_transport != "smtp":
        return []
    return link_findings(settings) + key_findings(settings)


def serving_findings(settings: Settings, host: str) -> list[Finding]:
    """Everything that stops ``serve`` on ``host`` (empty for a local preview)."""
    if not serves_the_public(settings, host):
        return []
    return link_findings(settings) + key_findings(settings)


def serves_the_public(settings: Settings, host: str) -> bool:
    """True when the web app is reachable by others or sends mail to them.

    That is: it listens beyond loopback, a public URL names a host other
    than this one (a reverse proxy forwards to it), or sign-ups get their
    confirmation mail over SMTP.
    """
    public_host = urllib.parse.urlsplit(settings.public_url).hostname if settings.public_url else None
    return (
        not is_loopback(host)
        or (public_host is not None and not _names_this_machine(public_host))
        or settings.effective_transport == "smtp"
    )


def check_sending(settings: Settings, what: str = "send") -> None:
    """Raise ``ConfigError`` when ``what`` (``send``, ``send-test``) may not go out over SMTP."""
    _raise(sending_findings(settings), f"refusing to {what} over SMTP")


def check_serving(settings: Settings, host: str) -> None:
    """Raise ``ConfigError`` when ``serve`` on ``host`` would hand out links that do not work or can be forged."""
    _raise(serving_findings(settings, host), f"refusing to serve on {host} for the public")


def _raise(findings: list[Finding], action: str) -> None:
    if not findings:
        return
    first, *more = findings
    message = f"{action}: {first.problem}"
    for other in more:
        message += f"; also, {other.problem}"
    hint = "; ".join(f.hint for f in findings)
    raise ConfigError(message, hint=hint)
