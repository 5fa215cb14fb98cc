"""Signed, unguessable tokens for links in mail and on the web.

A token carries a small JSON payload (ids, never an address), the purpose it
was made for, and optionally an expiry; an HMAC-SHA256 over purpose and
payload makes it tamper-proof. Tokens are URL-safe and need no storage.

    token = sign("unsubscribe", {"s": 42, "c": 7, "n": "q3Zx…"}, key)
    verify("unsubscribe", token, key)  # -> {"s": 42, "c": 7, "n": "q3Zx…"}

Key rotation: ``sign`` uses one key; ``verify`` accepts a sequence of keys
(the current one first, then retired ones), so links in mail already sent
keep working after the key changes (``Settings.verification_keys``).

What a token is *about* (which subscriber row) is the caller's business:
personal links carry the row's random ``link_nonce`` as ``"n"``, which the
web app compares with the row (``store/identity.py``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from leadex_mail.errors import TokenError

_SIG_BYTES = 16  # 128 bits: unguessable, and keeps links short


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, body: str, key: bytes) -> bytes:
    mac = _keyed(key).copy()  # the key's inner and outer pads are hashed once per key, not per token
    mac.update(f"leadex:{purpose}:{body}".encode())
    return mac.digest()[:_SIG_BYTES]


@functools.lru_cache(maxsize=16)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


# Keys and values whose JSON is themselves in quotes: no escape, no Unicode.
_JSON_PLAIN = re.compile(r"[A-Za-z0-9_.\-]*")


def _json(data: dict[str, Any]) -> str:
    """``json.dumps(data, separators=(",", ":"), sort_keys=True)``, written directly for ints and plain strings.

    Links are signed three times per message sent; their payloads are ids and
    base64url nonces, which need none of the encoder's escaping.
    """
    parts = []
    for k in sorted(data):
        v = data[k]
        if not (k.__class__ is str and _JSON_PLAIN.fullmatch(k)):
            return json.dumps(data, separators=(",", ":"), sort_keys=True)
        if v.__class__ is int:
            parts.append(f'"{k}":{v}')
        elif v.__class__ is str and _JSON_PLAIN.fullmatch(v):
            parts.append(f'"{k}":"{v}"')
        else:
            return json.dumps(data, separators=(",", ":"), sort_keys=True)
    return "{" + ",".join(parts) + "}"


def sign(purpose: str, payload: dict[str, Any], key: bytes, *, expires_at: datetime | None = None) -> str:
    """Return a token for ``payload``, valid only for ``purpose`` (and until ``expires_at``)."""
    data = dict(payload)
    if expires_at is not None:
        data["x"] = int(expires_at.timestamp())
    body = _b64(_json(data).encode())
    return f"{body}.{_b64(_mac(purpose, body, key))}"


def verify(purpose: str, token: str, key: bytes | Sequence[bytes], *, now: datetime | None = None) -> dict[str, Any]:
    """Return the payload of a valid token; raise ``TokenError`` otherwise.

    ``key`` is one key or several (current first, then retired ones): a
    signature made with any of them is valid.
    """
    keys = (key,) if isinstance(key, bytes) else tuple(key)
    try:
        body, sig = token.split(".", 1)
        given = _unb64(sig)
    except (ValueError, TypeError):
        raise TokenError("this link is not valid", hint="copy the whole link from the email") from None
    if not any(hmac.compare_digest(given, _mac(purpose, body, k)) for k in keys):
        raise TokenError("this link is not valid", hint="copy the whole link from the email")
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        raise TokenError("this link is not valid") from None
    expiry = data.pop("x", None)
    if expiry is not None:
        current = now or datetime.now(timezone.utc)
        if current.timestamp() > expiry:
            raise TokenError("this link has expired", hint="ask for a new one")
    return data
