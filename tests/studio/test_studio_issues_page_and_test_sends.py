"""a13c F1, F2, F9: the new-issue form's month and number, the Issues page over any issue folder, test sends' addresses and outcomes.

HTTP against the studio served for real; the test sends go to a real SMTP server on loopback
(or to a port nothing listens on, or to a server that refuses): what the officer reads.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadex_mail.errors import InvalidValue, PermanentFailure, ServerFailure, TemporaryFailure, TlsFailure
from leadex_mail.studio.saying import error_words, failure_kind, typed_addresses
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, free_port, serve_studio, studio_settings

EN = {"Accept-Language": "en"}


def _token(client: httpx.Client) -> str:
    return re.search(r'data-csrf="([^"]+)"', client.get("/", headers=EN).text).group(1)


def _post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf": _token(client), **data}, headers=EN)


def _hand_made(studio: RunningStudio, slug: str, **fields: str) -> None:
    """A copy of issue No. 1 under ``slug`` with its default edition's fields replaced as a person would by hand."""
    shutil.copytree(studio.newsletters / ISSUE, studio.newsletters / slug)
    file = studio.file(slug, "sl")
    text = file.read_text(encoding="utf-8")
    for key, value in fields.items():
        text = re.sub(rf"(?m)^{key}: .*$", f"{key}: {value}", text, count=1)
    file.write_text(text, encoding="utf-8")


# -- F1: the month of a new issue, and the Issues page over any folder ------------------------------


def test_a_new_issue_of_month_9999_12_is_refused_at_the_month_field(studio: RunningStudio) -> None:
    client = studio.client()
    answer = _post(client, "/issues", number="1", month="9999-12", language="sl", start="blank")
    assert answer.status_code == 400
    field = re.search(r'<input id="new-month"[^>]*>', answer.text).group(0)
    assert 'aria-invalid="true"' in field and "new-month-error" in field
    assert "9999-12 is not a month for a new issue: write a month from 2000-01 to 2036-12" in answer.text
    assert not any(p.name.startswith("9999") for p in studio.newsletters.iterdir())
    assert client.get("/", headers=EN).status_code == 200
    for month in ("0206-04", "1999-12", "2037-01"):
        assert _post(client, "/issues", number="2", month=month, language="sl", start="blank").status_code == 400, month
    assert "from 1 to 9999" in _post(client, "/issues", number="0", month="2026-10", language="sl", start="blank").text


@pytest.mark.parametrize(("date", "number"), [("9999-12-31", "7"), ("0001-01-01", "7"), ("2026-10-01", "99999")])
def test_the_issues_page_survives_a_hand_made_issue_folder_with_an_odd_date_or_number(studio: RunningStudio, date: str, number: str) -> None:
    _hand_made(studio, "2026-10-leadex-07", date=date, number=number)
    client = studio.client()
    page = client.get("/", headers=EN)
    assert page.status_code == 200, page.text[:300]
    month = re.search(r'<input id="new-month" name="month" value="([^"]*)"', page.text).group(1)
    shown_number = re.search(r'<input id="new-number" name="number" inputmode="numeric" value="([^"]*)"', page.text).group(1)
    assert month >= "2026-09" and month <= "2036-12"  # the studio's clock is 2026-09-10: never a month the form refuses
    assert shown_number == ("8" if number == "7" else "")
    if shown_number:  # what the page proposes, the form accepts
        made = _post(client, "/issues", number=shown_number, month=month, language="sl", start="blank")
        assert made.status_code == 303, made.text[:300]


# -- F2: the addresses typed for a test -------------------------------------------------------------


def test_typed_addresses_are_read_as_an_address_list() -> None:
    typed = 'Ana Novak <ana@example.org>; bor@example.org\n"Novak, Ana" <ana2@example.org>, cene@example.org\n\n  '
    assert typed_addresses(typed) == ["ana@example.org", "bor@example.org", "ana2@example.org", "cene@example.org"]
    assert typed_addresses("Ana") == ["Ana"]


def test_an_error_ending_in_a_full_stop_is_not_given_another() -> None:
    err = InvalidValue("'x' is not a valid address: An email address must have an @-sign.", hint="write it whole")
    assert error_words(err) == "'x' is not a valid address: An email address must have an @-sign. Write it whole"  # the hint begins its own sentence
    assert error_words(InvalidValue("no list", hint=None)) == "no list."


@pytest.fixture
def mailing_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:  # noqa: ANN001
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path, smtp_server.port), root=tmp_path) as running:
        running.smtp = smtp_server
        yield running


def test_a_test_send_with_no_address_asks_for_one_in_the_officers_words(mailing_studio: RunningStudio) -> None:
    answer = _post(mailing_studio.client(), f"/issues/{ISSUE}/send/test", to="  \n ", language="sl")
    assert answer.status_code == 400
    assert "Type at least one address to send the test to." in answer.text
    assert 'id="test-to-error"' in answer.text
    for terminal in ("--to", "toml", "LEADEX_"):
        assert terminal not in answer.text


