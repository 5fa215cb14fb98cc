"""Ready bytes for SMTP: dot-stuffing once per edition gives exactly what stuffing each message gives.

The reference is smtplib's own ``_quote_periods`` (RFC 5321 4.5.2
transparency); through a real server the receiver gets the original bytes.
"""

from __future__ import annotations

import itertools
import random
import smtplib

import pytest
from delivery_helpers import NONCE, make_edition, make_settings, smtp_settings

from leadex_mail.content.model import Brand
from leadex_mail.delivery import wire
from leadex_mail.delivery.message import MessageTemplate, Recipient, build_template
from leadex_mail.delivery.smtp import SmtpTransport, dot_stuff
from leadex_mail.render.result import PLACEHOLDERS as P
from leadex_mail.render.result import RenderedEdition

# Static text with "." at line starts: alone on a line, doubled, first and last line.
DOTTY = ".first\n..two\n.\nplain . text\n. spaced\n"


def reference(data: bytes) -> bytes:
    """What smtplib's SMTP.data sends before the final ".": its regex, then a CRLF if missing."""
    quoted = smtplib._quote_periods(data)
    return quoted if quoted.endswith(b"\r\n") else quoted + b"\r\n"


def test_stuff_is_smtplibs_quote_periods_for_every_short_input():
    for n in range(7):
        for chars in itertools.product([b".", b"\r", b"\n", b"a"], repeat=n):
            data = b"".join(chars)
            assert wire.stuff(data) == smtplib._quote_periods(data), data
            assert wire.dot_stuff(data) == reference(data), data


def dotty_edition(images: bool) -> RenderedEdition:
    """An edition whose static text and HTML put "." at line starts, around every placeholder."""
    body = "".join(f"{DOTTY}{P[key]}\n.after {key}\n" for key in sorted(P)) + DOTTY
    base = make_edition(images=images)
    return RenderedEdition(base.slug, "sl", "Pike", "", body, body, "h", base.inline_images)


@pytest.mark.parametrize("images", [False, True])
def test_ready_bytes_equal_stuffing_each_whole_message(images):
    """Values that put "." at a line start (name, every link slot) are stuffed when encoded, exactly."""
    settings = make_settings()
    template = build_template(dotty_edition(images), settings, Brand(), campaign_id=5)
    assert template.wire_pieces is not None  # the once-per-edition path, not the fallback
    rng = random.Random(11)
    alphabet = ".\n. a=é"
    for name in ["", ".Ana", ". .", "Ana\n.Bo", "x" * 74 + ".", "é" * 30 + "\n.", "." * 80]:
        values = {key: "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120))) for key in P}
        values["name"] = name
        out = template.fill(to=f"<{name.strip() or 'a'}@example.org>".replace("\n", ""), recipient="a@example.org", values=values, unsubscribe_url="https://x.example.org/u")
        assert out.wire == reference(out.data)
        assert out.wire != out.data  # there was something to stuff
    per_recipient = template.for_recipient(Recipient(1, "a@example.org", ".Ana", link_nonce=NONCE))
    assert per_recipient.wire == reference(per_recipient.data)


def test_a_piece_that_does_not_start_a_line_makes_each_message_stuffed_whole():
    """The fallback: a static piece ending mid-line before a slot, so the slot's value starts mid-line."""
    template = MessageTemplate("s", "sl", 1, make_settings(), "a@example.org", "example.org", [b"Subject: x\r\n\r\nx", ("text", "name"), b"\r\n.end\r\n"])
    assert template.wire_pieces is None
    out = template.fill(to="<a@example.org>", recipient="a@example.org", values={"name": ".Ana"}, unsubscribe_url="https://x.example.org/u")
    assert out.wire == reference(out.data)


def test_ready_bytes_arrive_as_the_original_message(faulty):
    """Through a real server (aiosmtpd un-stuffs): the exact bytes, with "." at line starts in static parts and values."""
    sink, port = faulty()
    template = build_template(dotty_edition(False), make_settings(), Brand(), campaign_id=6)
    out = template.for_recipient(Recipient(2, "ana@example.org", ".Ana", link_nonce=NONCE))
    assert b"\r\n.Ana" in out.data or out.data.count(b"\r\n.") > 3
    transport = SmtpTransport(smtp_settings(port))
    try:
        transport.send(out.envelope_from, [out.recipient], out.data, stuffed=out.wire)
    finally:
        transport.close()
    ((_, rcpt, got),) = sink.received
    assert rcpt == "ana@example.org" and got == out.data


# -- the other per-message fast paths, each against what it replaces ---------------------


def test_ascii_values_are_encoded_as_b2a_qp_encodes_them():
    """Links and ASCII names skip the encoder: same bytes, whatever their length (a final "." included)."""
    from leadex_mail.delivery.qp import qp_segment, qp_value

    rng = random.Random(5)
    alphabet = "ab.=/:?&-_~%+ \"<>'"
    for n in list(range(1, 240)) * 4:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        assert qp_value(value, html=False) == qp_segment(value), value
    for value in [".", "a" * 75 + ".", "x" * 150 + ".", "https://news.example.org/unsubscribe/" + "Ab0-_" * 40]:
        assert qp_value(value, html=False) == qp_segment(value), value


def test_link_payloads_are_the_json_the_encoder_writes():
    import json

    from leadex_mail import tokens

    rng = random.Random(9)
    strings = ["", "Zm9vYmFyYmF6", "sl", "a.b-c_d", 'q"uote', "back\\slash", "čšž", "new\nline", "tab\t", "\u2028"]
    values = [0, 7, -3, 2**40, True, False, None, 1.5, *strings]
    for _ in range(2000):
        payload = {rng.choice(["s", "c", "n", "l", "x", "é", "a b"]): rng.choice(values) for _ in range(rng.randrange(0, 5))}
        assert tokens._json(payload) == json.dumps(payload, separators=(",", ":"), sort_keys=True), payload


def test_tokens_signed_with_a_keyed_copy_verify_and_match_a_fresh_hmac():
    import hashlib
    import hmac

    from leadex_mail import tokens

    for key in (b"k" * 32, b"another-key-0123456789-0123456789", b""):
        for purpose, body in (("unsubscribe", "eyJzIjo0Mn0"), ("view", "x")):
            assert tokens._mac(purpose, body, key) == hmac.new(key, f"leadex:{purpose}:{body}".encode(), hashlib.sha256).digest()[:16]
        token = tokens.sign("view", {"s": 42, "c": 7, "l": "sl", "n": "Zm9vYmFy"}, key)
        assert tokens.verify("view", token, key) == {"s": 42, "c": 7, "l": "sl", "n": "Zm9vYmFy"}


def test_dkim_signed_messages_are_ready_bytes_too(tmp_path):
    """The signature is computed over the unstuffed message and stuffed on its own: the whole still equals smtplib's."""
    import base64

    import nacl.signing

    key = tmp_path / "ed25519.key"
    key.write_bytes(base64.b64encode(bytes(nacl.signing.SigningKey.generate())) + b"\n")
    settings = make_settings(dkim_key_path=key, dkim_selector="lx2026")
    template = build_template(dotty_edition(False), settings, Brand(), campaign_id=8)
    out = template.for_recipient(Recipient(3, "ana@example.org", ".Ana", link_nonce=NONCE))
    assert out.data.startswith(b"DKIM-Signature:") and out.wire == reference(out.data)
