"""Helpers for the delivery tests: a hand-built edition, settings, the parser."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from leadex_mail.config import Settings
from leadex_mail.content.model import Brand
from leadex_mail.render.result import PLACEHOLDERS as P
from leadex_mail.render.result import InlineImage, RenderedEdition

SECRET = "test-secret-key-for-delivery"
LONG_URL = "https://www.interregeurope.eu/leadex/" + "news/2026/04/kick-off-meeting-in-murcia-" * 4 + "?a=1&b=2"


def make_edition(*, images: bool = False, repeat: int = 1) -> RenderedEdition:
    """A small edition with every placeholder in both parts, č/š/ž, '=' and long lines."""
    html = (
        "<!doctype html><html lang=\"sl\"><head><title>LeadEx novice</title></head><body>"
        f"<p>Pozdravljeni {P['name']}, čšž ČŠŽ = 3D =C5 ==</p>"
        f"<p><a href=\"{P['view_url']}\">Poglej v brskalniku</a></p>"
        + f"<p>Uvodni sestanek v Murcii: {'dolga vrstica brez preloma ' * 12}<a href=\"{LONG_URL}\">VEČ TUKAJ</a></p>" * repeat
        + (f"<img src=\"cid:logo@leadex\" alt=\"LeadEx\">" if images else "")
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
    values = dict(secret_key=SECRET, public_url="https://news.example.org", from_address="novice@leadex.example.org")
    values.update(changes)
    return Settings(**values)


def parse(data: bytes) -> EmailMessage:
    """Parse raw bytes with the standard library's parser (modern policy)."""
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


