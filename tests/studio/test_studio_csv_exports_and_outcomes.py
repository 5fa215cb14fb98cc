"""The studio's CSV files open in Excel, read back, and a campaign that ended with failures is never just "sent" (s8).

A tester opened ``delivery-figures.csv`` and ``subscribers.csv`` in Excel on Windows set to Slovenian: "Ä\x8d" for
"č", and every row in one column. Every CSV now starts with the UTF-8 byte order mark (RFC 4180 otherwise, comma);
a second file "for Excel" separates cells with ";", as Excel set to a comma-decimal language expects
(docs/decisions.md, "## Store"). The Issues list, Reports and the editor's banner called a campaign that ended
with 1 of 3 messages undelivered "sent"; they now say "ended: 2 of 3 sent, 1 could not be delivered", as the
send page and the send's job page do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.db import open_store
from leadex_mail.store.importer import import_csv
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber, list_subscribers
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, serve_studio, studio_settings

BOM = b"\xef\xbb\xbf"
LIST = "partnerji-czs"  # a list name is a slug; the names carry the letters Excel garbled
NAMES = {"ana.cebular@example.org": "Ana Čebular Žužek", "reject.spela@example.org": "Špela Šušteršič", "beth@example.org": "Beth Jones"}


class RejectSome:
    """An SMTP server that refuses every address with "reject" in it (550 5.1.1) and takes the rest."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802 (aiosmtpd's hook)
        if "reject" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        return "250 2.0.0 OK: queued"


@pytest.fixture
def sent_studio(tmp_path: Path, start_smtp) -> Iterator[RunningStudio]:
    """Issue No. 1 sent to three Slovenian readers, one refused for good: done, 2 of 3 sent, 1 failed."""
    port = start_smtp(RejectSome())
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, port)
    store = open_store(settings)
    try:
        create_list(store, LIST, public=True)
        for email, name in NAMES.items():
            add_subscriber(store, email, name=name, language="sl", lists=(LIST,), source="cli")
        assert send_campaign(store, load_issue(ISSUE, settings), settings, list_name=LIST).status == "done"
        with serve_studio(settings, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


def _client(studio: RunningStudio, ui: str = "en"):  # noqa: ANN202
    client = studio.client()
    client.headers["accept-language"] = ui
    return client


def _rows(data: bytes, delimiter: str) -> list[dict[str, str]]:
    """The rows as Python's csv reads the file, opened as its documentation says for a file with a mark (utf-8-sig)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


@pytest.mark.parametrize(("query", "delimiter", "name"), [("", ",", "delivery-figures.csv"), ("?format=excel", ";", "delivery-figures-excel.csv")])
def test_the_figures_csv_has_the_mark_its_delimiter_and_reads_back(sent_studio: RunningStudio, query: str, delimiter: str, name: str) -> None:
    response = _client(sent_studio).get("/reports.csv" + query)
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="{name}"' in response.headers["content-disposition"]
    data = response.content
    header = "issue,list,language,started,status,recipients,sent,waiting,failed,skipped,uncertain,bounces,complaints".replace(",", delimiter)
    assert data.startswith(BOM + header.encode() + b"\r\n")  # the mark, then the header: no sep= line (Excel would drop the mark)
    assert data.count(b"\r\n") == 2 and b"\n" not in data.replace(b"\r\n", b"")  # RFC 4180 line ends only
    (row,) = _rows(data, delimiter)
    assert (row["issue"], row["list"], row["language"], row["status"]) == (ISSUE, LIST, "sl", "done")
    assert (row["recipients"], row["sent"], row["failed"]) == ("3", "2", "1")


@pytest.mark.parametrize(("fmt", "delimiter", "name"), [("csv", ",", "subscribers.csv"), ("excel", ";", "subscribers-excel.csv")])
def test_the_subscriber_export_has_the_mark_and_our_import_reads_it_back(sent_studio: RunningStudio, tmp_path: Path, fmt: str, delimiter: str, name: str) -> None:
    response = _client(sent_studio).get(f"/subscribers/export?format={fmt}")
    assert response.status_code == 200 and f'filename="{name}"' in response.headers["content-disposition"]
    data = response.content
    assert data.startswith(BOM + delimiter.join(("email", "name", "language")).encode() + delimiter.encode())
    assert "Ana Čebular Žužek".encode() in data and b"\r\n" in data  # UTF-8 letters, CRLF
    rows = _rows(data, delimiter)
    assert {r["email"]: r["name"] for r in rows} == NAMES
    # Our importer reads our exporter's file into an empty store: the same people, names and language.
    exported = tmp_path / name
    exported.write_bytes(data)
    (tmp_path / "fresh").mkdir()
    fresh = open_store(studio_settings(tmp_path / "fresh"))
    try:
        create_list(fresh, LIST)
        report = import_csv(fresh, exported, list_name=LIST)
        # The refused address is bounced in the export and stays off (an import never re-activates one); the others come back.
        assert report.imported == 2 and [r.code for r in report.rejected] == ["file_bounced"], report.format()
        assert report.delimiter == delimiter and report.encoding == "utf-8-sig"
        kept = {e: (n, "sl") for e, n in NAMES.items() if not e.startswith("reject")}
        assert {s.email: (s.name, s.language) for s in list_subscribers(fresh)} == kept
    finally:
        fresh.close()


def test_both_files_are_offered_with_what_each_is_for(sent_studio: RunningStudio) -> None:
    for path, links in (("/reports", ('href="/reports.csv"', 'href="/reports.csv?format=excel"')),
                        ("/subscribers", ('href="/subscribers/export?format=csv"', 'href="/subscribers/export?format=excel"'))):
        for ui, words in (("en", "Download for Excel in Slovenian"), ("sl", "Prenesi za Excel v slovenščini")):
            page = _client(sent_studio, ui).get(path + f"?ui={ui}").text
            assert all(link in page for link in links) and words in page


@pytest.mark.parametrize(("ui", "words"), [("en", "ended: 2 of 3 sent, 1 could not be delivered"), ("sl", "končano: poslano 2 od 3, 1 sporočila ni bilo mogoče dostaviti")])
def test_a_campaign_that_ended_with_failures_is_said_so_everywhere(sent_studio: RunningStudio, ui: str, words: str) -> None:
    client = _client(sent_studio, ui)
    issues = client.get(f"/?ui={ui}").text
    line = re.search(rf'data-campaign-state="{LIST}">([^<]*)<', issues)
    assert line is not None and words in line.group(1), issues
    reports = client.get(f"/reports?ui={ui}").text
    assert f'data-state="done">{words}' in reports
    editor = client.get(f"/issues/{ISSUE}/sl?ui={ui}").text
    banner = re.search(r'<div id="sent"[^>]*>(.*?)</div>', editor, re.S)
    assert banner is not None and words.split(": ", 1)[1] in banner.group(1), banner and banner.group(1)