def test_a_name_with_its_address_is_sent_to_and_a_non_address_is_named_at_the_field(mailing_studio: RunningStudio) -> None:
    studio = mailing_studio
    client = studio.client()
    answer = _post(client, f"/issues/{ISSUE}/send/test", to="Ana <ana@example.org>; Bor Novak <bor@example.org>", language="sl")
    assert answer.status_code == 200, answer.text[:500]
    assert "Sent to ana@example.org (Slovenian)." in answer.text and "Sent to bor@example.org (Slovenian)." in answer.text
    assert studio.smtp.wait_for("ana@example.org") and studio.smtp.wait_for("bor@example.org")
    refused = _post(client, f"/issues/{ISSUE}/send/test", to="Ana\nana.example.org", language="sl")
    assert refused.status_code == 400
    assert "These are not email addresses: “Ana”, “ana.example.org”. Write each address as name@example.org" in refused.text
    assert ".." not in re.sub(r"<[^>]+>", "", refused.text.split('id="test-to-error"')[1].split("</div>")[0])


# -- F9: what a test send that did not go out says ---------------------------------------------------


def _heading(answer: httpx.Response) -> str:
    return re.search(r'<div role="status" id="test-results">\s*<h3[^>]*>([^<]*)</h3>', answer.text).group(1)


def test_a_test_send_with_the_mail_server_down_says_it_was_not_sent_and_why(tmp_path: Path) -> None:
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path, free_port()), root=tmp_path) as studio:
        answer = _post(studio.client(), f"/issues/{ISSUE}/send/test", to="me@example.org", language="sl")
    assert _heading(answer) == "The test was not sent"
    assert "Test sent<" not in answer.text
    visible = answer.text.split("<details")[0]
    assert "Not sent to me@example.org (Slovenian). The studio could not reach the mail server. Is the mail server running?" in visible
    assert "Errno" not in visible  # the technical words only under "Details for the person who runs the studio"
    details = answer.text.split("Details for the person who runs the studio</summary>")[1].split("</details>")[0]
    assert "Connection refused" in details


def test_a_test_send_sent_to_some_addresses_only_says_so_and_why_for_each(tmp_path: Path, start_smtp) -> None:  # noqa: ANN001
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, N802
            if address.startswith("gone"):
                return "550 5.1.1 No such user"
            if address.startswith("busy"):
                return "451 4.2.1 Mailbox busy, try later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
            return "250 2.0.0 OK: queued"

    port = start_smtp(Refusing())
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path, port), root=tmp_path) as studio:
        answer = _post(studio.client(), f"/issues/{ISSUE}/send/test", to="me@example.org, gone@example.org, busy@example.org", language="sl")
    assert _heading(answer) == "The test was sent to some addresses only"
    assert re.search(r'data-why="refused">Not sent to gone@example.org \(Slovenian\). The mail server refused this address.', answer.text)
    assert re.search(r'data-why="deferred">Not sent to busy@example.org \(Slovenian\). The mail server turned this address away for now.', answer.text)
    assert "Sent to me@example.org (Slovenian)." in answer.text


def test_a_test_send_over_tls_to_a_server_without_it_says_the_secure_connection_failed(tmp_path: Path, smtp_server) -> None:  # noqa: ANN001
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path, smtp_server.port, LEADEX_SMTP_SECURITY="tls"), root=tmp_path) as studio:
        answer = _post(studio.client(), f"/issues/{ISSUE}/send/test", to="me@example.org", language="sl")
    assert _heading(answer) == "The test was not sent"
    assert 'data-why="tls"' in answer.text and "A secure (encrypted) connection to the mail server could not be set up." in answer.text


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        (ServerFailure("could not connect to SMTP server 127.0.0.1:2626: [Errno 111] Connection refused", reply="[Errno 111] Connection refused"), "unreachable"),
        (ServerFailure("could not connect to SMTP server mail.example.org:25: timed out", reply="timed out"), "timeout"),
        (ServerFailure("127.0.0.1:25: no answer within 30 s", reply="timeout"), "timeout"),
        (ServerFailure("SMTP login to 127.0.0.1:25 as 'news' was refused: 535 5.7.8 Authentication failed", reply="535 5.7.8 Authentication failed"), "login"),
        (TlsFailure("the SMTP server was not trusted during STARTTLS", reply="certificate verify failed"), "tls"),
        (ServerFailure("TLS with 127.0.0.1:25 failed: [SSL: WRONG_VERSION_NUMBER] wrong version number", reply="[SSL: WRONG_VERSION_NUMBER]"), "tls"),
        (ServerFailure("127.0.0.1:25: the server ended the session at greeting: 421 4.3.2 shutting down", reply="421 4.3.2 shutting down"), "server"),
        (TemporaryFailure("deferred at RCPT: 452 4.2.2 mailbox full", reply="452 4.2.2 mailbox full"), "deferred"),
        (PermanentFailure("refused at RCPT: 550 5.1.1 no such user", reply="550 5.1.1 no such user"), "refused"),
        (None, "other"),
    ],
)
def test_every_transport_failure_has_its_kind(err, kind: str) -> None:  # noqa: ANN001
    assert failure_kind(err, err.reply if err is not None else "") == kind


def test_a_refused_address_on_the_subscribers_page_ends_its_sentence_once(studio: RunningStudio) -> None:
    """The same cause on another page: email-validator's reason ends with "." and the studio added another."""
    client = studio.client()
    answer = client.post("/subscribers/add", data={"csrf": _token(client), "email": "Ana", "language": "sl"}, headers=EN)
    assert answer.status_code == 400
    assert "must have an @-sign." in answer.text and "@-sign.." not in answer.text
