"""Link texts that say nothing about where a link leads, and the rule for them.

The rule (WCAG 2.1 success criterion 2.4.4, Link Purpose (In Context), level A):

- A link text is *generic* when, ignoring case, punctuation and spacing, it
  is one of the phrases below ("here", "tukaj", "VEČ TUKAJ", "read more",
  ...) in any of the partners' languages, or the catalog's own "more here".
- A generic link passes only *in context*: the paragraph, list item, table
  cell or heading around it (WCAG's "programmatically determined link
  context") holds at least ``MIN_CONTEXT_WORDS`` words besides the link, so
  a reader who reaches the link can tell from that sentence or paragraph
  where it goes. "… na posebnih skupinah. VEČ TUKAJ." closing a story's
  paragraph passes; a button, or a paragraph, that says only "here" fails.
- A generic link alone is an error: a screen reader that lists the links
  reads "here, here, here", and nothing near it tells where it goes.

Whether the sentence really names the target cannot be judged by a program;
the rule asks for a sentence around the link, and the officer's reading of
``check``'s report does the rest. Links with an ``aria-label`` count with
that label (few mail programs keep it, so our templates do not rely on it).
"""

from __future__ import annotations

import re
import unicodedata

MIN_CONTEXT_WORDS = 3

# Phrases that name no target, per language (lower case, single spaces, no punctuation).
GENERIC_PHRASES: dict[str, frozenset[str]] = {
    "en": frozenset({
        "here", "click here", "click", "tap here", "go here", "this", "this link", "link", "more", "more here", "read more",
        "learn more", "find out more", "see more", "view more", "more info", "more information", "details", "continue",
        "continue reading", "go", "website", "page", "this page", "click this link", "read here", "see here",
    }),
    "sl": frozenset({
        "tukaj", "tu", "več", "več tukaj", "več tu", "preberi več", "preberite več", "klikni tukaj", "kliknite tukaj",
        "klikni", "kliknite", "povezava", "ta povezava", "podrobnosti", "več informacij", "nadaljuj", "nadaljujte",
        "preberi", "preberite", "poglej več", "oglejte si več", "tukaj preberite več", "spletna stran", "stran",
    }),
    "hr": frozenset({
        "ovdje", "ovde", "tu", "više", "više ovdje", "pročitaj više", "pročitajte više", "klikni ovdje", "kliknite ovdje",
        "kliknite", "poveznica", "link", "detalji", "saznaj više", "saznajte više", "nastavi", "stranica",
    }),
    "es": frozenset({
        "aquí", "haga clic aquí", "haz clic aquí", "clic aquí", "más", "leer más", "más información", "enlace", "ver más",
        "saber más", "detalles",
    }),
    "et": frozenset({"siin", "siia", "loe edasi", "loe lähemalt", "rohkem", "vaata lisaks", "vaata rohkem", "link", "lisainfo", "klõpsa siin"}),
    "pl": frozenset({"tutaj", "tu", "więcej", "czytaj więcej", "kliknij tutaj", "kliknij", "link", "szczegóły", "dowiedz się więcej", "zobacz więcej"}),
    "da": frozenset({"her", "klik her", "læs mere", "mere", "link", "se mere", "detaljer"}),
    "sr": frozenset({"ovdje", "ovde", "više", "pročitaj više", "kliknite ovdje", "link", "detalji", "saznaj više"}),
}  # fmt: skip

_NOT_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """``text`` lower-cased, NFC, punctuation and symbols dropped, spaces single: how phrases compare."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def generic_phrases(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Every generic phrase of every language, plus ``extra`` (the catalogs' "more here" labels)."""
    phrases = set().union(*GENERIC_PHRASES.values())
    phrases.update(normalise(e) for e in extra)
    return frozenset(phrases)


def is_generic(text: str, phrases: frozenset[str]) -> bool:
    """True when the link text ``text`` names no target (empty text is axe's ``link-name``, not ours)."""
    key = normalise(text)
    return bool(key) and key in phrases


def context_words(context: str, link_text: str) -> int:
    """How many words the link's context holds besides the link text itself."""
    words = normalise(context).split()
    for word in normalise(link_text).split():
        if word in words:
            words.remove(word)
    return len(words)
