"""Subjects and display names decode to exactly what was written (RFC 2047), folded within 78 octets.

Two independent readers decode every header: ``email.policy.default`` (the
modern parser: the same ``header_source_parse`` / ``header_fetch_parse``
calls the message parser makes per header, without re-parsing a whole
message each time) and ``email.header.decode_header`` + ``make_header`` on
the value as a ``compat32`` message returns it, unfolded (RFC 5322 2.2.3)
and, where it holds encoded words, also as folded.

Every encoded word is within RFC 2047's 75 characters (tester's finding
a11 #6: a long name made one encoded word of 92 characters). A display name
longer than one encoded word is then split over adjacent encoded words,
which decode_header (RFC 2047 6.2) and mail clients join exactly, while
Python's ``policy.default`` reads one space more at each cut (CPython issue
128110, open): the tests check exactly that reading, and that the cuts fall
after a space when the name has one (a doubled space, never a space inside
a word). Names that fit one encoded word read exactly in both.
"""

from __future__ import annotations

import dataclasses
import random
import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from delivery_helpers import NONCE, make_edition, make_settings, parse

from leadex_mail.content.model import Brand
from leadex_mail.delivery.message import Recipient, build_template, build_transactional, format_address

# Reported: Python's folder put the real space between two encoded words (CPython 92081).
REPORTED_SUBJECT = "Srečanje v Varaždinu 🎉: kaj smo se naučili o učenju"  # main read "smo senaučili"
REPORTED_NAME = "Varaždinska županija – Upravni odjel za obrazovanje, kulturu i šport"  # main read "ob razovanje"

WORDS = {
    "sl": "smo se naučili Novice št. Učitelji šolstvo Žiga Čeh ključne kompetence vseživljenjsko učenje srečanje LeadEx".split(),
    "hr": "Varaždinska županija učenje đak Đurđevac obrazovanje cjeloživotno Ćiro šport".split(),
    "et": "Haridus õppimine täiskasvanute ülikool Tallinn Õpetaja jäätis Noorteamet".split(),
    "es": "Región de Murcia educación niño ¿Qué aprendemos? ¡Hola! año señor Consejería".split(),
    "en": "LeadEx No. 1 April 2026 Interreg Europe kick-off meeting the of and".split(),
}
EMOJI = ["🎉", "📚", "👩‍🏫", "🇪🇺", "✨", "👍🏽", "❤️"]
PUNCT = [
    '"', "'", "„", "“", "”", "«", "»", ",", "(", ")", "[TEST]", "\\", "=?", "?=", "=?utf-8?q?x?=",
    "_", "=", "?", "<", ">", "@", ";", ":", "–", "—", "…", "\u00a0", ".", "!", "#",
]  # fmt: skip
WRAPS = [('"', '"'), ("(", ")"), ("„", "“"), ("", ","), ("", ":"), ("", "!"), ("'", "'"), ("\\", ""), ("", "\\")]
CASES = 100_000  # random values: half written as a Subject, half as a display name
CHUNKS = 4  # separate tests, so that pytest-xdist can spread them


def random_word(rng: random.Random) -> str:
    """A word as officers and subscribers write them: mostly real words, some emoji, punctuation, long runs."""
    r = rng.random()
    if r < 0.70:
        word = rng.choice(WORDS[rng.choice(list(WORDS))])
    elif r < 0.78:
        word = rng.choice(EMOJI)
    elif r < 0.88:
        word = rng.choice(PUNCT)
    elif r < 0.96:
        word = rng.choice(WORDS[rng.choice(list(WORDS))]) + rng.choice(WORDS[rng.choice(list(WORDS))])
    else:  # a long word: a URL-like run, a compound, emoji in a row
        alphabet = rng.choice(["abcdefghij", "abcčšžđć", "ab🎉", "abc-./=?_"])
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(20, 90)))
    if rng.random() < 0.15:
        before, after = rng.choice(WRAPS)
        word = before + word + after
    if rng.random() < 0.1:
        word += rng.choice(EMOJI)
    return word


def random_text(rng: random.Random, max_words: int) -> str:
    """Words with single spaces mostly, sometimes runs of spaces, and spaces at either end."""
    out = " " * rng.randint(1, 3) if rng.random() < 0.1 else ""
    for i in range(rng.randint(1, max_words)):
        if i:
            out += " " if rng.random() < 0.85 else " " * rng.randint(2, 4)
        out += random_word(rng)
    if rng.random() < 0.1:
        out += " " * rng.randint(1, 3)
    return out


