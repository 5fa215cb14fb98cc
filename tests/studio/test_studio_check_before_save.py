"""What Save and "new edition" would refuse, said before the officer presses the button (brief s6 C2, C4).

C2, reported: the 256 KB limit of an issue file was checked only at save; the
live check (what the editor shows while typing) said nothing, so an officer
saw 0 errors and then "Not saved". The live check now writes a large draft
out as Save would and says, at the edition, that it is over (Save still
refuses it). The draft here is short list lines: the fast text the live check
reads stays under the limit while the saved file, indented, is over it.

C4: "new edition" in the studio does not start an edition in a language the
issue has (``sl-SI`` or ``sl`` beside ``sl``, ``en-US`` beside ``en``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from leadex_mail.content.yamlsource import MAX_FILE_BYTES
from studio.studio_helpers import ISSUE, RunningStudio, csrf_token, preview_summaries

LINES = "\n".join("- ab" for _ in range(9_999))  # 49 994 characters: under a text's 50 000
BODIES = {"sections.1.body": LINES, "sections.3.body": LINES, "sections.4.body": "\n".join("- ab" for _ in range(4_500))}


def _checked_problems(client: httpx.Client, changes: Callable[[], None]) -> list[dict]:
    """The problems of the live check of the drafts as ``changes`` leaves them (the ``preview`` events, as a page hears them).

    The stream is open before the changes, so the first checked preview after a render that follows them is theirs.
    """
    changed, rendered = False, False
    for summary in preview_summaries(client):
        if not changed:
            changes()
            changed = True
        elif summary["checking"]:
            rendered = True
        elif rendered:
            return summary["problems"]
    raise AssertionError("the stream ended before a checked preview")


def test_a_draft_over_the_file_limit_is_said_live_at_its_edition_before_save(studio: RunningStudio) -> None:
    before = studio.file(ISSUE, "sl").read_bytes()
    with studio.client() as client:
        client.headers["accept-language"] = "en"
        token = csrf_token(client, f"/issues/{ISSUE}/sl")

        def changes() -> None:
            with studio.client() as other:  # the page's requests, while its event stream stays open
                other.cookies = client.cookies
                for path, value in BODIES.items():
                    changed = other.post(f"/issues/{ISSUE}/sl/field", json={"path": path, "value": value}, headers={"X-CSRF-Token": token})
                    assert changed.status_code == 200, changed.text

        said = [p for p in _checked_problems(client, changes) if p["code"] == "edition.too_big_to_save"]
        assert len(said) == 1, said
        assert re.fullmatch(r"Saved now, this edition would be \d+ KB, and an edition may be at most 256 KB: Save will refuse it\.", said[0]["message"]), said
        assert said[0]["severity"] == "error" and said[0]["where"] == "Slovenian edition" and said[0]["href"] == f"/issues/{ISSUE}/sl"
        kb = int(re.search(r"would be (\d+) KB", said[0]["message"]).group(1))  # type: ignore[union-attr]
        assert kb * 1024 > MAX_FILE_BYTES

        # Save still refuses it, with the same size.
        saved = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
        assert saved.status_code == 413 and f"would be {kb} KB" in saved.json()["error"], saved.text
        assert studio.file(ISSUE, "sl").read_bytes() == before


def test_new_edition_does_not_start_one_in_a_language_the_issue_has(studio: RunningStudio) -> None:
    with studio.client() as client:
        client.headers["accept-language"] = "en"
        token = csrf_token(client)
        for typed in ("sl-SI", "en-US"):
            refused = client.post(f"/issues/{ISSUE}/editions", data={"csrf": token, "language": typed}, follow_redirects=False)
            assert refused.status_code == 409, (typed, refused.status_code)
            assert "in the same language as" in refused.text and "Traceback" not in refused.text
            assert not (studio.newsletters / ISSUE / f"{typed}.yaml").exists()
