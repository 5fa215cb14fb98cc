"""Which encoding a spreadsheet export is in, from its bytes; a guess is never taken silently.

Excel writes "CSV UTF-8" with a byte order mark, "Unicode text" as UTF-16LE
with one, and plain "CSV" in the Windows code page of the machine's
language: 1250 (Slovenian, Croatian, Polish, Montenegrin in Latin), 1251
(Montenegrin and Serbian in Cyrillic), 1252 (Spanish, Danish, English) or
1257 (Estonian). So, in order:

1. ``--encoding`` when given (the whole file must decode in it);
2. a byte order mark (UTF-8, UTF-16, UTF-32);
3. valid UTF-8 (pure ASCII counts as UTF-8);
4. NUL bytes and no mark: UTF-16/32 without a mark, as charset-normalizer
   recognises it;
5. else one of the code pages above. Those agree on ASCII and differ on
   a few letters, so each that decodes the whole file is a *reading*;
   code pages that read the same letters are one reading. The words each
   reading spells differently are judged (``letters.implausible``). A
   reading is taken when it is the only one without impossible words,
   else when only it reads the header as known columns, else when only it
   matches the file's own languages (header language, language column);
   those are strong evidence. Failing that, when only it spells every word
   in one language, or when it is the only reading at all, it is taken
   unless charset-normalizer's mess detector rejects it too. Otherwise
   ``detect`` returns the readings left, for the caller to refuse with a
   preview. charset-normalizer never picks a code page here: on names it
   picks 1250 for Spanish "Muñoz" and Estonian "Tõnu", the fault this
   replaces, and its mess detector rejects the right reading of "Õie".

The judging looks at the head of the file (``HEAD`` bytes) plus a few words
around every byte value that appears only later, so 100 000 rows cost a
few milliseconds more than decoding them; the whole file is always decoded.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

from leadex_mail.errors import ImportFailed
from leadex_mail.store import letters

HEAD = 256 * 1024
MAX_WORDS = 2000
CODE_PAGES = ("cp1252", "cp1250", "cp1257", "cp1251")  # tie order for naming one of several that read the same
DESCRIPTIONS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte order mark",
    "utf-16": "UTF-16 (Excel's Unicode text)",
    "utf-32": "UTF-32",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252 (Western European)",
    "cp1257": "Windows-1257 (Baltic)",
}
# The languages whose Windows uses each code page for "CSV" exports.
NATIVE: dict[str, frozenset[str]] = {
    "cp1250": frozenset({"pl", "cs", "sk", "hu", "sl", "hr", "bs", "sr", "cnr", "ro", "sq"}),
    "cp1251": frozenset({"ru", "uk", "be", "bg", "mk", "sr", "cnr"}),
    "cp1252": frozenset({"es", "ca", "gl", "eu", "pt", "fr", "it", "de", "nl", "da", "no", "nb", "nn", "sv", "fi", "is", "ga"}),
    "cp1257": frozenset({"et", "lv", "lt"}),
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_SEPARATORS = re.compile(rb"[\s,;\"]+")
_ASCII = bytes(range(128))


def name(encoding: str) -> str:
    """The name people know an encoding by: ``windows-1250``, ``utf-8``, ``utf-8 with BOM``."""
    if encoding.startswith("cp125"):
        return "windows-" + encoding[2:]
    return {"utf-8-sig": "utf-8 with BOM"}.get(encoding, encoding)


@dataclass(frozen=True)
class Decoded:
    """The file's text, the codec that read it and, when it was a judgement, why."""

    text: str
    encoding: str  # a Python codec name: utf-8, utf-8-sig, utf-16, cp1250, ...
    why: str = ""  # empty when the bytes left no choice (BOM, valid UTF-8, --encoding)


@dataclass(frozen=True)
class Evidence:
    """What a reading of the head says about itself (worked out by the caller, who knows CSV)."""

    known_headers: int = 0  # header cells read as known columns
    languages: frozenset[str] = frozenset()  # languages the headers and language column point to


@dataclass
class Reading:
    """One way to read a file that is in a Windows code page: code pages that give the same text."""

    code_pages: list[str]
    words: list[str] = field(default_factory=list)  # the judged words, as this reading spells them
    bad: list[tuple[str, str]] = field(default_factory=list)  # (word, why it cannot be)
    languages: frozenset[str] = frozenset()  # languages that spell every judged word
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def encoding(self) -> str:
        """The code page named for this reading: the one the evidence points to, else the first."""
        for cp in self.code_pages:
            if NATIVE[cp] & self.evidence.languages:
                return cp
        return self.code_pages[0]

    def label(self) -> str:
        """``windows-1252`` or ``windows-1252 = windows-1257`` (same text)."""
        return " = ".join(name(cp) for cp in self.code_pages)


