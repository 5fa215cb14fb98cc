"""Messages built once per edition and filled per recipient, parsed back with the stdlib."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from delivery_helpers import NONCE, SECRET, make_edition, make_settings, parse

from leadex_mail import links, tokens
from leadex_mail.config import Settings
from leadex_mail.content.model import Brand
from leadex_mail.delivery.message import (
    Recipient,
    build_preview,
    build_template,
    build_transactional,
    format_address,
)
from leadex_mail.errors import ConfigError
from leadex_mail.render.result import PLACEHOLDERS as P
from leadex_mail.render.result import RenderedEdition

NAMES = ["Žiga Čeh", "Ana = B ==C5", 'Mojca "M" Š. & <b>', "x" * 150 + " č" * 40, "", "Jane Doe"]


def expected_values(settings: Settings, r: Recipient, campaign_id: int, language: str = "sl") -> dict[str, str]:
    """What personalise() gets for this recipient: the same links the template signs."""
    return {
        "name": r.name or "",
        "unsubscribe_url": links.unsubscribe_url(settings, r.subscriber_id, campaign_id, nonce=r.link_nonce),
        "preferences_url": links.preferences_url(settings, r.subscriber_id, nonce=r.link_nonce),
        "view_url": links.view_url(settings, r.subscriber_id, campaign_id, language, nonce=r.link_nonce),
        "privacy_url": links.privacy_url(settings, language),
    }


def body_text(part) -> str:
    """A text part's decoded content with wire CRLF turned back into newlines."""
    return part.get_content().replace("\r\n", "\n")


def assert_wire_format(data: bytes) -> None:
    """CRLF only; body lines within 76 octets; header lines within 78 unless one unbreakable URL or display name.

    A display name's run of encoded text is one encoded word even past 78
    octets (two side by side read differently in policy.default and
    decode_header: docs/decisions.md); it then stands alone on its line.
    """
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    head, body = data.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n"):
        assert len(line) <= 998, line
        assert (
            len(line) <= 78
            or re.fullmatch(rb"List-Unsubscribe: <https://[^ ]+>,?", line)
            or re.fullmatch(rb"(To:|From:|Reply-To:)? =\?utf-8\?[bq]\?[^ ?]+\?=", line)
        ), line
    for line in body.split(b"\r\n"):
        assert len(line) <= 78, line


@pytest.mark.parametrize("name", NAMES)
def test_both_parts_decode_to_personalise_exactly(edition, settings, brand, name):
    template = build_template(edition, settings, brand, campaign_id=7)
    r = Recipient(42, "ziga@example.org", name or None, link_nonce=NONCE)
    msg = parse(template.for_recipient(r).data)
    html, text = edition.personalise(expected_values(settings, r, 7))
    assert body_text(msg.get_body(("plain",))) == text
    assert body_text(msg.get_body(("html",))) == html
    assert msg.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
    assert msg.get_body(("html",)).get_content_charset() == "utf-8"


def test_random_values_at_every_column_stay_valid_qp(settings, brand):
    rng = random.Random(20260421)
    alphabet = "abc čšžČŠŽ=  =C5.&<>\"'" + "x" * 10
    for _ in range(40):
        chunks = []
        for key in rng.sample(sorted(P), k=4):
            chunks.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 160))) + P[key])
        body = "\n".join(chunks) + "é" * rng.randrange(0, 90)
        edition = RenderedEdition("s", "sl", "Subj", "", body, body, "h")
        name = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
        r = Recipient(rng.randrange(1, 10**6), "a@example.org", name, link_nonce=NONCE)
        data = build_template(edition, settings, brand, campaign_id=3).for_recipient(r).data
        assert_wire_format(data)
        html, text = edition.personalise(expected_values(settings, r, 3))
        msg = parse(data)
        assert body_text(msg.get_body(("plain",))) == text
        assert body_text(msg.get_body(("html",))) == html


