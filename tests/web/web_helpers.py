"""Helpers of the web tests: the running site, its clock, forms and links in mail.

Imported as ``web.web_helpers``: ``tests/web`` is a package, so pytest puts
``tests/`` on ``sys.path`` (as for ``python -m pytest`` and plain ``pytest``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from leadex_mail.config import Settings, load_settings
from leadex_mail.store.db import Store

REPO = Path(__file__).resolve().parents[2]
SECRET = "web-test-secret-key-0123456789"


class Clock:
    """The app's notion of now; starts at the real time, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward (``days=7, minutes=1``)."""
        self.now += timedelta(**delta)


@dataclass
class Site:
    """A running app and everything behind it."""

    url: str
    settings: Settings
    store: Store
    clock: Clock
    smtp: object

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client for the site that never follows redirects."""
        return http(base_url=self.url, **kwargs)

    def mails_to(self, address: str, count: int = 1, timeout: float = 30.0) -> list:
        """Wait until ``count`` messages reached ``address`` at the SMTP server (woken by each arrival)."""
        return self.smtp.wait_for(address, count, timeout)  # type: ignore[attr-defined]


def http(**kwargs: object) -> httpx.Client:
    """A fresh HTTP client (own cookie jar) that never follows redirects.

    ``verify=False`` only skips loading the CA bundle (0.6 s per client):
    every request here is plain HTTP on loopback.
    """
    return httpx.Client(follow_redirects=False, timeout=10, verify=False, **kwargs)  # type: ignore[arg-type]


def site_settings(tmp_path: Path, port: int, smtp_port: int) -> Settings:
    """Settings of a test site: its own store, SMTP on loopback, links to the site itself."""
    return load_settings(
        environ={
            "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
            "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
            "LEADEX_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LEADEX_TRANSPORT": "smtp",
            "LEADEX_SMTP_HOST": "127.0.0.1",
            "LEADEX_SMTP_PORT": str(smtp_port),
            "LEADEX_SMTP_SECURITY": "none",
            "LEADEX_SECRET_KEY": SECRET,
            "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+/(confirm|unsubscribe|preferences|view)/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def csrf_from(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def link_in(message, kind: str) -> str:
    """The first ``/<kind>/<token>`` link in a received message's text part."""
    body = message.message().get_body(("plain",)).get_content()
    for match in LINK_RE.finditer(body):
        if match.group(1) == kind:
            return match.group(0)
    raise AssertionError(f"no {kind} link in:\n{body}")


def sign_up(client: httpx.Client, email: str, **fields: str) -> httpx.Response:
    """Fill and post the subscribe form the way a browser would (cookie + CSRF)."""
    form = client.get("/subscribe")
    data = {"csrf": csrf_from(form.text), "email": email, "name": "", "language": "sl", "lists": "newsletter", "consent": "2026-04", "website": ""}
    data.update(fields)
    return client.post("/subscribe", data=data)
