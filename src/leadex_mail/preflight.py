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
import re
import socket
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
    """True for ``localhost`` and loopback addresses in any spelling (no DNS lookup); ``0.0.0.0`` listens everywhere: False.

    Spellings a browser or resolver takes for an IPv4 address count too:
    ``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, and IPv4
    inside IPv6 (``::ffff:127.0.0.1``).
    """
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost") or name == "localhost.localdomain":
        return True
    address = _ip(name)
    return address is not None and address.is_loopback


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``name`` spells, IPv4-mapped IPv6 as its IPv4 address; None for a host name."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", name):
            return None
        try:  # the inet_aton forms: 127.1, 2130706433, 0x7f000001, 0177.0.0.1
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _names_this_machine(host: str) -> bool:
    """True when a URL's host can only mean the machine reading it (loopback, or 0.0.0.0 / ::)."""
    address = _ip(host.strip("[]").lower().rstrip("."))
    return is_loopback(host) or (address is not None and address.is_unspecified)


# RFC 3986 characters (unreserved, reserved, "%"); anything else breaks a link somewhere
# (``<>`` end List-Unsubscribe's entries, ``"`` an HTML attribute, spaces the line).
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/@!$&'()*+,;=%]+")
_HOST_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?")


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as the base of every link (None: nothing).

    A whole ``http(s)://host[:port][/path]`` in RFC 3986 characters; no
    user name or password (they would be in every link sent), no query or
    fragment (paths are appended to it), a port from 1 to 65535.
    """
    bad = next((c for c in url if not _URI_CHARS.fullmatch(c) and c not in "?#[]"), None)
    if bad is not None:
        shown = repr(bad) if bad.isprintable() and not bad.isspace() else f"U+{ord(bad):04X}"
        idn = "; write a non-ASCII host name in its xn-- form" if not bad.isascii() else ""
        return f"it contains {shown}, which may not stand in a link (RFC 3986){idn}"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "it is not a whole http(s):// address"
    if "@" in parts.netloc:
        return "it holds a user name or password, which every link in every mail would carry"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "it has a query (?) or fragment (#); the links' paths are added after it"
    try:
        port = parts.port
    except ValueError:
        return "its port is not a number from 1 to 65535"
    if port == 0:
        return "its port is not a number from 1 to 65535"
    host = (parts.hostname or "").rstrip(".")
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "its [...] part is not an IPv6 address"
    elif not host or not _HOST_NAME.fullmatch(host):
        return f"its host {host!r} is not a host name"
    return None


def link_findings(settings: Settings) -> list[Finding]:
    """What is wrong with ``public_url`` for links that every recipient can use (empty: nothing).

    ``allow_insecure_links`` accepts ``http://`` and loopback only for a
    public URL on this machine (tests, trials): one naming another host is
    held to the rules, and a malformed one is refused always.
    """
    url = settings.public_url
    if not url:
        if settings.allow_insecure_links:
            return []
        return [Finding(
            "public_url", "public_url is not set: every link in the mail would point at http://127.0.0.1:8000 (this machine), "
            "so no recipient could unsubscribe with one click",
            "set public_url (LEADEX_PUBLIC_URL) to the https:// address where `leadex-mail serve` is reachable, e.g. https://news.example.org",
        )]
    problem = url_problem(url)
    if problem:
        return [Finding("public_url", f"public_url {url!r} cannot be the base of the links: {problem}", _URL_HINT)]
    parts = urllib.parse.urlsplit(url)
    local = _names_this_machine(parts.hostname or "")
    if settings.allow_insecure_links and local:
        return []
    relaxed = " (allow_insecure_links relaxes this only for a public_url on this machine)" if settings.allow_insecure_links else ""
    if parts.scheme != "https":
        return [Finding(
            "public_url", f"public_url {url!r} is not https://: RFC 8058 requires HTTPS for one-click unsubscribe, "
            f"and mail providers ignore an http:// one{relaxed}",
            "serve the subscriber pages over HTTPS (a reverse proxy with a certificate) and set public_url to that https:// address",
        )]
    if local:
        return [Finding(
            "public_url", f"public_url {url!r} points at this machine: no recipient could open its links or unsubscribe with one click",
            "set public_url to the public https:// address of the subscriber pages",
        )]
    return []


_URL_HINT = "set public_url to the plain https:// address of the subscriber pages, e.g. https://news.example.org or https://www.example.org/novice"


def relay_findings(settings: Settings) -> list[Finding]:
    """What is wrong with the SMTP relay settings for a real send (empty: nothing); what the transport would refuse later."""
    host = settings.smtp_host or ""
    if not host or is_loopback(host):
        return []
    findings = []
    if settings.smtp_security == "none" and not settings.smtp_allow_insecure:
        findings.append(Finding(
            "smtp_security", f"smtp_security is none: mail and the SMTP login would cross the network to {host} unencrypted",
            "use smtp_security = starttls or tls; or set smtp_allow_insecure = true if this network is trusted",
        ))
    if settings.allow_insecure_links and (not settings.public_url or _names_this_machine(urllib.parse.urlsplit(settings.public_url).hostname or "")):
        findings.append(Finding(
            "allow_insecure_links", f"allow_insecure_links is for tests and trials on one machine, but smtp_host {host} is another machine:"
            " its recipients could not open links to this machine",
            "unset LEADEX_ALLOW_INSECURE_LINKS and set public_url to the public https:// address of the subscriber pages",
        ))
    return findings


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
    return smtp_findings(settings)


def smtp_findings(settings: Settings) -> list[Finding]:
    """Everything that would stop a send over SMTP with these settings, whatever the transport now."""
    return link_findings(settings) + key_findings(settings) + relay_findings(settings)


def serving_findings(settings: Settings, host: str) -> list[Finding]:
    """Everything that stops ``serve`` on ``host`` (empty for a local preview)."""
    if not serves_the_public(settings, host):
        return []
    findings = link_findings(settings) + key_findings(settings)
    if settings.allow_insecure_links and not is_loopback(host):
        findings.append(Finding(
            "allow_insecure_links", f"allow_insecure_links is for tests and trials on one machine, but serve would listen on {host}",
            "serve on 127.0.0.1, or unset LEADEX_ALLOW_INSECURE_LINKS and set an https:// public_url",
        ))
    return findings


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
