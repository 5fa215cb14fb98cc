"""The live preview is what ``render`` makes of the file as saved: the email a render's event carries, the one
``GET .../preview`` serves, and a fresh compile of the saved file are the same bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator

from leadex_mail.content.loader import load_issue
from leadex_mail.preview.build import preview_edition
from leadex_mail.render.pipeline import compile_edition
from studio.studio_helpers import ISSUE, RunningStudio
from studio.test_studio_http import post_field, session

# YAML's special characters, quotes, a colon and non-ASCII letters: the draft's trip through YAML must keep them.
HEADING = 'Dan 2: "Murcia" – #1 & <b>žabe</b> - yes'


def preview_events(lines: Iterator[str]) -> Iterator[dict]:
    """The data of each ``preview`` event of a Server-Sent Events stream."""
    kind = None
    for line in lines:
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: ") and kind == "preview":
            yield json.loads(line[len("data: ") :])


def test_the_email_previewed_after_a_change_is_the_render_of_the_saved_file(studio: RunningStudio) -> None:
    client, token = session(studio)
    client.get(f"/issues/{ISSUE}/sl")
    with client.stream("GET", f"/issues/{ISSUE}/events", params={"lang": "sl"}) as stream:
        events = preview_events(stream.iter_lines())
        next(events)  # the state when the page connects
        assert post_field(client, token, "sections.1.heading", HEADING).status_code == 200
        pushed = next(e for e in events if "html" in e and "Dan 2: " in e["html"])
    served = client.get(f"/issues/{ISSUE}/sl/preview").text
    assert client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"}).json()["saved"]
    issue = load_issue(ISSUE, studio.settings)
    assert issue.edition("sl").sections[1].heading == HEADING
    rendered = preview_edition(compile_edition(issue, issue.edition("sl"), studio.settings)).html  # compiled anew, no cache
    assert pushed["html"] == served == rendered
