"""The send pages name editions by their languages' names in the page's language, never by their codes.

The test send's Edition picker offered ``sl`` and ``en`` (s8 tester), and its outcome said "Sent to … (sl)";
the review's plan said "Edition en". Everywhere else (the findings' places) an edition is "English edition",
"Izdaja v jeziku angleščina": these pages now say it so too (``language_in``, Babel's names).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from studio.studio_helpers import ISSUE, add_english_edition, copy_newsletters, csrf_token, serve_studio, studio_settings

OPTIONS = re.compile(r'<select id="test-language" name="language">(.*?)</select>', re.S)


@pytest.mark.parametrize(("ui", "names"), [("en", ["Slovenian", "English"]), ("sl", ["slovenščina", "angleščina"])])
def test_the_test_sends_edition_picker_and_outcome_name_languages(tmp_path: Path, smtp_server, ui: str, names: list[str]) -> None:  # noqa: ANN001
    copy_newsletters(tmp_path, ISSUE)
    add_english_edition(tmp_path)
    with serve_studio(studio_settings(tmp_path, smtp_server.port), root=tmp_path) as studio:
        client = studio.client()
        page = client.get(f"/issues/{ISSUE}/send?ui={ui}").text
        options = re.findall(r'<option value="([^"]+)">([^<]*)</option>', OPTIONS.search(page).group(1))
        assert options == [("sl", names[0]), ("en", names[1])], options  # the value stays the code the send reads
        answer = client.post(f"/issues/{ISSUE}/send/test", data={"csrf": csrf_token(client, f"/issues/{ISSUE}/send"), "to": "me@example.org", "language": "en"})
    assert answer.status_code == 200, answer.text[:500]
    said = html.unescape(answer.text)
    assert (f"Sent to me@example.org ({names[1]})." if ui == "en" else f"Poslano na me@example.org ({names[1]}).") in said, said
    assert "(en)" not in said