def source_lines(line: bytes) -> list[str]:
    """A folded header line as the parser hands it to a policy: one string per physical line, CRLF kept."""
    return [part + "\r\n" for part in line.decode("utf-8").split("\r\n")[:-1]]


def decoded_by_default(line: bytes) -> object:
    """The header object ``email.policy.default`` makes of a folded header line."""
    return policy.default.header_fetch_parse(*policy.default.header_source_parse(source_lines(line)))


def decoded_by_decode_header(line: bytes) -> list[str]:
    """``decode_header`` + ``make_header`` of the compat32 value: unfolded, and as folded when it has encoded words."""
    value = policy.compat32.header_source_parse(source_lines(line))[1].rstrip("\r\n")
    readings = [str(make_header(decode_header("".join(value.splitlines()))))]
    if "=?" in value and "\r\n" in value:  # decode_header reads folded lines one by one
        readings.append(str(make_header(decode_header(value))))
    return readings


def assert_line_lengths(line: bytes) -> None:
    name = line.split(b":", 1)[0] + b":"
    for physical in line.split(b"\r\n")[:-1]:
        # Longer only when one unbreakable word (an address, a name's encoded word) is alone on its line.
        assert len(physical) <= 78 or b" " not in physical.removeprefix(name).strip(), line
        assert len(physical) <= 998, line


def check_subject(text: str) -> None:
    from leadex_mail.delivery.headers import header_line, unstructured

    line = header_line("Subject", unstructured(text))
    assert_line_lengths(line)
    assert str(decoded_by_default(line)) == text, line
    for reading in decoded_by_decode_header(line):
        assert reading == text, line


def _parser_joins_adjacent_words_with_a_space() -> bool:
    """True on Pythons with CPython issue 128110 (policy.default adds a space between adjacent encoded words in a phrase)."""
    line = b"To: =?utf-8?q?a?= =?utf-8?q?b?= <x@example.org>\r\n"
    return decoded_by_default(line).addresses[0].display_name != "ab"  # type: ignore[attr-defined]


CPYTHON_128110 = _parser_joins_adjacent_words_with_a_space()


def adjacent_encoded_words(value: str) -> bool:
    """True when two encoded words stand side by side (CPython 128110 misreads them in a phrase; decode_header does not)."""
    return re.search(r"\?= =\?", value) is not None


def phrase_readings(value: str) -> tuple[str, str]:
    """How a display name reads: (by RFC 2047 6.2, by a reader with CPython issue 128110).

    ``value`` is a phrase as built here: words and encoded words separated
    by single spaces. The RFC drops the space between two adjacent encoded
    words; ``policy.default`` keeps it.
    """
    rfc, python = "", ""
    previous_encoded = False
    for i, word in enumerate(value.split(" ")):
        encoded = word.startswith("=?") and word.endswith("?=")
        text = str(make_header(decode_header(word))) if encoded else word
        if word.startswith('"'):  # the whole phrase as one quoted string
            text = re.sub(r"\\(.)", r"\1", word[1:-1]) if word.endswith('"') and len(word) > 1 else word
        rfc += ("" if i == 0 or (encoded and previous_encoded) else " ") + text
        python += ("" if i == 0 else " ") + text
        previous_encoded = encoded
    return rfc, python


