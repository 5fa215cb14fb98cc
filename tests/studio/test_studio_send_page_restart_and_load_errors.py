"""a13c F5, F8: a send's page address outlives the studio; an issue whose files do not load names each error at its field.

HTTP against the studio served for real over real SQLite files and a real SMTP server on loopback.
"""

from __future__ import annotations

import re
from pathlib import Path

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.campaigns import find_campaign
from studio.studio_helpers import ISSUE, RunningStudio, add_readers, copy_newsletters, serve_studio, serve_studio_on_store, studio_settings


def _client(studio: RunningStudio):  # noqa: ANN202
    client = studio.client()
    client.headers["accept-language"] = "en"
    token = re.search(r'data-csrf="([^"]+)"', client.get("/").text).group(1)
    return client, token


def _follow_to_the_end(client, location: str) -> None:  # noqa: ANN001
    with client.stream("GET", location + "/events") as events:
        assert any(line.startswith("event: done") for line in events.iter_lines())


def test_the_page_of_a_send_an_earlier_studio_ran_says_it_stopped_and_offers_to_resume(tmp_path: Path, smtp_server) -> None:  # noqa: ANN001
    """A tab left on a send's page across a restart: the new studio never heard of that send; the address still names its list."""
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def killed_mid_send(store) -> None:  # noqa: ANN001
        add_readers(store, 3)
        send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter", limit=1)  # stopped after one, as a kill leaves it

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=killed_mid_send) as studio:
        client, token = _client(studio)
        old_tab = f"/issues/{ISSUE}/send/jobs/newsletter-0badf00d"  # what the earlier studio named its send
        page = client.get(old_tab)
        assert page.status_code == 200, page.text[:300]
        assert "The studio was started again since this send began" in page.text
        assert "This send stopped without finishing" in page.text and "Resume the send</button>" in page.text
        assert "There is no such issue or page" not in page.text

        resumed = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", "resume": "1"})  # the page's Resume button
        assert resumed.status_code == 303, resumed.text[:300]
        location = resumed.headers["location"]
        assert re.fullmatch(rf"/issues/{ISSUE}/send/jobs/newsletter-[0-9a-f]{{8}}", location)  # never a count that starts again at 1
        assert location != old_tab
        _follow_to_the_end(client, location)
        assert find_campaign(studio.store, ISSUE, "newsletter").status == "done"
        again = client.get(old_tab).text
        assert "stopped without finishing" not in again and "Resume the send" not in again
        assert "3 sent" in again
        assert client.get(f"/issues/{ISSUE}/send/jobs/1").status_code == 404  # no address of this kind names a send


BROKEN = {  # what the loader refuses, written as a forged field request wrote it (a13c F8 repro)
    "title: LeadEx novice št. 1": 'title: "LeadEx\\0 novice št. 1"',
    "subject: LeadEx novice št. 1 – april 2026": 'subject: "Hello\\r\\nBcc: evil@example.org"',
    "url: https://www.interregeurope.eu/leadex": "url: javascript:alert(1)",
}


def test_test_and_send_on_an_issue_that_does_not_load_names_each_error_at_its_field(tmp_path: Path) -> None:
    copy_newsletters(tmp_path, ISSUE)
    with serve_studio(studio_settings(tmp_path), root=tmp_path) as studio:
        file = studio.file(ISSUE, "sl")
        text = file.read_text(encoding="utf-8")
        for before, after in BROKEN.items():
            text = text.replace(before, after, 1)
        file.write_text(text, encoding="utf-8")
        client, _ = _client(studio)
        page = client.get(f"/issues/{ISSUE}/send")
        assert page.status_code == 409
        assert "The check found 3 errors." in page.text
        links = re.findall(r'<li class="error"><a href="([^"]+)">([^<]+)</a>', page.text)
        assert [href for href, _ in links] == [f"/issues/{ISSUE}/sl#f-title", f"/issues/{ISSUE}/sl#f-subject", f"/issues/{ISSUE}/sl#f-sections-1-more-url"]
        assert links[2][1] == "Slovenian edition · section 2 (Story) · “More here” link · Address (URL)"
        assert "errors in the issue files" not in page.text  # the core's summary is not what the officer reads
        review = client.get(f"/issues/{ISSUE}/send/review?list=newsletter")
        assert review.status_code == 409 and f"/issues/{ISSUE}/sl#f-title" in review.text

        issues = client.get("/").text
        row = issues[issues.index(f'<a href="/issues/{ISSUE}/sl">') :].split("</th>")[0]
        assert ">LeadEx novice št. 1</a>" in row  # its title, without the control character
        shown = re.sub(r"<[^>]+>", " ", row).split()
        assert shown.count(ISSUE) == 1  # the title, then the folder's name once (as for an issue that loads), never the name twice
