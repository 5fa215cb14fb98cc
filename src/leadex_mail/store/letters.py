"""Could this word be written in some European language? The evidence for choosing a code page.

Windows code pages 1250, 1251, 1252 and 1257 agree on ASCII and differ on
the bytes above it, so a wrong guess turns letters into other letters
("Muñoz" -> "Muńoz", "Tõnu" -> "Tőnu") or into symbols ("Łukasz" ->
"£ukasz"). A word read in the right code page is spelled in *one*
language; a wrong one usually is not. ``implausible(word)`` says why a
word cannot be one, or None:

* a symbol or number sign inside a word ("£ukasz", "Ko³odziej", "Mo¿e");
* letters of two scripts in one word ("Muсoz" with a Cyrillic с);
* an upper-case accented letter after a lower-case one ("MuÑoz");
* accented letters no single language has together ("Núńez": ú and ń);
* a spelling a language's rules exclude: Polish ć/ń/ś/ź never stand before
  a vowel ("Muńoz"); Czech ě follows only b, p, v, f, m, d, t, n; a grave
  accent in French, Italian, Catalan, Portuguese, Dutch or Norwegian is
  never followed by a vowel ("Kovaèiè"); Icelandic ð never starts a word.

``languages(word)`` names the languages whose alphabet has every accented
letter of the word. The alphabets are the accented letters of CLDR's main
exemplar sets for the languages Excel writes in these code pages, plus
letters common in those countries' names (ć and đ in Slovenian).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

# Accented (non-ASCII) lower-case letters of each Latin-script language.
LATIN: dict[str, str] = {
    # Windows-1250 (Central European)
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű",
    "sl": "čćđšž",
    "hr": "čćđšž",
    "bs": "čćđšž",
    "sr": "čćđšž",
    "cnr": "čćđšžśź",
    "ro": "ăâîșțşţ",
    "sq": "çë",
    # Windows-1252 (Western European)
    "en": "",
    "es": "áéíñóúü",
    "ca": "àçèéíïòóúü",
    "gl": "áéíñóúü",
    "eu": "ñü",
    "pt": "áàâãçéêíóôõúü",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "it": "àèéìíîòóùú",
    "de": "äöüß",
    "nl": "áàâäéèêëíïóôöúûü",
    "da": "åæøé",
    "no": "åæøéóòô",
    "sv": "åäöé",
    "fi": "åäöšž",
    "is": "áæðéíóöþúý",
    "ga": "áéíóú",
    # Windows-1257 (Baltic)
    "et": "äõöüšž",
    "lv": "āčēģīķļņšūž",
    "lt": "ąčęėįšųūž",
}
# Whole lower-case alphabets of the Cyrillic-script languages (Windows-1251).
CYRILLIC: dict[str, str] = {
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "be": "абвгдеёжзійклмнопрстуўфхцчшыьэюя",
    "bg": "абвгдежзийклмнопрстуфхцчшщъьюя",
    "mk": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
    "sr": "абвгдђежзијклљмнњопрстћуфхцчџш",
    "cnr": "абвгдђежзијклљмнњопрстћуфхцчџш",
}
# Spellings each language's orthography excludes (on the lower-case word).
_RULES: dict[str, re.Pattern[str]] = {
    "pl": re.compile("[ćńśź][aąeęioóuy]"),
    "cs": re.compile("(?<![bpvfmdtn])ě|^ů|řr|rř"),
    **dict.fromkeys(("fr", "it", "ca", "pt", "nl", "no"), re.compile("[àèìòù][aeiouyàâäæçéèêëìíîïòóôöœùúûü]")),
    "is": re.compile("^ð"),
}
# Punctuation that may sit between two letters of a name: apostrophes,
# hyphens, the Catalan middle dot (l·l).
_JOINERS = frozenset("'’ʼ`´-‐‑–·.")


def _script(char: str) -> str:
    if char.isascii():
        return "LATIN"
    return unicodedata.name(char, "").split(" ", 1)[0]  # LATIN, CYRILLIC, GREEK, ...


def implausible(word: str) -> str | None:
    """Why ``word`` cannot be a word of any language here (short, for a report), or None."""
    for i, char in enumerate(word):
        if char.isascii() or char.isalpha() or unicodedata.category(char).startswith("M"):
            continue
        before = i > 0 and word[i - 1].isalpha()
        after = i + 1 < len(word) and word[i + 1].isalpha()
        if (before or after) and unicodedata.category(char)[0] in "SN":
            return f"the sign {char!r} inside a word"
        if before and after and char not in _JOINERS:
            return f"{char!r} between two letters"
    for token in re.findall(r"[^\W\d_]+", word):
        reason = _token(token)
        if reason:
            return reason
    return None


@cache
def _token(token: str) -> str | None:
    scripts = {_script(c) for c in token}
    if len(scripts) > 1:
        return "letters of two scripts in one word"
    for prev, char in itertools.pairwise(token):
        if not char.isascii() and char.isupper() and prev.islower():
            return f"a capital {char!r} inside a word"
    if not languages(token):
        accented = "".join(sorted({c for c in token.lower() if not c.isascii()}))
        return f"no language spells a word with {', '.join(accented)} like this"
    return None


@cache
def languages(word: str) -> frozenset[str]:
    """Languages whose alphabet and spelling rules allow every letter of ``word``."""
    lower = word.lower()
    accented = {c for c in lower if c.isalpha() and not c.isascii()}
    if not accented:
        return frozenset(LATIN)
    cyrillic = {c for c in accented if _script(c) == "CYRILLIC"}
    if cyrillic:
        table, letters = CYRILLIC, set(lower)
    else:
        table, letters = LATIN, accented
    return frozenset(
        lang for lang, alphabet in table.items()
        if letters <= set(alphabet) and not (lang in _RULES and table is LATIN and _RULES[lang].search(lower))
    )