def test_headers(edition, settings, brand):
    settings = make_settings(unsubscribe_mailto="odjava@example.org", list_id="list.leadex.example.org")
    now = datetime(2026, 4, 21, 8, 30, tzinfo=UTC)
    out = build_template(edition, settings, brand, campaign_id=7).for_recipient(Recipient(42, "ziga@example.org", "Žiga Čeh", link_nonce=NONCE), now=now)
    assert_wire_format(out.data)
    msg = parse(out.data)
    assert str(msg["From"]) == "LeadEx – Žiga <novice@leadex.example.org>"
    assert b"\xc5" not in out.data.split(b"\r\n\r\n")[0]  # RFC 2047, no raw UTF-8 in headers
    (to,) = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Žiga Čeh", "ziga@example.org")
    assert msg["Reply-To"] == "info@example.org"
    assert msg["Subject"] == "LeadEx novice št. 1 – Murcia, Tallinn"
    assert parsedate_to_datetime(msg["Date"]) == now
    assert msg["Message-ID"] == out.message_id
    assert re.fullmatch(r"<[0-9]{14}\.[0-9a-f]{16}@leadex\.example\.org>", out.message_id)
    assert msg["MIME-Version"] == "1.0"
    assert msg["List-Id"] == "<list.leadex.example.org>"
    assert msg["List-Unsubscribe"] == f"<{links.unsubscribe_url(settings, 42, 7, nonce=NONCE)}>, <mailto:odjava@example.org?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (out.envelope_from, out.recipient) == ("novice@leadex.example.org", "ziga@example.org")


def test_links_carry_valid_tokens_with_ids_and_the_rows_nonce_never_the_address(edition, settings, brand):
    out = build_template(edition, settings, brand, campaign_id=9).for_recipient(Recipient(5, "mojca@example.org", "Mojca", link_nonce=NONCE))
    msg = parse(out.data)
    url = msg["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://news.example.org/unsubscribe/")
    assert tokens.verify("unsubscribe", url.rsplit("/", 1)[1], SECRET.encode()) == {"s": 5, "c": 9, "n": NONCE}
    text = body_text(msg.get_body(("plain",)))
    view = re.search(r"https://news\.example\.org/view/(\S+)", text).group(1)
    prefs = re.search(r"https://news\.example\.org/preferences/(\S+)", text).group(1)
    assert tokens.verify("view", view, SECRET.encode()) == {"s": 5, "c": 9, "l": "sl", "n": NONCE}
    assert tokens.verify("preferences", prefs, SECRET.encode()) == {"s": 5, "n": NONCE}
    assert b"mojca@example.org" not in out.data.split(b"\r\n\r\n", 1)[1]


def test_defaults_list_id_from_sender_domain_and_no_mailto(edition, settings):
    msg = parse(build_template(edition, settings, Brand(), campaign_id=1).for_recipient(Recipient(1, "a@example.org", None, link_nonce=NONCE)).data)
    assert msg["List-Id"] == "LeadEx <leadex.leadex.example.org>"
    assert msg["List-Unsubscribe"].count("<") == 1
    assert msg["Reply-To"] is None
    assert msg["To"].addresses[0].addr_spec == "a@example.org"


def test_test_prefix_and_unique_or_reused_message_ids(edition, settings, brand):
    template = build_template(edition, settings, brand, campaign_id=1, test=True)
    r = Recipient(1, "a@example.org", "A", link_nonce=NONCE)
    first, second = template.for_recipient(r), template.for_recipient(r)
    assert parse(first.data)["Subject"].startswith("[TEST] LeadEx novice")
    assert first.message_id != second.message_id
    again = template.for_recipient(r, message_id=first.message_id)
    assert parse(again.data)["Message-ID"] == first.message_id


