"""An edition over the file size limit is not saved, and the officer is told so at once (a13c #14).

Saving wrote a 939 KB sl.yaml and said "Saved"; `leadex-mail check`, `send` and
the studio itself then refused the file ("The file of this edition is too
big"). The save now refuses it, says why beside Save, and keeps every typed
word in the unsaved draft.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from leadex_mail.content.yamlsource import MAX_FILE_BYTES
from studio.studio_helpers import ISSUE, LIVE, RunningStudio, wait_preview

FIELD = "sections.5.body"


def test_an_edition_over_the_limit_is_refused_at_save_and_the_typed_text_stays(studio: RunningStudio) -> None:
    before = studio.file(ISSUE, "sl").read_bytes()
    pasted = "\n\n".join(f"Odstavek {i} s prilepljenim besedilom s spletne strani, dolg in še daljši." for i in range(4000))
    assert len(pasted.encode()) > MAX_FILE_BYTES
    with studio.client() as client:
        client.headers["accept-language"] = "en"
        token = re.search(r'data-csrf="([^"]+)"', client.get(f"/issues/{ISSUE}/sl").text).group(1)  # type: ignore[union-attr]
        changed = client.post(f"/issues/{ISSUE}/sl/field", json={"path": FIELD, "value": pasted}, headers={"X-CSRF-Token": token})
        assert changed.status_code == 200, changed.text

        saved = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
        assert saved.status_code == 413, saved.text
        said = saved.json()["error"]
        assert re.fullmatch(
            r"Not saved: this edition would be \d+ KB, and an edition may be at most 256 KB\. Shorten the longest texts "
            r"\(a paste from a web page can bring far more than it shows\)\. Your changes are still here, unsaved\.",
            said,
        ), said
        assert studio.file(ISSUE, "sl").read_bytes() == before  # nothing written
        assert client.get(f"/issues/{ISSUE}/sl/markdown", params={"path": FIELD}).json()["value"] == pasted  # the draft keeps it

        # Without the page's script (a plain form): a page that says the same, not a traceback.
        page = client.post(f"/issues/{ISSUE}/sl/save", data={"csrf": token})
        assert page.status_code == 413 and "Not saved: this edition would be" in page.text and "Traceback" not in page.text
        assert studio.file(ISSUE, "sl").read_bytes() == before

        # Shortened below the limit, it saves.
        client.post(f"/issues/{ISSUE}/sl/field", json={"path": FIELD, "value": pasted[:20_000]}, headers={"X-CSRF-Token": token})
        assert client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"}).status_code == 200
        assert "Odstavek 0 s prilepljenim" in studio.file(ISSUE, "sl").read_text(encoding="utf-8")


def test_the_editor_says_it_beside_save_and_keeps_the_text(studio: RunningStudio, studio_page: Page) -> None:
    """The reported path in Chromium: a very long text, Ctrl+S -> not "Saved" but why, and the text still on the page."""
    page = studio_page
    before = studio.file(ISSUE, "sl").read_bytes()
    page.goto(f"{studio.url}/issues/{ISSUE}/sl")
    wait_preview(page)
    box = page.locator(f'.richtext[data-path="{FIELD}"]')
    box.get_by_role("button", name="Markdown").click()
    source = box.locator("textarea")
    expect(source).to_be_focused(timeout=LIVE)
    pasted = "\n\n".join(f"Odstavek {i} s prilepljenim besedilom s spletne strani." for i in range(6000))
    source.evaluate("(el, text) => { el.value = text; el.dispatchEvent(new InputEvent('input', { bubbles: true })); }", pasted)  # a paste
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_contain_text("Not saved: this edition would be", timeout=LIVE)
    expect(page.locator("#save-status")).to_contain_text("Your changes are still here, unsaved.")
    assert studio.file(ISSUE, "sl").read_bytes() == before
    assert source.input_value() == pasted
