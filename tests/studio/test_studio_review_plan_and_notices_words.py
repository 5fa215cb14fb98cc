"""The send's review says where the messages go, how fast, and what was not checked in the officer's words (en, sl).

It showed the core's English (s8 tester): "How: smtp 127.0.0.1:PORT (none)" (``describe_transport``), the
rate "unlimited" or "600/min", and the checks' notices as the terminal says them -- "not DKIM-signed by
leadex-mail (dkim_key_path is not set) … set dkim_key_path and dkim_selector". The plan and the readiness now
carry facts (``CampaignPlan.route``, ``.rates``; ``Readiness.notice_facts`` with the finding's code) that the
command line says as before and the studio says from its catalogs, naming no setting, command or transport.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from leadex_mail.gates.readiness import Notice
from leadex_mail.studio.i18n import words
from leadex_mail.studio.notices import notice_words
from studio.studio_helpers import ISSUE, add_english_edition, add_readers, copy_newsletters, serve_studio_on_store, studio_settings
from studio.test_studio_officer_words import NEVER

# The core's words for the plan and the notices, and what they named: never on an officer's page.
CORE = re.compile(r"smtp 127|\(none\)|\bunlimited\b|\d+/(min|h|s)\b|outbox \(files|dkim_key_path|dkim_selector|DKIM-signed by|leadex-mail")


def _page(answer) -> str:  # noqa: ANN001
    assert answer.status_code == 200, answer.text[:500]
    main = answer.text[answer.text.find("<main"):]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def _two_readers(store) -> None:  # noqa: ANN001
    add_readers(store, 1)
    from leadex_mail.store.subscribers import add_subscriber

    add_subscriber(store, "reader-en@example.org", language="en", lists=("newsletter",), source="cli")


@pytest.mark.parametrize(
    ("ui", "route", "rate", "edition"),
    [
        ("en", "By email, through the mail server 127.0.0.1 (port {port}), over a connection that is not encrypted",
         "at most 600 messages a minute, at most 1 message an hour; 2 connections", "English edition"),
        ("sl", "Po e-pošti, prek poštnega strežnika 127.0.0.1 (vrata {port}), po nešifrirani povezavi",
         "največ 600 sporočil na minuto, največ 1 sporočilo na uro; povezav: 2", "Izdaja v jeziku angleščina"),
    ],
)
def test_the_review_says_where_and_how_fast_in_the_officers_words(tmp_path: Path, smtp_server, ui: str, route: str, rate: str, edition: str) -> None:  # noqa: ANN001
    copy_newsletters(tmp_path, ISSUE)
    add_english_edition(tmp_path)
    settings = studio_settings(tmp_path, smtp_server.port, LEADEX_SEND_RATE="600/min,1/h", LEADEX_SEND_CONCURRENCY="2")
    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=_two_readers) as studio:
        text = " ".join(_page(studio.client().get(f"/issues/{ISSUE}/send/review?list=newsletter&ui={ui}")).split())
    assert route.format(port=smtp_server.port) in text, text
    assert rate in text, text
    assert edition in text, text
    assert not CORE.search(text), CORE.search(text)


@pytest.mark.parametrize(("ui", "route", "rate"), [("en", "Into files on this computer: nothing leaves it", "no limit"), ("sl", "V datoteke na tem računalniku", "brez omejitve")])
def test_a_review_of_a_send_into_files_says_so_without_the_folder(tmp_path: Path, ui: str, route: str, rate: str) -> None:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, LEADEX_SECRET_KEY="studio-test-secret-key-0123456789", LEADEX_PUBLIC_URL="https://news.example.org")
    with serve_studio_on_store(settings, None, root=tmp_path, prepare=lambda store: add_readers(store, 1)) as studio:
        text = " ".join(_page(studio.client().get(f"/issues/{ISSUE}/send/review?list=newsletter&ui={ui}")).split())
    assert route in text and rate in text, text
    assert str(tmp_path) not in text and not CORE.search(text), text


@pytest.mark.parametrize("ui", ["en", "sl"])
def test_every_notice_is_said_in_the_officers_words_naming_no_setting(ui: str) -> None:
    said = words(ui)
    dkim = notice_words(Notice("conformance.dkim", "sl", "not DKIM-signed by leadex-mail (dkim_key_path is not set): … (set dkim_key_path and dkim_selector)"), said)
    assert dkim.detail is None  # said in full: nothing of the core's on the page
    assert ("The person who runs the studio can set up signing" if ui == "en" else "Oseba, ki upravlja studio, lahko nastavi podpisovanje") in dkim.text, dkim.text
    assert dkim.text.startswith("Slovenian edition: " if ui == "en" else "Izdaja v jeziku slovenščina: "), dkim.text
    render = notice_words(Notice("setup.render", "en", "the en edition was not checked: it does not render (…)"), said)
    assert ("The English edition was not checked" if ui == "en" else "Izdaja v jeziku angleščina ni bila preverjena") in render.text, render.text
    for code in ("spam.spamassassin", "accessibility.chromium", "accessibility.offline", "setup.secret_key", "accessibility.color-contrast", "made.up"):
        notice = notice_words(Notice(code, None, f"the core's words for {code}"), said)
        assert notice.text and not NEVER.search(notice.text) and not CORE.search(notice.text), (code, notice.text)
        # Said only by its kind (an axe rule that could not decide, a kind the studio does not know): the core's words folded away.
        assert (notice.detail is not None) == (code in ("spam.spamassassin", "accessibility.color-contrast", "made.up")), code


@pytest.mark.slow
def test_the_reviews_dkim_notice_of_a_real_deep_check_is_in_the_officers_words(tmp_path: Path, smtp_server) -> None:  # noqa: ANN001
    """The deep check's real notice (SMTP, no signing key set) on the review, in sl: no setting's name."""
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port, LEADEX_SEND_DEEP_CHECK="true")
    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=lambda store: add_readers(store, 1)) as studio:
        # SpamAssassin and a browser look at the edition first: seconds, a minute on a loaded machine (a bound for a hang).
        answer = studio.client().get(f"/issues/{ISSUE}/send/review?list=newsletter&ui=sl", timeout=300)
    text = " ".join(_page(answer).split())
    assert "Studio sporočil ne podpiše (DKIM)" in text and "Oseba, ki upravlja studio, lahko nastavi podpisovanje" in text, text
    assert not CORE.search(text), CORE.search(text)