def check_name(name: str, address: str = "ana@example.org") -> None:
    """Check one display name: every encoded word within RFC 2047's 75 characters, lines within 78.

    Exact under decode_header (RFC 2047 6.2) always; exact under policy.default
    too unless the name is split over adjacent encoded words, where that
    parser reads one space more at each cut (CPython issue 128110): exactly
    that reading, and the cuts fall after a space when the name has one.
    """
    from leadex_mail.delivery.headers import header_line

    expected = " ".join(name.split())  # a phrase's white space runs are one space (RFC 5322 3.2.2)
    value = format_address(name, address)
    line = header_line("To", value)
    assert_line_lengths(line)
    parsed = decoded_by_default(line).addresses[0]  # type: ignore[attr-defined]
    assert parsed.addr_spec == address, line
    for word in re.findall(r"=\?[^ ]*\?=", value):
        assert len(word) <= 75, line  # RFC 2047 2
    shown = value.rpartition(" <")[0] if " <" in value else ""
    rfc, python = phrase_readings(shown) if shown else ("", "")
    if shown.startswith('"'):
        rfc = python = expected
    assert rfc == expected, line
    if adjacent_encoded_words(value) and CPYTHON_128110:
        assert parsed.display_name == python, line
        for left in re.findall(r"(=\?[^ ]*\?=) (?==\?)", shown):  # a cut falls after a space when the piece has one
            text = str(make_header(decode_header(left)))
            assert " " not in text or text.endswith(" "), line
    else:
        assert parsed.display_name == expected, line
    quoted = '"' + expected.replace("\\", "\\\\").replace('"', '\\"') + '"'
    shown_values = {f"{expected} <{address}>" if expected else f"<{address}>", f"{quoted} <{address}>"}
    for reading in decoded_by_decode_header(line):
        assert reading in shown_values, line


def assert_display_name(msg, header: str, expected: str) -> None:
    """``msg``'s ``header`` (one address) names ``expected`` by RFC 2047 6.2, and reads as policy.default should."""
    raw = dict(msg.raw_items())[header].replace("\r\n", "")
    shown = raw.strip().rpartition(" <")[0]
    rfc, python = phrase_readings(shown) if shown and not shown.startswith('"') else (expected, expected)
    assert rfc == expected, raw
    assert msg[header].addresses[0].display_name == (python if CPYTHON_128110 else rfc), raw


@pytest.fixture
def brand() -> Brand:
    return Brand(from_address="novice@leadex.example.org")


@pytest.mark.parametrize("test", [False, True])
def test_reported_subject_keeps_the_space_between_se_and_naucili(brand, test):
    """The reported subject, as a campaign mail and as a [TEST] mail, read by both decoders."""
    edition = dataclasses.replace(make_edition(), subject=REPORTED_SUBJECT)
    template = build_template(edition, make_settings(), brand, campaign_id=7, test=test)
    data = template.for_recipient(Recipient(1, "a@example.org", None, link_nonce=NONCE)).data
    expected = ("[TEST] " if test else "") + REPORTED_SUBJECT
    assert parse(data)["Subject"] == expected
    subject_line = re.search(rb"^Subject:.*?\r\n(?! )", data, re.S | re.M).group(0)  # type: ignore[union-attr]
    assert decoded_by_decode_header(subject_line) == [expected] * len(decoded_by_decode_header(subject_line))
    check_subject(expected)


def test_reported_sender_name_reads_back_exactly_in_campaign_and_confirmation_mail(brand):
    settings = make_settings(from_name=REPORTED_NAME, reply_to=f"{REPORTED_NAME} <urednistvo@example.org>")
    template = build_template(make_edition(), settings, brand, campaign_id=7)
    campaign = parse(template.for_recipient(Recipient(1, "a@example.org", REPORTED_NAME, link_nonce=NONCE)).data)
    confirmation = parse(build_transactional(settings, brand, to="b@example.org", subject=REPORTED_SUBJECT, text="Potrdite.\n"))
    for msg in (campaign, confirmation):
        assert msg["From"].addresses[0].display_name == REPORTED_NAME
        assert msg["Reply-To"].addresses[0].display_name == REPORTED_NAME
        assert msg["Reply-To"].addresses[0].addr_spec == "urednistvo@example.org"
    assert campaign["To"].addresses[0].display_name == REPORTED_NAME
    assert confirmation["Subject"] == REPORTED_SUBJECT and confirmation["To"].addresses[0].addr_spec == "b@example.org"
    check_name(REPORTED_NAME)


@pytest.mark.parametrize(
    "text",
    ["", " ", "  a", "a  ", "a  b", "smo se naučili", " ž", "ž ", "ž  ž", "a (ž)", "(ž) a", "ž (a", "a\\ ž", "=?utf-8?q?x?=", "x =?", "🎉" * 40,
     "č" * 200, "[TEST] " + "a" * 100, "\u00a0ž\u00a0", '"Novak, Ana" ž'],
)  # fmt: skip
def test_edge_subjects(text):
    check_subject(text)


