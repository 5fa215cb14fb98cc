"""Whether a link's address is one a mail program can open: the one rule for every link.

Links in Markdown texts, link fields (``url``, ``link``, ``website`` ...) and
the studio's link box are judged by ``link_trouble`` (the box by its twin in
``templates/studio/static/linkrules.js``, ``linkTrouble``; a browser test
keeps the two agreeing on a table of addresses; the server's check is the
truth). An address is good when it has:

- a scheme from the allowed set: ``https:``, ``http:``, ``mailto:``;
- for the web ones, ``//`` and a host that is a host name -- labels of
  letters (any script: IDNA), digits, ``-`` and ``_``, none empty, none
  starting or ending with ``-``, at most 63 characters each and 253 in all,
  the last not all digits -- or an IPv4 or bracketed IPv6 address; no
  space and no ``%``-escape in it; an optional port from 1 to 65535;
- for ``mailto:``, addresses ``local@domain`` with the domain a host name;
- no white space or control character in the host or the e-mail address
  (in a path the Markdown editor writes a space as ``%20``, a browser too).

What is not finished yet (empty, ``#``, ``https://`` with no host, an empty
``mailto:``) is not judged here: it may be saved as a draft, and ``check``
names it ``link.unfinished`` (``content/unfinished.py``).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import urllib.parse

SCHEMES = ("https", "http", "mailto")
# Why an address is refused, by reason key: the CLI's English (the studio has catalog words, rt_link_<reason>).
TROUBLES = {
    "no_scheme": "it does not start with https:// (or mailto:), so it is not a whole address",
    "scheme": "only web (https://, http://) and e-mail (mailto:) addresses can be links",
    "space": "the host name (or e-mail address) holds a space or a line break, which no host name can",
    "host": "the host name is not one a mail program can open (only letters, digits, hyphens and dots, no empty part)",
    "port": "the port after the host name is not a number from 1 to 65535",
    "mailto": "the e-mail address after mailto: is not one (name@example.org)",
}
# What ends a file's name rather than a host's: "novica.html" is a page beside another, not a site.
FILE_SUFFIXES = frozenset("htm html php asp aspx jsp pdf doc docx odt xls xlsx ods ppt pptx odp txt rtf csv zip jpg jpeg png gif svg webp mp3 mp4".split())
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+$")


def link_trouble(url: str) -> str | None:
    """The reason key (a key of ``TROUBLES``) why ``url`` cannot be a link's address, or None when it can.

    ``url`` is the address as written (outer white space ignored); an
    unfinished one (``""``, ``"#"``, ``"https://"``, ``"mailto:"``) is None.
    """
    value = url.strip()
    if value in ("", "#"):
        return None
    match = _SCHEME.match(value)
    if not match:
        return "no_scheme"
    scheme = match[1].lower()
    if scheme not in SCHEMES:
        # "example.org:8080/a" reads as the scheme "example.org": a host without https://
        return "no_scheme" if "." in scheme or value[match.end() :][:1].isdigit() else "scheme"
    rest = value[match.end() :]
    if scheme == "mailto":
        return "space" if _spaced(rest.split("?", 1)[0]) else _mailto_trouble(rest)
    if not rest.startswith("//"):
        return "no_scheme" if not rest.startswith("/") else "host"
    netloc = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    if _spaced(netloc):
        return "space"
    host_port = netloc.rsplit("@", 1)[-1]
    if not host_port:
        return None  # "https://": unfinished
    if host_port.startswith("["):
        host, _, port = host_port[1:].partition("]")
        if "%" in host or not _ipv6(host) or (port and not port.startswith(":")):
            return "host"
        port = port[1:]
    else:
        host, _, port = host_port.partition(":")
        if not host_ok(host):
            return "host"
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return "port"
    return None


def _spaced(text: str) -> bool:
    """Whether ``text`` holds white space or a control character (a mail program ends the link there)."""
    return any(c.isspace() or unicodedata.category(c) == "Cc" for c in text)


def host_ok(host: str) -> bool:
    """Whether ``host`` is a host name (IDNA labels) or an IPv4 address, as written in an address."""
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253 or "%" in name:
        return False
    labels = name.split(".")
    if all(label.isascii() and label.isdigit() for label in labels):
        return _ipv4(name)
    for label in labels:
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return False
        if not all(c.isalnum() or c in "-_" or unicodedata.category(c).startswith("M") for c in label):
            return False
    return not (labels[-1].isascii() and labels[-1].isdigit())


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _mailto_trouble(rest: str) -> str | None:
    """``mailto:`` then one or more comma-separated addresses, then an optional ``?subject=...``."""
    to = urllib.parse.unquote(rest.split("?", 1)[0])
    if not to.strip():
        return None  # "mailto:" or "mailto:?subject=": unfinished
    for address in to.split(","):
        local, at, domain = address.strip().rpartition("@")
        if not at or not local or not _LOCAL_PART.match(local) or ".." in local or not host_ok(domain) or "." not in domain.strip("."):
            return "mailto"
    return None


def with_scheme(typed: str) -> str | None:
    """``https://`` + ``typed`` when ``typed`` is a host and path written without a scheme, else None.

    What people write for an address (``www.example.org/prijava``,
    ``example.org``): the part before the first ``/`` is a host name with a
    dot, ending in a top-level name of letters that is not a file's suffix
(``novica.html``, ``letak.pdf`` are files, not sites). A word (``prijava``), a path
    (``/prijava``) or an e-mail address is None: those are refused with
    ``no_scheme``'s words. The studio's link box adds the ``https://``
    where the officer sees the link made and can change it.
    """
    value = typed.strip()
    if not value or link_trouble(value) != "no_scheme" or value.startswith(("/", ".", "@")) or "@" in value.split("/", 1)[0]:
        return None
    candidate = "https://" + value
    host = re.split(r"[/?#:]", value, maxsplit=1)[0].rstrip(".")
    top = host.rsplit(".", 1)[-1]
    if "." not in host or not top.isalpha() or len(top) < 2 or top.lower() in FILE_SUFFIXES or link_trouble(candidate) is not None:
        return None
    return candidate
