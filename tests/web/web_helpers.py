"""Helpers of the web tests: the running site, its clock, forms and links in mail.

Imported as ``web.web_helpers``: ``tests/web`` is a package, so pytest puts
``tests/`` on ``sys.path`` (as for ``python -m pytest`` and plain ``pytest``).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from leadex_mail.config import Settings, load_settings
from leadex_mail.store.db import Store

REPO = Path(__file__).resolve().parents[2]
SECRET = "web-test-secret-key-0123456789abcdef"


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
    sender: object = None

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client for the site that never follows redirects."""
        return http(base_url=self.url, **kwargs)

    def mails_to(self, address: str, count: int = 1, timeout: float = 30.0) -> list:
        """Wait until ``count`` messages reached ``address`` at the SMTP server (woken by each arrival)."""
        return self.smtp.wait_for(address, count, timeout)  # type: ignore[attr-defined]

    def idle(self, timeout: float = 30.0) -> None:
        """Wait until the app's confirmation sender has nothing left to send now (woken by its passes, not polled)."""
        assert self.sender.wait_idle(timeout), "the confirmation sender did not become idle"  # type: ignore[attr-defined]


@contextmanager
def serve_site(settings: Settings, store: Store, clock: Clock, smtp: object, *, subscribe_limit: tuple[int, float] = (50, 3600.0)) -> Iterator[Site]:
    """Serve the app over ``store`` with uvicorn on a free loopback port until the block ends.

    Links point at the port actually bound (``public_url``). Leaving the
    block stops the server as ``serve`` does (the lifespan stops the
    confirmation sender); the store stays open.
    """
    from leadex_mail.web.app import create_app
    from leadex_mail.web.server import bind, make_server

    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = replace(settings, public_url=url)
    app = create_app(settings, store=store, clock=clock, subscribe_limit=subscribe_limit)
    server = make_server(settings, app=app, sock=sock)
    thread = server.start_in_thread()
    try:
        yield Site(url, settings, store, clock, smtp, app.state.web.sender)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def nonce_of(site: Site, subscriber_id: int) -> str:
    """The ``link_nonce`` of a subscriber row: what their personal links are bound to."""
    from leadex_mail.store.subscribers import get_subscriber_by_id

    return get_subscriber_by_id(site.store, subscriber_id).link_nonce


def http(**kwargs: object) -> httpx.Client:
    """A fresh HTTP client (own cookie jar) that never follows redirects.

    ``verify=False`` only skips loading the CA bundle (0.6 s per client):
    every request here is plain HTTP on loopback.
    """
    return httpx.Client(follow_redirects=False, timeout=10, verify=False, **kwargs)  # type: ignore[arg-type]


def site_settings(tmp_path: Path, port: int, smtp_port: int, **env: str) -> Settings:
    """Settings of a test site: its own store, SMTP on loopback, links to the site itself; ``env`` adds or replaces ``LEADEX_*`` values."""
    return load_settings(
        environ={
            "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
            "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
            "LEADEX_PUBLIC_URL": f"http://127.0.0.1:{port}",
            # the tests follow the links in mail to this loopback site: a test-only setting (preflight.py)
            "LEADEX_ALLOW_INSECURE_LINKS": "true",
            "LEADEX_TRANSPORT": "smtp",
            "LEADEX_SMTP_HOST": "127.0.0.1",
            "LEADEX_SMTP_PORT": str(smtp_port),
            "LEADEX_SMTP_SECURITY": "none",
            "LEADEX_SECRET_KEY": SECRET,
            "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
            **env,
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


# -- relays that misbehave on purpose --------------------------------------------------


def unused_port() -> socket.socket:
    """A socket bound to a loopback port but not listening: connecting there is refused (a relay that is down).

    Keep it open while the port must stay refused; close it to free the port.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Message:
    """One message as the relay accepted it."""

    rcpt_tos: list[str]
    data: bytes

    def message(self) -> Any:
        """The message parsed back with the standard library."""
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class HeldRelay:
    """An aiosmtpd handler that holds each message at the end of DATA while ``gate`` is closed."""

    host: str
    port: int
    gate: threading.Event = field(default_factory=threading.Event)
    refuse: str | None = None  # a reply to every RCPT TO instead of accepting (e.g. a 550)
    holding: int = 0  # messages that reached the end of DATA (held or not)
    messages: list[Message] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook name)
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.holding += 1
            self.lock.notify_all()
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        with self.lock:
            self.messages.append(Message(list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
            self.lock.notify_all()
        return "250 2.0.0 OK: queued"

    def wait_holding(self, count: int, timeout: float = 30.0) -> None:
        """Block until ``count`` messages are (or were) at the end of DATA; the timeout only ends a hung test."""
        with self.lock:
            assert self.lock.wait_for(lambda: self.holding >= count, timeout), f"{count} message(s) never reached the relay"

    def to(self, address: str) -> list[Message]:
        """Messages accepted for ``address``."""
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[Message]:
        """Block until ``count`` messages were accepted for ``address`` (``Site.mails_to``)."""
        with self.lock:
            assert self.lock.wait_for(lambda: len([m for m in self.messages if address in m.rcpt_tos]) >= count, timeout), address
            return [m for m in self.messages if address in m.rcpt_tos]


@contextmanager
def held_relay(*, held: bool = True, refuse: str | None = None) -> Iterator[HeldRelay]:
    """A ``HeldRelay`` served by aiosmtpd on a free loopback port; its gate opens when the block ends.

    ``held=False`` opens the gate at once (a relay that works); ``refuse`` is its answer to every RCPT.
    """
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    relay = HeldRelay("127.0.0.1", port, refuse=refuse)
    if not held:
        relay.gate.set()
    controller = Controller(relay, hostname=relay.host, port=relay.port)
    controller.start()
    try:
        yield relay
    finally:
        relay.gate.set()
        controller.stop()


def as_when_composed(attached: str, now: str) -> bool:
    """True when ``attached`` is byte for byte the CLI's export ``now``, but for this very mail, still being sent then."""
    records = json.loads(now)
    records[0]["mails"][-1] |= {"state": "sending", "sent_at": None, "attempts": 0, "server_reply": None}
    assert records[0]["mails"][-1]["kind"] == "data_export"
    return attached == json.dumps(records, ensure_ascii=False, indent=2) + "\n"