@pytest.mark.parametrize(
    "name",
    ["", "   ", "Ana", " Ana  Novak ", "Novak, Ana", 'Ana "Ani" Novak', "a\\b", "Žiga Čeh", "=?utf-8?q?x?=",
     "ana@example.org", "(x)", "🎉", "Ana\u00a0Novak",
     # reported (finding i8/a8 #10): policy.default read "ÕÄÖÜ  ühiskondlik" with two spaces
     "Ülikoolide ühendus ÕÄÖÜ ühiskondlik koostöö ühisprojekt õppimiseks",
     "Агенція регіонального розвитку Львівської області LeadEx", "ž" * 400, "Ana " + "č" * 600 + " Novak"],
)
def test_edge_names(name):
    check_name(name)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_subjects_and_names_decode_exactly(chunk):
    """100 000 random values over the chunks, half as subjects, half as names (seeded: a failure shows its input)."""
    rng = random.Random(20260401 + chunk)
    for _ in range(CASES // CHUNKS // 2):
        check_subject(random_text(rng, 12))
        check_name(random_text(rng, 4))


def test_full_messages_with_random_subjects_and_names(brand):
    """The same values through the real message builder (campaign, [TEST] and confirmation), parsed whole."""
    rng = random.Random(8)
    base = make_edition()
    settings = make_settings()
    for i in range(300):
        subject, name = random_text(rng, 10), random_text(rng, 3)
        edition = dataclasses.replace(base, subject=subject)
        template = build_template(edition, settings, brand, campaign_id=7, test=bool(i % 2), sign=False)
        msg = message_from_bytes(template.for_recipient(Recipient(1, "a@example.org", name, link_nonce=NONCE)).data, policy=policy.default)
        assert msg["Subject"] == ("[TEST] " if i % 2 else "") + subject
        assert_display_name(msg, "To", " ".join(name.split()))
        confirmation = parse(build_transactional(settings, brand, to="b@example.org", subject=subject, text="x\n"))
        assert confirmation["Subject"] == subject


# -- List-Unsubscribe --------------------------------------------------------------


def list_unsubscribe_lines(data: bytes) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    match = re.search(rb"^List-Unsubscribe:.*?\r\n(?! )", head + b"\r\n", re.S | re.M)
    return match.group(0).split(b"\r\n")[:-1]  # type: ignore[union-attr]


@pytest.mark.parametrize("mailto", [None, "odjava@example.org", "mailto:odjava@lists.leadex.example.org?subject=unsubscribe%20me"])
@pytest.mark.parametrize("public_url", ["https://lx.example", "https://news.example.org", "https://www.interregeurope.eu/leadex/newsletter"])
def test_list_unsubscribe_is_folded_between_its_entries_within_78_octets(brand, public_url, mailto):
    """Each line within 78 octets unless one <URI> alone is longer (a URI is never folded inside)."""
    settings = make_settings(public_url=public_url, unsubscribe_mailto=mailto)
    data = build_template(make_edition(), settings, brand, campaign_id=7).for_recipient(Recipient(1, "a@example.org", None, link_nonce=NONCE)).data
    lines = list_unsubscribe_lines(data)
    for line in lines:
        entry = line.removeprefix(b"List-Unsubscribe:").strip()
        assert len(line) <= 78 or len(b" " + entry) > 78, lines
        assert entry.count(b"<") == (1 if entry else 0), lines  # one entry per line (the first may be the name alone)
    msg = parse(data)
    url = msg["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert url.startswith(public_url + "/unsubscribe/") and " " not in url
    assert len(lines) == (2 if mailto else 1) + (lines[0] == b"List-Unsubscribe:")


def test_a_uri_that_fits_on_a_line_of_its_own_goes_there():
    """``List-Unsubscribe: <72-character URI>,`` is 93 octets; folded after the colon it is 76."""
    from leadex_mail.delivery.headers import list_unsubscribe

    url = "https://lx.example/unsubscribe/" + "A" * 41
    line = list_unsubscribe(url, "odjava@example.org")
    assert line == f"List-Unsubscribe:\r\n <{url}>,\r\n <mailto:odjava@example.org?subject=unsubscribe>\r\n".encode()
    # The folding white space before the first entry is not part of the value (RFC 5322 3.2.2).
    assert parse(line + b"\r\n")["List-Unsubscribe"].strip() == f"<{url}>, <mailto:odjava@example.org?subject=unsubscribe>"
