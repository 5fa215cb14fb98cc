"""Every address field of the studio takes addresses only, read by one reader (``studio.mailboxes``).

A pasted header line ``Bcc: z@example.com`` was read as the RFC 5322 group "Bcc" holding
z@example.com, and the test went there. A field takes ``name@example.org`` or
``Ana Novak <name@example.org>``, one per line or comma-separated; a header line, a group or
any other text is refused at the field, as typed, and nothing is sent or added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadex_mail.store.db import open_store
from leadex_mail.store.subscribers import get_subscriber
from leadex_mail.studio.mailboxes import read_mailbox, read_mailboxes
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, serve_studio, studio_settings

EN = {"Accept-Language": "en"}


def _post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    token = re.search(r'data-csrf="([^"]+)"', client.get("/", headers=EN).text).group(1)
    return client.post(path, data={"csrf": token, **data}, headers=EN)


@pytest.mark.parametrize(
    ("typed", "address", "name"),
    [
        ("ana@example.org", "ana@example.org", ""),
        ("Ana Novak <ana@example.org>", "ana@example.org", "Ana Novak"),
        ('"Novak, Ana" <ana@example.org>', "ana@example.org", "Novak, Ana"),
        ("<ana@example.org>", "ana@example.org", ""),
        ("Žiga Čop <ziga@example.org>", "ziga@example.org", "Žiga Čop"),
    ],
)
def test_a_mailbox_is_read_as_its_address_and_name(typed: str, address: str, name: str) -> None:
    read = read_mailbox(typed)
    assert (read.address, read.name, read.refused) == (address, name, None)


@pytest.mark.parametrize(
    ("typed", "refused"),
    [
        ("Bcc: z@example.com", "header"),
        ("bcc:z@example.com", "header"),
        ("To: Ana <ana@example.org>", "header"),
        ("Reply-To: z@example.com", "header"),
        ("team: a@example.org", "header"),
        ("Undisclosed recipients: z@example.com", "header"),
        ("Ana", "not_address"),
        ("ana at example.org", "not_address"),
        ("see ana@example.org", "not_address"),
        ("ana@example.org bor@example.org", "not_address"),
        ("Ana <ana@example.org> (work)", "not_address"),
        ("Ana <ana@example.org", "not_address"),
    ],
)
def test_anything_but_a_mailbox_is_refused_as_typed(typed: str, refused: str) -> None:
    read = read_mailbox(typed)
    assert (read.address, read.refused, read.typed) == ("", refused, typed)


def test_a_list_is_split_on_lines_commas_and_semicolons_but_not_in_a_quoted_name() -> None:
    typed = 'Ana Novak <ana@example.org>; bor@example.org\n"Novak, Ana" <ana2@example.org>, cene@example.org\n\n  '
    assert [m.address for m in read_mailboxes(typed)] == ["ana@example.org", "bor@example.org", "ana2@example.org", "cene@example.org"]
    assert [m.refused for m in read_mailboxes("ana@example.org\nBcc: z@example.com, y@example.com")] == [None, "header", None]


@pytest.fixture
def mailing_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:  # noqa: ANN001
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path, smtp_server.port), root=tmp_path) as running:
        running.smtp = smtp_server
        yield running


@pytest.mark.parametrize("pasted", ["Bcc: z@example.com", "me@example.org\nBcc: z@example.com", "Undisclosed recipients: z@example.com;"])
def test_a_pasted_header_line_in_the_test_box_is_refused_at_the_field_and_nothing_is_sent(mailing_studio: RunningStudio, pasted: str) -> None:
    answer = _post(mailing_studio.client(), f"/issues/{ISSUE}/send/test", to=pasted, language="sl")
    assert answer.status_code == 400, answer.text[:300]
    field_error = re.sub(r"<[^>]+>", "", answer.text.split('id="test-to-error"')[1].split("</div>")[0])
    header = pasted.splitlines()[-1].rstrip(";")
    assert f"This is a line of an email's header, not an address: “{header}”." in field_error.replace("&#39;", "'"), field_error
    after = _post(mailing_studio.client(), f"/issues/{ISSUE}/send/test", to="me@example.org", language="sl")
    assert after.status_code == 200 and mailing_studio.smtp.wait_for("me@example.org")
    assert not [m for m in mailing_studio.smtp.messages if "z@example.com" in m.rcpt_tos], "the header line's address got mail"


def test_the_slovenian_test_box_says_a_header_line_in_slovenian(mailing_studio: RunningStudio) -> None:
    client = mailing_studio.client()
    token = re.search(r'data-csrf="([^"]+)"', client.get("/", headers={"Accept-Language": "sl"}).text).group(1)
    answer = client.post(f"/issues/{ISSUE}/send/test", data={"csrf": token, "to": "Bcc: z@example.com", "language": "sl"}, headers={"Accept-Language": "sl"})
    assert answer.status_code == 400 and "To je vrstica iz glave e-pošte, ne naslov: “Bcc: z@example.com”." in answer.text


def test_the_add_subscriber_field_takes_a_name_with_the_address_and_refuses_a_header_line(studio: RunningStudio) -> None:
    client = studio.client()
    refused = _post(client, "/subscribers/add", email="Bcc: z@example.com", language="sl")
    assert refused.status_code == 400 and "This is a line of an email&#39;s header, not an address: “Bcc: z@example.com”." in refused.text
    two = _post(client, "/subscribers/add", email="a@example.org, b@example.org", language="sl")
    assert two.status_code == 400 and "One subscriber at a time: the field holds 2 addresses." in two.text
    added = _post(client, "/subscribers/add", email="Ana Novak <ana@example.org>", language="sl")
    assert added.status_code == 200 and "ana@example.org" in added.text
    store = open_store(studio.settings)
    try:
        assert get_subscriber(store, "ana@example.org").name == "Ana Novak"
        with pytest.raises(Exception, match="z@example.com|not found|No subscriber"):
            get_subscriber(store, "z@example.com")
    finally:
        store.close()
