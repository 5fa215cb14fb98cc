"""An issue already sent: its editors say to which list, when and to how many, and what a change saved now does (issue 13).

Over real HTTP, the issue sent with ``send_campaign`` through a real SMTP
server on loopback into a real SQLite store. The words follow the send
review's refusal (``ChangedAfterSend``): the same opening, the same advice.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, add_readers, copy_newsletters, serve_studio_on_store, studio_settings

SENT = re.compile(r"This issue was sent to newsletter from (.+?): (\d+) (?:people|person) got this edition\.")


def _text(client, path: str) -> str:  # noqa: ANN001
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return html.unescape(answer.text)


def test_the_editors_of_a_sent_edition_say_who_got_it_and_that_a_change_does_not_reach_them(tmp_path: Path, smtp_server) -> None:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def sent(store) -> None:  # noqa: ANN001
        add_readers(store, 2)
        add_subscriber(store, "reader-en@example.org", language="en", lists=("newsletter",), source="cli")
        assert send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter").status == "done"

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=sent) as studio:
        client = studio.client()
        client.headers["accept-language"] = "en"
        editor = _text(client, f"/issues/{ISSUE}/sl")
        said = SENT.search(editor)
        assert said is not None and said.group(2) == "2", editor[:3000]  # before: nothing said, the officer edited on
        assert "A change saved now does not reach those who already got it" in editor and "“Start a new issue”" in editor
        side = _text(client, f"/issues/{ISSUE}/side-by-side?lang=en")  # the translation's own count, singular
        assert "This issue was sent to newsletter from" in side and "1 person got this edition." in side
        assert "1 person got this edition." in _text(client, f"/issues/{ISSUE}/en")
        # In the officer's language, with its plural forms.
        client.headers["accept-language"] = "sl"
        assert "to izdajo sta prejeli 2 osebi." in _text(client, f"/issues/{ISSUE}/sl")
        # The send review says the same once the edition changed: one story, one wording, one time.
        client.headers["accept-language"] = "en"
        edition = tmp_path / "newsletters" / ISSUE / "sl.yaml"
        edition.write_text(edition.read_text(encoding="utf-8").replace("Murcia", "Murciji, popravljeno", 1), encoding="utf-8")
        review = client.get(f"/issues/{ISSUE}/send/review?list=newsletter")
        assert review.status_code == 409
        assert f"This issue was sent to newsletter from {said.group(1)}: 2 people got it" in html.unescape(review.text)

