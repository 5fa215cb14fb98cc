"""The studio speaks to the officer (a13 findings 8, 17 and 20-24).

Findings of another edition are named as the form names their place, with a
link there, never as file:line; every shape mistake of a hand-edited file is
listed at once, each at its line; a picture that is not one is refused in the
officer's language without a temporary file's path; a translation missing a
section is not "100% written"; the language-code fields say what the codes
are; a time in a zone that is UTC is said once; the audit log's details read
as words, not JSON.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from studio.studio_helpers import ISSUE, LIVE, RunningStudio, copy_newsletters, serve_studio, studio_settings, wait_preview

TOKEN = re.compile(r'data-csrf="([^"]+)"')


@pytest.mark.browser
def test_a_finding_of_another_edition_is_named_as_the_form_names_it_and_links_there(studio: RunningStudio, studio_page: Page) -> None:
    en = studio.file(ISSUE, "en")
    en.write_text(en.read_text(encoding="utf-8").replace("url: https://www.interregeurope.eu/leadex", "url: '#'", 1), encoding="utf-8")
    page = studio_page
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    item = page.locator("#check-list li.error")
    expect(item).to_have_count(1, timeout=LIVE)
    expect(item).to_have_text(
        "English edition: section 2 (Story) · “More here” link · Address (URL): This link has no real address yet."
        " — Put the real address of the page (https://…) in its place."
    )
    link = item.get_by_role("link")
    expect(link).to_have_attribute("href", f"/issues/{ISSUE}/en#f-sections-1-more-url")
    link.click()
    expect(page).to_have_url(re.compile(f"/issues/{ISSUE}/en#f-sections-1-more-url$"))
    expect(page.locator('[data-problems-for="sections.1.more.url"]')).to_contain_text("This link has no real address yet.", timeout=LIVE)


def _served(tmp_path: Path, **env: str):
    copy_newsletters(tmp_path, ISSUE)
    return serve_studio(studio_settings(tmp_path, **env), root=tmp_path)


def test_every_shape_mistake_of_a_hand_edited_file_is_listed_at_once_each_at_its_line(tmp_path: Path) -> None:
    with _served(tmp_path) as studio:
        file = studio.file(ISSUE, "sl")
        text = file.read_text(encoding="utf-8")
        file.write_text(
            text[: text.index("\nsections:") + 1]
            + "sections:\n  - type: story\n    heading: Novica\n    image: 5\n    body: x\n  - type: events\n    heading: Dogodki\n    items: 7\n  - 42\n",
            encoding="utf-8",
        )
        first = text[: text.index("\nsections:") + 1].count("\n") + 1  # the line of `sections:`
        client = studio.client()
        client.headers["accept-language"] = "en"
        shown = client.get(f"/issues/{ISSUE}/sl")
        assert shown.status_code == 409
        listed = re.findall(r'<details class="detail"><summary>[^<]*</summary><p>sl\.yaml, line (\d+): <span lang="en">([^<]*)</span></p></details>', shown.text)
        assert listed == [
            (str(first + 3), "sections.0.image: a group of fields is expected here, the file has the value &#39;5&#39;"),
            (str(first + 7), "sections.1.items: a list is expected here, the file has the value &#39;7&#39;"),
            (str(first + 8), "sections.2: a section (a group of fields starting with type:) is expected here, the file has the value &#39;42&#39;"),
        ], shown.text[:3000]
        # Said to the officer first, with whom to ask; never the file's path.
        assert shown.text.count("The file of this edition has a value where the form expects a group of fields.") == 2
        assert f"correct line {first + 7}." in shown.text and str(file) not in shown.text


def _token(client) -> str:  # noqa: ANN001
    return TOKEN.search(client.get("/").text).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("data", [b"these are words, not a picture", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00broken"])
def test_a_picture_that_is_not_one_is_refused_in_the_officers_words_without_a_temporary_path(tmp_path: Path, data: bytes) -> None:
    with _served(tmp_path) as studio:
        client = studio.client()
        client.headers["accept-language"] = "sl"
        token = _token(client)
        assert client.get(f"/issues/{ISSUE}/sl").status_code == 200
        answer = client.post(
            f"/issues/{ISSUE}/sl/image",
            data={"path": "sections.1.image"},
            files={"file": ("srecanje.png", data, "image/png")},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert answer.status_code == 422, answer.text
        said = answer.json()
        assert said["error"] == "srecanje.png: Te slike ni mogoče uporabiti: je prevelika, poškodovana ali ni slika vrste JPEG, PNG, GIF ali WebP."  # every kind it takes (a13b #11)
        assert said["hint"] == "Shranite jo znova kot JPEG, široko največ 1200 pikslov, in jo izberite znova."
        assert "tmp" not in answer.text and "BytesIO" not in answer.text


def test_a_translation_missing_a_section_is_not_all_written_and_language_codes_are_explained(tmp_path: Path) -> None:
    with _served(tmp_path) as studio:
        en = studio.file(ISSUE, "en")
        data = yaml.safe_load(en.read_text(encoding="utf-8"))
        data["sections"] = [s for s in data["sections"] if s["type"] != "partners"]
        en.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        client = studio.client()
        client.headers["accept-language"] = "en"
        page = client.get("/").text
        written = dict(re.findall(r'<a href="/issues/' + ISSUE + r'/(\w+)">\w+</a>\s*<span class="complete">(\d+)% written</span>', page))
        assert written["sl"] == "100" and int(written["en"]) < 100, written
        explained = f'aria-describedby="lang-help-{ISSUE}"'
        assert explained in page and "sl = Slovenian, en = English" in page
        assert 'aria-describedby="new-language-help"' in page


def test_a_time_in_a_zone_that_is_utc_is_said_once(tmp_path: Path) -> None:
    from leadex_mail.studio.views_schedule import local_time

    at = datetime(2026, 9, 10, 13, 0, tzinfo=UTC)
    assert local_time(at, studio_settings(tmp_path, LEADEX_TIMEZONE="UTC")) == "2026-09-10 13:00 UTC"
    assert local_time(at, studio_settings(tmp_path, LEADEX_TIMEZONE="Europe/London")) == "2026-09-10 14:00 BST (13:00 UTC)"
    assert local_time(datetime(2026, 12, 1, 13, 0), studio_settings(tmp_path, LEADEX_TIMEZONE="Europe/London")) == "2026-12-01 13:00 GMT"
    assert local_time(at, studio_settings(tmp_path, LEADEX_TIMEZONE="Europe/Ljubljana"), seconds=True) == "2026-09-10 15:00:00 CEST (13:00:00 UTC)"


def test_the_audit_log_details_read_as_words(tmp_path: Path) -> None:
    from leadex_mail.store.accounts import record
    from leadex_mail.store.db import open_store

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, LEADEX_TIMEZONE="UTC")
    with open_store(settings) as store:
        record(store, "maja", "send", f"{ISSUE} -> newsletter", detail={"recipients": 50, "per_language": {"sl": 40, "en": 10}})
        record(store, "maja", "schedule", f"{ISSUE} -> newsletter", detail={"send_at": "2026-09-10T13:00:00+00:00", "moved": False})
    with serve_studio(settings, root=tmp_path) as studio:
        client = studio.client()
        client.headers["accept-language"] = "en"
        details = re.findall(r'<td class="detail">([^<]*)</td>', client.get("/audit").text)
    assert details == ["Moved from an earlier time: no; Time of sending: 2026-09-10 13:00 UTC", "By language: English 10, Slovenian 40; Recipients: 50"]
