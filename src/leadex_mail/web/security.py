"""Protections every page shares: security headers, CSRF tokens, a per-IP rate limit.

None of these need JavaScript. The CSRF token is a signed nonce bound to a
cookie (double submit): a form field ``csrf`` = ``sign("csrf", {"n": nonce})``
is accepted only with the cookie holding that same nonce, so another site
can neither read nor forge the pair.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadex_mail.errors import TokenError
from leadex_mail.tokens import sign, verify

# App pages: no scripts at all, styles only from our own CSS file.
PAGE_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Web versions of issues: the email HTML carries inline styles and images from
# the configured images host; still no scripts, no forms, no framing.
EDITION_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
    "font-src https:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
MAX_BODY_BYTES = 64 * 1024
CSRF_FIELD = "csrf"


class SecurityHeadersMiddleware:
    """Adds security headers to every HTTP response that does not set its own.

    A pure ASGI middleware (no per-request Request objects) so it costs
    almost nothing on the one-click endpoint. ``Referrer-Policy: no-referrer``
    matters here: page URLs carry personal tokens.
    """

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        defaults = [
            (b"content-security-policy", PAGE_CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ]
        if https:
            defaults.append((b"strict-transport-security", b"max-age=31536000"))
        self.defaults = defaults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((n, v) for n, v in self.defaults if n not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def new_nonce() -> str:
    """A fresh random value for the CSRF cookie."""
    return secrets.token_urlsafe(16)


def csrf_token(nonce: str, key: bytes) -> str:
    """The form field value matching the cookie ``nonce``."""
    return sign("csrf", {"n": nonce}, key)


def csrf_valid(field: str | None, cookie: str | None, key: bytes) -> bool:
    """True when the form's token is ours and bound to this browser's cookie."""
    if not field or not cookie:
        return False
    try:
        payload = verify("csrf", field, key)
    except TokenError:
        return False
    return secrets.compare_digest(str(payload.get("n", "")), cookie)


class RateLimiter:
    """At most ``limit`` hits per key within ``window`` seconds (sliding window).

    ``clock`` returns the current time, so tests move time instead of
    sleeping. Thread-safe; keys idle for a whole window are forgotten so the
    table cannot grow without bound.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], datetime]) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def hit(self, key: str) -> bool:
        """Record one hit for ``key``; False when it is over the limit (the hit is not counted)."""
        now = self.clock().timestamp()
        with self._lock:
            self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may hit again (0 when it may now)."""
        now = self.clock().timestamp()
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) < self.limit:
                return 0
            return max(0, int(hits[0] + self.window - now) + 1)

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        stale: Iterable[str] = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]
        for key in list(stale):
            del self._hits[key]
