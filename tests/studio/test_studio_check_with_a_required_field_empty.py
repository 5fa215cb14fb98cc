"""While an edition has a required field empty, the Check box still says everything else it can (a13d).

Reported: with required-field errors the Check box dropped every other
problem (a ✎ text, the missing preheader, a placeholder link, the privacy
notice) and said "4 errors, 0 warnings", which was not the whole story.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from studio.studio_helpers import ISSUE, RunningStudio, csrf_token, preview_summaries


def _problems_once(client: httpx.Client, changes: Callable[[], None], done: Callable[[list[dict]], bool]) -> list[dict]:
    """The problems of the first ``preview`` event after ``changes`` for which ``done`` holds (as a page hears them)."""
    changed = False
    for summary in preview_summaries(client):
        if not changed:
            changes()
            changed = True
        elif done(summary["problems"]):
            return summary["problems"]
    raise AssertionError("the stream ended before the preview the changes make")


def test_a_required_field_left_empty_does_not_hide_the_other_findings(studio: RunningStudio) -> None:
    with studio.client() as client:
        client.headers["accept-language"] = "en"
        token = csrf_token(client, f"/issues/{ISSUE}/sl")

        def changes() -> None:
            with studio.client() as other:
                other.cookies = client.cookies
                for path, value in (("sections.1.more.url", "#"), ("preheader", ""), ("sections.1.heading", "✎ Uvodni sestanek"), ("subject", None)):
                    changed = other.post(f"/issues/{ISSUE}/sl/field", json={"path": path, "value": value}, headers={"X-CSRF-Token": token})
                    assert changed.status_code == 200, (path, changed.text)

        problems = _problems_once(client, changes, lambda found: any(p["path"] == "subject" for p in found))
    by_place = {(p["path"], p["code"], p["severity"]) for p in problems if p["language"] == "sl"}
    assert any(path == "subject" and severity == "error" for path, _, severity in by_place), problems  # the required field
    assert ("sections.1.more.url", "link.unfinished", "error") in by_place, problems
    assert ("sections.1.heading", "draft.marked", "error") in by_place, problems
    assert ("preheader", "edition.no_preheader", "warning") in by_place, problems