def detect(data: bytes, encoding: str | None = None, *, judge: Callable[[str], Evidence] | None = None) -> Decoded | list[Reading]:
    """Decode ``data``: a ``Decoded``, or the readings left when a code page cannot be told for sure.

    ``encoding`` (a codec name or alias: ``windows-1252``, ``cp1257``,
    ``utf-16``) overrides detection. ``judge`` turns the decoded head of a
    reading into ``Evidence``. ImportFailed when nothing decodes the file.
    """
    if encoding:
        return _given(data, encoding)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(_strict(data, codec), codec)
    head = data[:HEAD]
    try:
        text = data.decode("utf-8")
        if head.count(0) * 8 < len(head):  # a stray NUL in a cell; UTF-16/32 text without a mark is a third or more NUL
            return Decoded(text, "utf-8")
        return _without_bom(data)  # NULs are valid UTF-8: "e\x00m\x00a\x00i\x00l\x00" must not be read as such
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if b"\x00" in head:
        return _without_bom(data)
    if data[: utf8_error.start].decode("utf-8") != data[: utf8_error.start].decode("latin-1"):
        # Valid multi-byte UTF-8 before the bad byte: two encodings in one file.
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise ImportFailed(
            f"line {line}: the file is UTF-8 up to here, but byte 0x{data[utf8_error.start]:02X} is not (two encodings in one file)",
            hint="save the sheet again as 'CSV UTF-8', or give --encoding if you know it", code="two_encodings", line=line,
        )
    return _code_page(data, judge or (lambda text: Evidence()))


def _given(data: bytes, encoding: str) -> Decoded:
    hint = "use utf-8, utf-16, windows-1250, windows-1251, windows-1252 or windows-1257"
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ImportFailed(f"--encoding {encoding}: no such encoding", hint=hint, code="no_such_encoding", encoding=encoding) from None
    try:
        _text_codec(codec)
    except LookupError:
        raise ImportFailed(f"--encoding {encoding}: not a text encoding (it turns bytes into other bytes)", hint=hint, code="not_text_encoding", encoding=encoding) from None
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    return Decoded(_strict(data, codec, given=True), codec)


def _text_codec(codec: str) -> None:
    """LookupError unless ``codec`` decodes bytes to text: rot13, base64, hex and zlib are codecs, not text encodings."""
    try:
        b"a".decode(codec)  # (not b"": Python decodes empty bytes without looking the codec up)
    except UnicodeError:
        pass  # a text encoding that needs more than one byte (utf-16)


def _strict(data: bytes, codec: str, *, given: bool = False) -> str:
    how = "given with --encoding" if given else "its byte order mark says"
    hint = "check --encoding, or save the sheet again as 'CSV UTF-8'" if given else "save the sheet again as 'CSV UTF-8'"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFailed(f"line {line}: the file is not {name(codec)} as {how} (byte 0x{data[exc.start]:02X})", hint=hint, code="not_in_encoding", encoding=name(codec), line=line, given=int(given)) from None
    except (UnicodeError, ValueError) as exc:  # codecs such as idna or punycode fail without a position
        raise ImportFailed(f"the file is not {name(codec)} as {how} ({exc})", hint=hint, code="not_in_encoding", encoding=name(codec), line=0, given=int(given)) from None


def odd_words(text: str, limit: int = 3) -> list[tuple[str, str]]:
    """Up to ``limit`` words of ``text`` (its head) no language spells so, with why: a file read in the wrong encoding.

    ``Špela`` read as Windows-1252 is ``Å\xa0pela``; ``Muñoz`` read as 1250 is ``Muńoz``.
    """
    found: list[tuple[str, str]] = []
    for word in dict.fromkeys(re.split(r"[\s,;\"]+", text[:HEAD])):
        why = None if word.isascii() else letters.implausible(word)
        if why:
            found.append((word, why))
            if len(found) >= limit:
                break
    return found


def _without_bom(data: bytes) -> Decoded:
    """UTF-16 or UTF-32 with no byte order mark, when charset-normalizer is sure which."""
    found = [m for m in from_bytes(data[:HEAD], cp_isolation=["utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"]) if m.chaos == 0]
    if len(found) == 1:
        codec = codecs.lookup(found[0].encoding).name
        return Decoded(_strict(data, codec), codec, why="by charset-normalizer: no byte order mark, but the file reads cleanly in it")
    raise ImportFailed(
        "the file holds NUL bytes but no byte order mark: it is not a text export this import can read for sure",
        hint="save the sheet again as 'CSV UTF-8' (or 'Unicode text'), or give --encoding utf-16-le", code="nul_without_mark",
    )


