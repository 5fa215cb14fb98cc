"""VERP return paths: ``bounces+<token>@domain``, the token naming one delivery, signed.

With a variable envelope return path (VERP) each message's envelope sender
is unique, so the bounce it causes comes back to an address that says which
delivery failed, whatever the bounce's format. The token is
``<delivery id in hex>-<16 base32 characters of HMAC-SHA256>``: letters
and digits only, and case-insensitive, because MTAs lower-case local parts
on the way back. It needs no storage, and a forged or altered token
matches nothing.

    verp_address("bounces@news.example.org", 42, key)
    # -> "bounces+2a-k3v4…@news.example.org"
    verp_delivery("bounces+2a-k3v4…@news.example.org", "bounces@news.example.org", [key])  # -> 42
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

_MAC_BYTES = 10  # 80 bits: unguessable for a bounce address, and 16 characters
_TOKEN = re.compile(r"^([0-9a-f]{1,16})-([a-z2-7]{16})$")


def _mac(delivery_id: int, key: bytes) -> str:
    digest = hmac.new(key, f"leadex:verp:{delivery_id}".encode(), hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.b32encode(digest).decode("ascii").lower()


def verp_token(delivery_id: int, key: bytes) -> str:
    """The signed token for ``delivery_id`` (lower-case letters, digits and one hyphen)."""
    return f"{delivery_id:x}-{_mac(delivery_id, key)}"


def verp_address(bounce_address: str, delivery_id: int, key: bytes) -> str:
    """``local+token@domain`` for ``bounce_address`` ``local@domain`` (RFC 5321 envelope sender)."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{verp_token(delivery_id, key)}@{domain}"


def verp_delivery(address: str, bounce_address: str, keys: Sequence[bytes]) -> int | None:
    """The delivery an address made by ``verp_address`` names, or None (not ours, forged, altered).

    ``keys`` are every key a token may have been signed with (the current
    secret key first, then previous ones during a rotation).
    """
    local, _, domain = address.strip().lower().rpartition("@")
    base_local, _, base_domain = bounce_address.strip().lower().rpartition("@")
    if domain != base_domain or not local.startswith(base_local + "+"):
        return None
    found = _TOKEN.match(local[len(base_local) + 1 :])
    if not found:
        return None
    delivery_id = int(found.group(1), 16)
    mac = found.group(2)
    if any(hmac.compare_digest(mac, _mac(delivery_id, key)) for key in keys):
        return delivery_id
    return None
