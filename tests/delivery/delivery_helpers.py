"""Helpers for the delivery tests: a hand-built edition, settings, the parser."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from leadex_mail.config import Settings
from leadex_mail.render.result import PLACEHOLDERS as P
from leadex_mail.render.result import InlineImage, RenderedEdition

SECRET = "test-secret-key-for-delivery-0123456789"
NONCE = "Zm9vYmFyYmF6"  # a subscriber row's link_nonce, as the claim reads it
LONG_URL = "https://www.interregeurope.eu/leadex/" + "news/2026/04/kick-off-meeting-in-murcia-" * 4 + "?a=1&b=2"


def make_edition(*, images: bool = False, repeat: int = 1) -> RenderedEdition:
    """A small edition with every placeholder in both parts, č/š/ž, '=' and long lines."""
    html = (
        "<!doctype html><html lang=\"sl\"><head><title>LeadEx novice</title></head><body>"
        f"<p>Pozdravljeni {P['name']}, čšž ČŠŽ = 3D =C5 ==</p>"
        f"<p><a href=\"{P['view_url']}\">Poglej v brskalniku</a></p>"
        + f"<p>Uvodni sestanek v Murcii: {'dolga vrstica brez preloma ' * 12}<a href=\"{LONG_URL}\">VEČ TUKAJ</a></p>" * repeat
        + ("<img src=\"cid:logo@leadex\" alt=\"LeadEx\">" if images else "")
        + f"<p><a href=\"{P['unsubscribe_url']}\">Odjava</a> · <a href=\"{P['preferences_url']}\">Nastavitve</a>{P['name']}</p>"
        "</body></html>"
    )
    text = (
        f"Pozdravljeni {P['name']},\n\nčšž ČŠŽ = 3D =C5 ==\n"
        + f"Uvodni sestanek: {'dolga vrstica ' * 10}\n{LONG_URL}\n" * repeat
        + f"Poglej v brskalniku: {P['view_url']}\n"
        f"Odjava: {P['unsubscribe_url']}\nNastavitve: {P['preferences_url']}\n{P['name']}"
    )
    inline = (InlineImage("logo@leadex", "logo.png", "image/png", bytes(range(256)) * 40),) if images else ()
    return RenderedEdition("2026-04-leadex-01", "sl", "LeadEx novice št. 1 – Murcia, Tallinn", "Preheader", html, text, "hash", inline)


def make_settings(**changes) -> Settings:
    """Settings for tests: a secret key, a public URL, example.org addresses."""
    values = {"secret_key": SECRET, "public_url": "https://news.example.org", "from_address": "novice@leadex.example.org"}
    values.update(changes)
    return Settings(**values)


def parse(data: bytes) -> EmailMessage:
    """Parse raw bytes with the standard library's parser (modern policy)."""
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def smtp_settings(port: int, **changes) -> Settings:
    """Settings for a plain-text loopback SMTP server of a test."""
    values = {"transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_timeout": 5.0}
    return make_settings(**{**values, **changes})


@dataclass
class FaultySink:
    """An aiosmtpd handler whose replies a test scripts per stage.

    Each ``on_*`` callable gets (session number, messages so far on that session,
    address) and returns a reply line, ``"drop"`` to cut the connection, or None for OK.
    """

    on_mail: Callable[[int, int, str], str | None] = lambda s, n, a: None
    on_rcpt: Callable[[int, int, str], str | None] = lambda s, n, a: None
    on_data: Callable[[int, int, str], str | None] = lambda s, n, a: None
    delay: float = 0.0
    # Hold the answer at "rcpt" or "data" (after the whole message arrived) until ``hold`` is set.
    hold_at: str | None = None
    hold: threading.Event = field(default_factory=threading.Event)
    pipelining: bool = False  # offer PIPELINING (RFC 2920) in the EHLO reply
    received: list[tuple[int, str, bytes]] = field(default_factory=list)
    sessions: dict[int, int] = field(default_factory=dict)  # id(server) -> session number
    per_session: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _who(self, server) -> tuple[int, int]:
        with self.lock:
            number = self.sessions.setdefault(id(server), len(self.sessions) + 1)
            return number, self.per_session.get(number, 0)

    def _answer(self, server, reply: str | None) -> str | None:
        if reply == "drop":
            server.transport.close()
            return "250 never seen"
        return reply

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # this hook replaces aiosmtpd's own bookkeeping of it
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        s, n = self._who(server)
        reply = self._answer(server, self.on_mail(s, n, address))
        if reply:
            return reply
        envelope.mail_from = address
        return "250 OK"

    async def _held(self, stage: str) -> None:
        if self.hold_at == stage:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)

    async def handle_RCPT(self, server, session, envelope, address, options):
        await self._held("rcpt")
        s, n = self._who(server)
        reply = self._answer(server, self.on_rcpt(s, n, address))
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await self._held("data")
        s, n = self._who(server)
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self._answer(server, self.on_data(s, n, envelope.rcpt_tos[0]))
        if reply:
            return reply
        with self.lock:
            self.per_session[s] = n + 1
            self.received.append((s, envelope.rcpt_tos[0], bytes(envelope.original_content)))
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"