def _code_page(data: bytes, judge: Callable[[str], Evidence]) -> Decoded | list[Reading]:
    high = bytes(sorted(set(data.translate(None, _ASCII))))
    readings: dict[str, Reading] = {}
    for cp in CODE_PAGES:
        try:
            text = high.decode(cp)
        except UnicodeDecodeError:
            continue  # a byte this code page does not define: not this one
        readings.setdefault(text, Reading([])).code_pages.append(cp)
    if not readings:
        byte = max(high, key=lambda b: sum(_undefined(b, cp) for cp in CODE_PAGES))  # the byte most of them lack
        line = data.count(b"\n", 0, data.index(bytes([byte]))) + 1
        raise ImportFailed(
            f"line {line}: the file is neither UTF-8 nor a Windows code page (1250, 1251, 1252, 1257) (byte 0x{byte:02X})",
            hint="save the sheet again as 'CSV UTF-8', or give --encoding if you know it", code="no_code_page", line=line,
        )
    found = list(readings.values())
    # One reading: judge all its accented words (a file in another encoding
    # altogether reads oddly); several: only the words they read differently.
    words = _evidence_words(data, high if len(found) == 1 else _differing(high, found))
    for reading in found:
        _judge_words(reading, words)
        reading.evidence = judge(data[:HEAD].decode(reading.code_pages[0], "replace"))
    chosen, why, strong = _choose(found)
    candidates = [r for r in found if not r.bad] or found
    if chosen is not None and not strong and set(chosen.code_pages) <= _garbled(words, found):
        # A second opinion may only add doubt to a choice made on letter
        # statistics; it never picks one, nor overrules the file's own
        # evidence: its mess detector alone rejects the right reading of
        # "Õie Ööbik" (Estonian) and picks 1250 for "Muñoz" (Spanish).
        chosen.bad.append(("", "charset-normalizer's mess detector finds this reading garbled"))
        chosen = None
    if chosen is None:
        return candidates
    return Decoded(data.decode(chosen.encoding), chosen.encoding, why=why)


def _undefined(byte: int, cp: str) -> bool:
    try:
        bytes([byte]).decode(cp)
    except UnicodeDecodeError:
        return True
    return False


def _differing(high: bytes, readings: list[Reading]) -> bytes:
    """The byte values the readings decode differently (the only ones worth judging)."""
    return bytes(b for b in high if len({bytes([b]).decode(r.code_pages[0]) for r in readings}) > 1)


def _evidence_words(data: bytes, differ: bytes) -> list[bytes]:
    """Distinct words holding a differing byte: from the head, plus a few around each value seen only later."""
    wanted = frozenset(differ)
    words: dict[bytes, None] = {}
    for word in _SEPARATORS.split(data[:HEAD]):
        if not word.isascii() and wanted.intersection(word):
            words.setdefault(word)
            if len(words) >= MAX_WORDS:
                return list(words)
    seen = {b for w in words for b in w}
    for byte in wanted - seen:
        at = HEAD
        for _ in range(5):
            at = data.find(bytes([byte]), at)
            if at < 0:
                break
            start = max((m.end() for m in _SEPARATORS.finditer(data, max(0, at - 200), at)), default=max(0, at - 200))
            end = _SEPARATORS.search(data, at)
            words.setdefault(data[start : end.start() if end else len(data)])
            at += 1
    return list(words)


def _garbled(words: list[bytes], readings: list[Reading]) -> set[str]:
    """Code pages whose reading of the judged words charset-normalizer's mess detector rejects."""
    pages = [cp for r in readings for cp in r.code_pages]
    sample = b"\n".join(words)[: 64 * 1024]
    kept = {codecs.lookup(m.encoding).name for m in from_bytes(sample, cp_isolation=pages)} & set(pages)
    return set(pages) - kept if kept else set()  # none kept: no opinion (e.g. too little text)


def _judge_words(reading: Reading, words: Collection[bytes]) -> None:
    cover: frozenset[str] | None = None
    for raw in words:
        word = raw.decode(reading.code_pages[0])
        reading.words.append(word)
        why = letters.implausible(word)
        if why:
            reading.bad.append((word, why))
            continue
        for token in re.findall(r"[^\W\d_]+", word):
            if not token.isascii():
                fits = letters.languages(token)
                cover = fits if cover is None else cover & fits
    reading.languages = cover or frozenset()


def _choose(readings: list[Reading]) -> tuple[Reading | None, str, bool]:
    """``(the one reading the evidence supports, why, whether the evidence is strong)``; no reading when it is not one.

    Strong: the other readings hold impossible words, or only this one
    reads the header, or the file's own languages point to it. Weak: the
    only code page that defines every byte, or only it spells every word
    in one language.
    """
    if len(readings) == 1:
        only = readings[0]
        if only.bad:
            return None, "", False
        return only, "as the only one of them that defines every byte" if len(only.code_pages) == 1 else f"({only.label()}: they read the same)", False
    clean = [r for r in readings if not r.bad]
    others = [r for r in readings if r.bad]
    if len(clean) == 1:
        word, why = others[0].bad[0]
        return clean[0], f"by the letters: {others[0].label()} would read {word!r} ({why})", True
    if not clean:
        return None, "", False
    best = max(r.evidence.known_headers for r in clean)
    headed = [r for r in clean if r.evidence.known_headers == best]
    if len(headed) == 1:
        return headed[0], "by the header: only it reads the column names as known ones", True
    evidenced = [r for r in headed if any(NATIVE[cp] & r.evidence.languages for cp in r.code_pages)]
    if len(evidenced) == 1:
        langs = ", ".join(sorted(evidenced[0].evidence.languages & NATIVE[evidenced[0].encoding]))
        return evidenced[0], f"by the file's own language ({langs}): Windows in it writes CSV in this code page", True
    single = [r for r in headed if r.languages]
    if len(single) == 1:
        return single[0], f"by the letters: only it spells every word in one language ({', '.join(sorted(single[0].languages))})", False
    return None, "", False
