"""The studio's forms read a language the way the CLI does: ``HR`` is ``hr``; ``xx`` and a language's name get a hint (a13b #10)."""

from __future__ import annotations

import html
import re

from studio.studio_helpers import ISSUE, RunningStudio

TOKEN = re.compile(r'data-csrf="([^"]+)"')


def test_a_new_edition_reads_the_language_in_any_case_and_names_the_code_of_a_language_typed_by_name(studio: RunningStudio) -> None:
    client = studio.client()
    token = TOKEN.search(client.get("/").text).group(1)  # the officer's language: Slovenian
    made = client.post(f"/issues/{ISSUE}/editions", data={"csrf": token, "language": "HR"})
    assert made.status_code == 303 and made.headers["location"] == f"/issues/{ISSUE}/hr"
    assert studio.file(ISSUE, "hr").is_file() and not studio.file(ISSUE, "HR").exists()
    refused = client.post(f"/issues/{ISSUE}/editions", data={"csrf": token, "language": "xx"})
    assert refused.status_code == 400 and not studio.file(ISSUE, "xx").exists()
    assert "»xx« ni koda jezika" in html.unescape(refused.text) and "npr. sl, en, es" in html.unescape(refused.text)
    named = client.post(f"/issues/{ISSUE}/editions", data={"csrf": token, "language": "Polish"})
    assert named.status_code == 400 and "Jezik zapišite s kodo: Polish je pl." in html.unescape(named.text)