def test_structure_without_and_with_inline_images(settings, brand):
    plain = parse(build_template(make_edition(), settings, brand, campaign_id=1).for_recipient(Recipient(1, "a@example.org", link_nonce=NONCE)).data)
    assert [p.get_content_type() for p in plain.walk()] == ["multipart/alternative", "text/plain", "text/html"]
    edition = make_edition(images=True)
    data = build_template(edition, settings, brand, campaign_id=1).for_recipient(Recipient(1, "a@example.org", link_nonce=NONCE)).data
    assert_wire_format(data)
    msg = parse(data)
    types = [p.get_content_type() for p in msg.walk()]
    assert types == ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    image = list(msg.walk())[-1]
    assert image["Content-ID"] == "<logo@leadex>"
    assert image.get_content() == edition.inline_images[0].data


def test_links_need_a_secret_key_outside_the_outbox(edition, brand):
    settings = Settings(transport="smtp", smtp_host="127.0.0.1", public_url="https://news.example.org")
    with pytest.raises(ConfigError) as err:
        build_template(edition, settings, brand, campaign_id=1)
    assert "LEADEX_SECRET_KEY" in err.value.hint


def test_preview_links_to_archive_and_needs_no_secret(edition, brand):
    settings = Settings(transport="smtp", smtp_host="127.0.0.1", public_url="https://news.example.org")
    data = build_preview(edition, settings, brand)
    assert_wire_format(data)
    msg = parse(data)
    assert str(msg["To"]) == "Preview <preview@example.org>"
    text = body_text(msg.get_body(("plain",)))
    assert "https://news.example.org/archive/2026-04-leadex-01/sl" in text
    assert "[[LX:" not in text and "[[LX:" not in body_text(msg.get_body(("html",)))


def test_transactional_message(settings, brand):
    data = build_transactional(
        settings, brand, to="Žiga Čeh <ziga@example.org>", subject="Potrdite prijavo – LeadEx", text="Kliknite: https://x.example.org/confirm/abc\n", html="<p>Kliknite</p>"
    )
    assert_wire_format(data)
    msg = parse(data)
    assert msg["Subject"] == "Potrdite prijavo – LeadEx"
    assert msg["To"].addresses[0].display_name == "Žiga Čeh"
    assert msg["List-Unsubscribe"] is None and msg["Message-ID"].endswith("@leadex.example.org>")
    assert body_text(msg.get_body(("plain",))) == "Kliknite: https://x.example.org/confirm/abc\n"
    assert [p.get_content_type() for p in msg.walk()] == ["multipart/alternative", "text/plain", "text/html"]


def test_format_address_quotes_and_encodes():
    assert format_address("Jane Doe", "j@example.org") == "Jane Doe <j@example.org>"
    assert format_address('Doe, "J"', "j@example.org") == '"Doe, \\"J\\"" <j@example.org>'
    assert format_address("Bad\r\nBcc: x@example.com", "j@example.org") == '"Bad Bcc: x@example.com" <j@example.org>'
    assert format_address(None, "j@example.org") == "<j@example.org>"


@pytest.mark.parametrize("images_url", [None, "https://news.example.org/images"])
def test_the_real_issue_round_trips_in_both_languages(images_url, brand):
    from pathlib import Path

    from leadex_mail.content.loader import load_issue
    from leadex_mail.render import render_edition

    repo = Path(__file__).resolve().parents[2]
    settings = make_settings(newsletters_dir=repo / "newsletters", images_url=images_url)
    issue = load_issue("2026-04-leadex-01", settings)
    for language in ("sl", "en"):
        rendered = render_edition(issue, language, settings)
        r = Recipient(77, "ziga@example.org", "Žiga Čeh", link_nonce=NONCE)
        data = build_template(rendered, settings, issue.brand, campaign_id=5).for_recipient(r).data
        assert_wire_format(data)
        msg = parse(data)
        html, text = rendered.personalise(expected_values(settings, r, 5, language))
        assert body_text(msg.get_body(("plain",))) == text
        assert body_text(msg.get_body(("html",))) == html
        assert msg["Subject"] == rendered.subject
        cids = {f"<{i.cid}>" for i in rendered.inline_images}
        assert {p["Content-ID"] for p in msg.walk() if p["Content-ID"]} == cids
        assert bool(cids) == (images_url is None)
