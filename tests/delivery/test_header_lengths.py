"""Every header with human text, on every message the project writes, stays within RFC 2047 and RFC 5322 limits.

Tester's finding a11 #6: a long subscriber name became one encoded word of
92 characters (RFC 2047 2: at most 75) on a line of 92 octets (RFC 5322
2.1.1: 78). The class: every header that carries people's text (To, From,
Reply-To, Subject, List-Id), every way it is encoded (plain ASCII, quoted,
Q, B; Latin, Cyrillic, CJK, emoji sequences, combining marks, words without
spaces), on every message (campaign mail, [TEST] mail, the .eml preview, a
one-off message such as the confirmation). A sweep over scripts and lengths
(around the 42-byte and 56-character edges of one encoded word, and far
past them) builds each message, parses it with ``policy.strict`` (a defect
raises) and checks every encoded word, every line and the decoded text.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from delivery_helpers import NONCE, make_edition, make_settings
from test_header_encoding import CPYTHON_128110, phrase_readings

from leadex_mail.content.model import Brand
from leadex_mail.delivery.message import Recipient, build_preview, build_template, build_transactional

# Repeated to the length asked: words as people write them in each script.
SCRIPTS = {
    "ascii": "Ana Novak Interreg Europe LeadEx ",
    "ascii-specials": "Novak, Ana (LeadEx) \"Ani\" ",
    "ascii-no-spaces": "a" * 80 + ".b",  # the reported second name
    "latin": "Štefanič Zupančič Potočnik Kovačič ",
    "latin-no-spaces": "čšžćđ",
    "cyrillic": "Агенція регіонального розвитку ",
    "cjk": "学习卓越教育方法的领导力",
    "emoji": "👩‍🏫🇪🇺👍🏽❤️🎉 ",
    "combining": "c\u030ce\u0301s\u030c ",  # decomposed č é š: base letter and combining mark
    "emoji-no-spaces": "👩‍🏫👍🏽🇪🇺❤️",
    "combining-no-spaces": "c\u030ce\u0301s\u030c",
}
LENGTHS = [1, 20, 41, 42, 43, 56, 57, 68, 76, 150, 400]
REPORTED = "Prof.Dr.Ana-Marija Novak-Kovačič Štefanič Zupančič Horvat Krajnc Potočnik Kos"
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
HUMAN = ("From", "To", "Reply-To", "Subject", "List-Id")
Q_PHRASE = re.compile(r"[A-Za-z0-9!*+\-/=_]*")  # RFC 2047 5(3): what Q text may hold in a phrase


def text_of(script: str, length: int) -> str:
    """``length`` characters of ``script``'s sample, repeated; never ending inside a base+mark pair."""
    sample = SCRIPTS[script]
    text = (sample * (length // len(sample) + 1))[:length]
    return text.strip() or sample.strip()[:1]


CASES = [REPORTED, "a" * 80 + ".b"] + [text_of(script, n) for script in SCRIPTS for n in LENGTHS]


def messages(text: str) -> dict[str, bytes]:
    """The messages the project writes, with ``text`` as every human header value."""
    brand = Brand(name=text, from_address="novice@leadex.example.org")
    settings = make_settings(from_name=text, reply_to=f"{text} <urednistvo@example.org>")
    edition = dataclasses.replace(make_edition(), subject=text)
    recipient = Recipient(1, "ana@example.org", text, link_nonce=NONCE)
    return {
        "campaign": build_template(edition, settings, brand, campaign_id=7, sign=False).for_recipient(recipient).data,
        "test": build_template(edition, settings, brand, campaign_id=0, test=True, sign=False).for_recipient(recipient).data,
        "preview": build_preview(edition, settings, brand),
        "one-off": build_transactional(settings, brand, to=f"{text} <ana@example.org>", subject=text, text="x\n"),
    }


def raw_headers(data: bytes) -> list[tuple[str, list[bytes]]]:
    """(name, physical lines) of every header, as sent."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    out: list[tuple[str, list[bytes]]] = []
    for line in head:
        if line[:1] in (b" ", b"\t"):
            out[-1][1].append(line)
        else:
            out.append((line.split(b":", 1)[0].decode("ascii"), [line]))
    return out


def check_limits(name: str, lines: list[bytes], where: str) -> None:
    """Every encoded word within 75 characters and whole; every line within 78 octets unless one unbreakable token fills it."""
    value = b" ".join(line.strip() for line in lines).decode("ascii")
    for line in lines:
        rest = line.removeprefix(name.encode() + b":").strip()
        assert len(line) <= 78 or (b" " not in rest and not ENCODED_WORD.search(rest.decode())), (where, line)
    phrase = name in ("From", "To", "Reply-To", "List-Id")
    for match in ENCODED_WORD.finditer(value):
        assert len(match.group()) <= 75, (where, match.group())  # RFC 2047 2
        assert match.group(1).lower() == "utf-8", (where, match.group())
        if match.group(2) in "qQ" and phrase:
            assert Q_PHRASE.fullmatch(match.group(3)), (where, match.group())
        make_header(decode_header(match.group())).__str__().encode("utf-8")  # whole characters: decodes strictly
    pieces = [str(make_header(decode_header(w))) for w in re.findall(r"=\?\S+\?= (?==\?)|(?<=\?= )=\?\S+\?=", value)]
    for left, right in zip(pieces, pieces[1:]):  # a cut never falls inside a grapheme cluster
        assert not continues(left[-1], right[0]), (where, left, right)


def continues(last: str, first: str) -> bool:
    """True when ``first`` would continue ``last``'s grapheme cluster: a mark, a joiner, a skin tone, a variation selector."""
    return "\u200d" in (last, first) or unicodedata.category(first) in ("Mn", "Mc", "Me") or "\U0001f3fb" <= first <= "\U0001f3ff"


@pytest.mark.parametrize("text", CASES, ids=[f"{len(c)}-{c[:12]}" for c in CASES])
def test_every_human_header_is_within_the_limits_and_reads_back(text):
    expected_name = " ".join(text.split())
    for kind, data in messages(text).items():
        msg = message_from_bytes(data, policy=policy.strict)  # raises on a message defect
        for name, lines in raw_headers(data):
            check_limits(name, lines, f"{kind} {name}")
        for name in HUMAN:
            assert not getattr(msg[name], "defects", ()), (kind, name, msg[name].defects)
        subject = str(msg["Subject"])
        assert subject == ("[TEST] " + text if kind == "test" else text), (kind, data[:600])
        for name in ("From", "Reply-To") if kind == "preview" else ("From", "To", "Reply-To"):  # the preview is to "Preview"
            raw = dict(msg.raw_items())[name].replace("\r\n", "").strip()
            shown = raw.rpartition(" <")[0]
            rfc, python = (expected_name, expected_name) if shown.startswith('"') else phrase_readings(shown)
            assert rfc == expected_name, (kind, name, raw)  # RFC 2047 6.2: exactly what was written
            assert msg[name].addresses[0].display_name == (python if CPYTHON_128110 else rfc), (kind, name, raw)
        if kind != "one-off":
            raw = dict(msg.raw_items())["List-Id"].replace("\r\n", "").strip()
            shown = raw.rpartition(" <")[0]
            rfc = expected_name if shown.startswith('"') else phrase_readings(shown)[0]
            assert rfc == expected_name, (kind, raw)


def test_the_reported_name_is_cut_after_spaces_into_words_of_at_most_75():
    """The reported name: three encoded words (each after a space), plain atoms between, three lines within 78."""
    from leadex_mail.delivery.headers import format_address, header_line

    line = header_line("To", format_address(REPORTED, "ana@example.org"))
    words = ENCODED_WORD.findall(line.decode("ascii"))
    assert len(words) >= 2 and all(len(f"=?{c}?{e}?{t}?=") <= 75 for c, e, t in words), line
    assert all(len(physical) <= 78 for physical in line.split(b"\r\n")), line
    shown = line.decode("ascii").replace("\r\n", "").removeprefix("To: ").rpartition(" <")[0]
    assert phrase_readings(shown)[0] == REPORTED
