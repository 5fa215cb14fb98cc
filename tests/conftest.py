"""Fixtures shared by every tier: a real SMTP server on loopback, real Chromium.

Area-specific fixtures live in ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Iterator

import pytest
from loopback import SmtpServers, free_port

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LEADEX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@dataclass
class Received:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        """The message parsed back with the standard library's parser."""
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """A real aiosmtpd server on 127.0.0.1 that keeps what it receives."""

    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
            self.lock.notify_all()
        return "250 2.0.0 OK: queued"

    def to(self, address: str) -> list[Received]:
        """Messages addressed to ``address``."""
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` messages reached ``address``; woken by each arrival, not by polling.

        ``timeout`` only bounds a test that would otherwise hang: reaching it is a failure.
        """
        with self.lock:
            if not self.lock.wait_for(lambda: len([m for m in self.messages if address in m.rcpt_tos]) >= count, timeout):
                got = len([m for m in self.messages if address in m.rcpt_tos])
                raise AssertionError(f"{count} message(s) to {address} expected, got {got}")
            return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback, started for one test."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, data_size_limit=10_000_000)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., int]]:
    """``start_smtp(handler, certificate=, security=, **options)``: more aiosmtpd servers on loopback, stopped after the test.

    Returns each server's port; the arguments are ``loopback.SmtpServers.start``'s
    (``security="starttls"`` or ``"tls"`` with a certificate, AUTH options...).
    """
    servers = SmtpServers()
    try:
        yield servers.start
    finally:
        servers.stop_all()


@pytest.fixture(autouse=True)
def _send_without_deep_checks(monkeypatch):
    """`send` runs the deep checks by default (a browser and SpamAssassin: seconds a send).

    The campaign engine's tests call `send` dozens of times and are not
    about them; tests/gates turns them on where it tests them.
    """
    monkeypatch.setenv("LEADEX_SEND_DEEP_CHECK", "false")


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server on loopback for the whole session (Debian's ``postgresql``)."""
    from pgcluster import PgCluster

    try:
        cluster = PgCluster.start()
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database a test's store lives in: every test that uses it runs on SQLite and on PostgreSQL.

    The store, campaign and bounce suites build their ``settings``/``store``
    fixtures on it; a PostgreSQL database comes from ``pg_cluster``.
    """
    return request.param


@pytest.fixture
def sqlite_only(request: pytest.FixtureRequest) -> None:
    """Skip, with its reason, a test that is about SQLite itself, on PostgreSQL.

    A test taking this fixture says why in a ``sqlite_only_reason`` marker
    (default: it inspects the SQLite file itself).
    """
    if "backend" in request.fixturenames and request.getfixturevalue("backend") == "postgresql":
        marker = request.node.get_closest_marker("sqlite_only_reason")
        pytest.skip(marker.args[0] if marker else "inspects the SQLite file itself")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `sh .ci/setup` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (own context: no shared cookies)."""
    context = browser.new_context()
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
