"""Planted defects, each caught by its gate with its message; issue No. 1 itself is the control (test_shipped_issues).

Defects a template or a brand could bring are planted in the rendered HTML
of issue No. 1 (the sample message is then built from it, as `send` would);
defects an officer could write are planted in a copy of the issue's files;
defects of the message itself are planted in the sample message's bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from email import policy

import nacl.signing
import pytest

from leadex_mail.content.loader import load_issue
from leadex_mail.gates import conformance
from leadex_mail.gates.deep import add_browser_findings, check_edition
from leadex_mail.gates.sample import build_sample, from_bytes
from leadex_mail.render import render_edition

from .conftest import SLUG, edit, sending_settings

DARK_VIEWS = {"375 px dark", "600 px dark"}
LIGHT_VIEWS = {"375 px light", "600 px light"}
ALT = 'alt="Partnerji projekta LeadEx na uvodnem sestanku v Murcii"'
LOW_CONTRAST = '<p style="margin:0;padding:8px;color:#bbbbbb;background-color:#f4f4f4;font-size:16px">Planted grey text on light grey</p>'
DARK_TRAP = '<p class="lx-dark-trap" style="margin:0;padding:8px;color:#1f2933;background-color:#ffffff;font-size:16px">Planted text for dark mode</p>'
DARK_RULE = "<style>@media (prefers-color-scheme: dark) { .lx-dark-trap { background-color: #101418 !important; } }</style>"


def _views(finding) -> set[str]:
    return set(finding.where.split(", "))


# -- in the HTML: checked in Chromium at both widths, light and dark --------------------


@pytest.fixture(scope="module")
def planted(issue, settings, deep_browser):
    """The sl message with a picture stripped of its alt, grey-on-grey text and a dark-mode rule that darkens only the background."""
    rendered = render_edition(issue, "sl", settings)
    html = rendered.html
    assert html.count(ALT) == 1
    html = html.replace(ALT, "", 1)
    body = re.search(r"<body[^>]*>", html)
    assert body
    html = html[: body.end()] + LOW_CONTRAST + DARK_TRAP + html[body.end() :]
    html = html.replace("</head>", DARK_RULE + "</head>", 1)
    sample = build_sample(issue, "sl", settings, rendered=dataclasses.replace(rendered, html=html))
    report = check_edition(sample, settings)
    add_browser_findings(deep_browser, [sample], [report])
    return report


@pytest.mark.browser
def test_an_image_without_alt_is_an_error_in_every_view(planted):
    (found,) = [f for f in planted.findings if f.rule == "image-alt"]
    assert found.severity == "error" and found.check == "accessibility"
    assert "Images must have alternative text (image-alt, critical impact): 1 element" in found.message
    assert _views(found) == LIGHT_VIEWS | DARK_VIEWS
    assert "alt text" in found.hint
    assert all(planted.axe[v] >= 1 for v in LIGHT_VIEWS | DARK_VIEWS)


@pytest.mark.browser
def test_grey_text_on_light_grey_is_a_contrast_error(planted):
    found = [f for f in planted.findings if f.rule == "color-contrast" and "'Planted grey text on light grey'" in f.message]
    assert found, [f.message for f in planted.findings]
    assert all("#bbbbbb on #f4f4f4 is 1.74:1, needs 4.5:1" in f.message and f.severity == "error" for f in found)
    # Light views: this text alone fails; dark views: it fails beside the dark-mode trap.
    assert LIGHT_VIEWS <= set().union(*map(_views, found))
    (light,) = [f for f in found if _views(f) == LIGHT_VIEWS]
    assert "(color-contrast, serious impact): 1 element, e.g." in light.message


@pytest.mark.browser
def test_a_dark_mode_rule_leaving_dark_text_on_dark_is_caught_in_dark_views_only(planted):
    found = [f for f in planted.findings if f.rule == "color-contrast" and "'Planted text for dark mode'" in f.message]
    assert found, [f.message for f in planted.findings]
    assert set().union(*map(_views, found)) == DARK_VIEWS
    assert all("'Planted text for dark mode' at .lx-dark-trap: #1f2933 on #101418" in f.message for f in found)


# -- in the issue's files: what an officer could write ------------------------------------------


def _edition_report(newsletters, language="en", **overrides):
    settings = sending_settings(newsletters, **overrides)
    issue = load_issue(SLUG, settings)
    return check_edition(build_sample(issue, language, settings), settings)


def test_a_bare_here_link_is_an_error_and_names_itself(newsletters):
    edit(newsletters, "en", "label: Watch the project video", "label: here")
    report = _edition_report(newsletters)
    (found,) = [f for f in report.findings if f.rule == "link-text"]
    assert found.severity == "error" and found.check == "markup" and found.where == "here"
    assert found.message.startswith("the link 'here' (to https://www.interregeurope.eu/leadex) says nothing about where it leads")
    assert "name the target in the link text" in found.hint


def test_a_generic_link_closing_a_sentence_passes_in_context(newsletters):
    """'MORE HERE' closing a story's paragraph (issue No. 1's own pattern) is fine; the same alone is not."""
    assert not [f for f in _edition_report(newsletters).findings if f.rule == "link-text"]
    edit(newsletters, "en", "label: Visit the project website", "label: MORE HERE")
    (found,) = [f for f in _edition_report(newsletters).findings if f.rule == "link-text"]
    assert found.where == "MORE HERE"


def test_a_120_kb_issue_is_clipped_by_gmail(newsletters):
    filler = " ".join(["The partners compared how each region trains its teachers and supports excellence."] * 520)
    path = newsletters / SLUG / "en.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - type: story\n", f"  - type: story\n    heading: Appendix\n    body: {filler}\n\n  - type: story\n", 1), encoding="utf-8")
    report = _edition_report(newsletters)
    assert 118_000 < report.sizes.html_bytes < 125_000
    (found,) = [f for f in report.findings if f.check == "size"]
    assert found.severity == "error" and found.rule == "gmail-clipping"
    assert re.fullmatch(r"the HTML part is 1\d\d\.\d KB: Gmail clips messages over 102 KB and hides the rest behind a link, the unsubscribe link included", found.message)


# -- in the message's bytes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(issue, settings):
    return build_sample(issue, "en", settings)


def test_control_the_sample_message_conforms(sample, settings):
    found = conformance.check_conformance(sample, settings)
    # Unsigned here (DKIM is tested below): by SMTP that is worth a note, never an error.
    assert [(f.severity, f.rule) for f in found] == [("notice", "dkim")]
    assert "the relay must sign it" in found[0].message


def test_a_message_with_an_html_part_only_is_refused(sample, settings):
    msg = sample.parsed()
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "multipart/related"]
    msg.set_payload([parts[1]])
    planted = from_bytes(msg.as_bytes(policy=policy.SMTP), "en", sample.file)
    messages = [f.message for f in conformance.check_conformance(planted, settings)]
    assert "the message has no plain-text part" in messages


def test_the_html_part_before_the_text_part_is_refused(sample, settings):
    msg = sample.parsed()
    msg.set_payload(list(reversed(msg.get_payload())))
    planted = from_bytes(msg.as_bytes(policy=policy.SMTP), "en", sample.file)
    messages = [f.message for f in conformance.check_conformance(planted, settings)]
    assert "the HTML part comes before the text part (mail programs show the last part they can)" in messages


def test_a_list_unsubscribe_with_http_is_an_error(issue):
    settings = sending_settings(public_url="http://news.example.org")
    found = conformance.check_conformance(build_sample(issue, "sl", settings), settings)
    missing, wrong = [f for f in found if f.rule == "list-unsubscribe"]
    assert {missing.severity, wrong.severity} == {"error"} and missing.where == wrong.where == "List-Unsubscribe"
    assert missing.message == "List-Unsubscribe has no https:// URI (RFC 8058 one-click needs exactly one)"
    assert "set public_url (LEADEX_PUBLIC_URL) to the https:// address" in missing.hint
    assert wrong.message.startswith("List-Unsubscribe holds 'http://news.example.org/unsubscribe/")
    assert wrong.message.endswith("only one https:// URI and one mailto: belong there")


def test_with_the_outbox_local_links_are_a_warning_not_an_error(issue):
    settings = sending_settings(public_url=None, transport="outbox")
    found = [f for f in conformance.check_conformance(build_sample(issue, "sl", settings), settings) if f.rule == "list-unsubscribe"]
    assert found and {f.severity for f in found} == {"warning"}
    assert "the outbox sends nothing" in found[0].hint


def test_a_mailto_beside_the_https_link_is_fine(issue):
    settings = sending_settings(unsubscribe_mailto="odjava@example.org")
    sample = build_sample(issue, "sl", settings)
    assert "mailto:odjava@example.org" in str(sample.parsed()["List-Unsubscribe"])
    assert [f.rule for f in conformance.check_conformance(sample, settings)] == ["dkim"]  # the note on signing only


@pytest.fixture(scope="module")
def dkim_settings(tmp_path_factory):
    key = nacl.signing.SigningKey.generate()
    path = tmp_path_factory.mktemp("dkim") / "ed25519.key"
    path.write_bytes(base64.b64encode(bytes(key)) + b"\n")
    return sending_settings(dkim_key_path=path, dkim_selector="lx2026")


def test_control_a_dkim_signed_message_verifies(issue, dkim_settings):
    sample = build_sample(issue, "sl", dkim_settings)
    assert sample.data.startswith(b"DKIM-Signature: ")
    assert conformance.check_conformance(sample, dkim_settings) == []


def test_a_broken_dkim_signature_is_an_error(issue, dkim_settings):
    sample = build_sample(issue, "sl", dkim_settings)
    # One letter of the text part changed after signing, as a relay that rewrites the body would.
    tampered = sample.data.replace(b"LeadEx novice", b"LeadEx n0vice", 1)
    head, _, body = sample.data.partition(b"\r\n\r\n")
    tampered = head + b"\r\n\r\n" + body.replace(b"Odjava", b"0djava", 1)
    assert tampered != sample.data
    found = conformance.check_conformance(from_bytes(tampered, "sl", sample.file), dkim_settings)
    (bad,) = found
    assert bad.severity == "error" and bad.rule == "dkim"
    assert bad.message.startswith("the DKIM signature does not verify")


def test_a_missing_signature_when_dkim_is_configured_is_an_error(issue, dkim_settings):
    sample = build_sample(issue, "sl", dkim_settings)
    unsigned = sample.data.split(b"\r\n", 1)[1]
    while unsigned.startswith((b" ", b"\t")):  # the signature header's folded lines
        unsigned = unsigned.split(b"\r\n", 1)[1]
    found = conformance.check_conformance(from_bytes(unsigned, "sl", sample.file), dkim_settings)
    assert [f.message for f in found] == ["DKIM signing is configured but the message has no DKIM-Signature"]
