"""A value typed in the default edition does not read the translations' files again, yet a file changed on disk is seen (s8 review).

Each field change of the default edition looks at every translation
(``alignvalues.follow_value``): its draft, or its file as it is now. It read
and hashed each translation's file on every keystroke (``IssueSession.open``
comparing the draft's stamp with the file). Now what the last load gave is
kept (``studio.translationdrafts``) and the file is read again only when it
changed on disk: a translation changed by another program between two
keystrokes still decides whether it follows. Files and server are real; the
reads are counted by wrapping the studio's own ``read_stamp``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from leadex_mail.studio import workspace
from studio.studio_helpers import ISSUE, RunningStudio, edition_data, editor_headers, editor_post

HEADING, DATE = "sections.1.heading", "sections.6.items.0.date"


def _set(client: httpx.Client, headers: dict[str, str], path: str, value: str) -> None:
    answer = client.post(f"/issues/{ISSUE}/sl/field", json={"path": path, "value": value}, headers={**headers, "content-type": "application/json"})
    assert answer.status_code == 200, answer.text


def test_typing_in_the_default_edition_reads_no_translation_file(studio: RunningStudio, monkeypatch: pytest.MonkeyPatch) -> None:
    english = studio.file(ISSUE, "en").resolve()
    reads: list[Path] = []
    real = workspace.read_stamp

    def counted(path: Path) -> Any:
        reads.append(Path(path).resolve())
        return real(path)

    monkeypatch.setattr(workspace, "read_stamp", counted)
    with studio.client() as client:
        client.get(f"/issues/{ISSUE}/en")
        headers = editor_headers(client, "sl")
        _set(client, headers, HEADING, "N")  # the first change finds the translation as its file is
        reads.clear()
        for typed in ("No", "Nov", "Nova", "Nova n", "Nova na"):
            _set(client, headers, HEADING, typed)
        assert reads.count(english) == 0, f"en.yaml read {reads.count(english)} times for 5 keystrokes"
        # Dates follow: still the translation's draft, kept.
        _set(client, headers, DATE, "2025-09-29")
        editor_post(client, "sl", "save")
    assert str(edition_data(studio, "en")["sections"][6]["items"][0]["date"]) == "2025-09-29"


def test_a_translation_changed_on_disk_between_two_keystrokes_decides_for_itself(studio: RunningStudio) -> None:
    english = studio.file(ISSUE, "en")
    with studio.client() as client:
        client.get(f"/issues/{ISSUE}/en")
        headers = editor_headers(client, "sl")
        _set(client, headers, HEADING, "Nova")  # the translation is looked at (and kept)
        # Another program gives the English event a date of its own, keeping the file's size.
        text = english.read_text(encoding="utf-8")
        assert text.count("date: 2025-09-30\n") == 1
        english.write_text(text.replace("date: 2025-09-30\n", "date: 2025-09-28\n"), encoding="utf-8")
        _set(client, headers, DATE, "2025-09-29")  # at once, the studio's watcher may not have told it yet
        editor_post(client, "sl", "save")
    assert str(edition_data(studio, "sl")["sections"][6]["items"][0]["date"]) == "2025-09-29"
    assert str(edition_data(studio, "en")["sections"][6]["items"][0]["date"]) == "2025-09-28"  # its own, not followed
