"""A store file moved or deleted under a running studio is said at once, and nothing is written into the lost file.

Tester a15 (major): after ``mv subscribers.db* ../dbbak/`` every page kept
showing the old figures and "Add a subscriber" said "ghost@example.org is
subscribed." while the write went into the moved file (with ``rm``, into a
deleted one). A real studio over a real SQLite file, over real HTTP; the
files are really moved.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from studio.studio_helpers import copy_newsletters, english_client, serve_studio, studio_settings, ISSUE

GONE = "its file was deleted, moved or cannot be opened"


def _addresses(database: Path) -> list[str]:
    raw = sqlite3.connect(database)
    try:
        return [row[0] for row in raw.execute("SELECT email FROM subscriber ORDER BY email")]
    finally:
        raw.close()


def test_a_store_moved_away_under_the_studio_is_said_and_never_written(tmp_path: Path, smtp_server) -> None:  # noqa: ANN001
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)
    with open_store(settings) as store:
        create_list(store, "newsletter")
    elsewhere = tmp_path / "dbbak"
    elsewhere.mkdir()
    with serve_studio(settings, root=tmp_path) as studio:  # the studio opens and keeps its own store, as `leadex-mail studio` does
        client, token = english_client(studio)
        added = client.post("/subscribers/add", data={"csrf": token, "email": "first@example.org", "language": "sl", "lists": "newsletter"})
        assert added.status_code == 200, added.text[:300]
        assert client.get("/subscribers").status_code == 200

        moved = [path.rename(elsewhere / path.name) for path in sorted(tmp_path.glob("subscribers.db*"))]
        page = client.get("/subscribers")
        assert page.status_code == 503 and GONE in page.text, page.text[:400]
        ghost = client.post("/subscribers/add", data={"csrf": token, "email": "ghost@example.org", "language": "sl", "lists": "newsletter"})
        assert ghost.status_code == 503 and GONE in ghost.text and "ghost@example.org was added" not in ghost.text, ghost.text[:400]
        assert client.get(f"/issues/{ISSUE}/send").status_code == 503
        # A test send (a16 B1: it went out, made a new empty store in the folder and said nothing was done):
        # refused before anything goes out, and said as the other pages say it.
        before = len(smtp_server.messages)
        test = client.post(f"/issues/{ISSUE}/send/test", data={"csrf": token, "to": "officer@example.org", "language": "sl"})
        assert test.status_code == 503 and GONE in test.text, test.text[:400]
        assert len(smtp_server.messages) == before
        # The Issues page (a16 B3: a sent issue looked "checked", no word of the store) says why sends are missing.
        issues = client.get("/")
        assert issues.status_code == 200 and "data-store-problem" in issues.text and GONE in issues.text, issues.text[:600]
        assert "The states below come from the issue files alone" in issues.text
        assert not (tmp_path / "subscribers.db").exists()  # no new empty store made in its place

        for path in moved:
            path.rename(tmp_path / path.name)
        assert client.get("/subscribers").status_code == 200  # put back: the same file, working again
    assert _addresses(tmp_path / "subscribers.db") == ["first@example.org"]
