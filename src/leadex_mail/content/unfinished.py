"""Links and alt texts that load fine but are not finished: what ``check`` and ``send`` refuse.

A link is unfinished when it cannot take a reader anywhere real: empty,
``#``, a web address without a host (``https://``, ``http://#``), the bare
documentation domains of RFC 2606 (``https://example.com/``: what people
type as a stand-in), or a host no reader can reach (``localhost``, the
``.invalid`` and ``.localhost`` names of RFC 6761).

An alt text is unfinished when a screen reader would read nothing useful
(WCAG 2.1 1.1.1): nothing but white space and invisible characters
(U+200B and the other format characters), no letter or digit at all
(``…``, a pencil), a word that only says it is a picture ("image",
"logo", "slika", ...), or a file name (``logo.png``).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

# RFC 2606 second-level names people use as stand-ins; only their bare root is flagged
# (a realistic path under them is how examples and tests are written).
_STAND_IN_HOSTS = frozenset(f"{www}example.{tld}" for www in ("", "www.") for tld in ("com", "org", "net"))
_UNREACHABLE = re.compile(r"(^|\.)(localhost|invalid)$")
# What an alt text says when it says nothing: "a picture", in the partners' languages and English.
_GENERIC_ALT = frozenset(
    """image img picture pic photo photograph graphic graphics icon logo banner illustration figure alt alt-text
    placeholder todo tbd xxx slika fotografija foto sličica ikona logotip grafika pilt foto logo imagen foto
    imagen ícono icono figura obraz zdjęcie grafika billede foto ikon slika fotografija""".split()
)
_FILE_NAME = re.compile(r"\S+\.(png|jpe?g|gif|webp|svg|bmp|tiff?|heic)", re.IGNORECASE)


def unfinished_url(url: str) -> str | None:
    """Why ``url`` (a link's address) is not finished, or None when it may be a real address."""
    value = url.strip()
    if value in ("", "#"):
        return "it is empty" if not value else "it is a placeholder '#'"
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() in ("http", "https"):
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            return "it has no host name"
        if host in _STAND_IN_HOSTS and parts.path in ("", "/") and not parts.query:
            return f"{host} is a stand-in domain (RFC 2606), not a page"
        if _UNREACHABLE.search(host):
            return f"{host} cannot be reached by a reader"
    elif parts.scheme.lower() == "mailto" and not parts.path.strip():
        return "it has no address"
    return None


def unfinished_alt(alt: str, src: str | None = None) -> str | None:
    """Why ``alt`` says nothing useful about the picture ``src``, or None when it may."""
    visible = "".join(c for c in alt if unicodedata.category(c)[0] not in "CZ" and c not in "\ufe0e\ufe0f")
    if not visible:
        return "the alt text is empty or holds only invisible characters" if alt else "the image has no alt text"
    if not any(unicodedata.category(c)[0] in "LN" for c in visible):
        return f"the alt text {alt.strip()!r} has no words"
    words = " ".join(alt.split()).strip(" .:-–—…*_#()[]").lower()
    if words in _GENERIC_ALT or _FILE_NAME.fullmatch(words) or (src and words == src.rsplit("/", 1)[-1].lower()):
        return f"the alt text {alt.strip()!r} only says that there is a picture"
    return None
