"""What the studio calls an edition is what the CLI loads; the picture picker offers what the studio takes.

Issue 13 leftovers: the studio listed and opened ``xx.yaml`` as an edition
because its name has the shape of a language code (``LANGUAGE_RE``), while
the loader (and so ``leadex-mail check``) refuses it as no language. Every
place a language code enters the studio from a file name, an address or a
form now asks ``content.languages.is_edition_language``. And the file
picker's ``accept=`` list was written out by hand beside ``pictures.ACCEPTED``.
"""

from __future__ import annotations

import html
import re
import shutil

import pytest

from leadex_mail.errors import Problem
from leadex_mail.studio import i18n, pictures
from leadex_mail.studio.findings import place
from studio.studio_helpers import ISSUE, RunningStudio

TOKEN = re.compile(r'data-csrf="([^"]+)"')
ACCEPT = re.compile(r'accept="([^"]*)" data-upload-for=')


@pytest.mark.parametrize("name", ["xx", "en-XX"])
def test_a_file_named_like_no_language_is_no_edition_anywhere_in_the_studio(studio: RunningStudio, name: str) -> None:
    folder = studio.newsletters / ISSUE
    shutil.copy2(folder / "en.yaml", folder / f"{name}.yaml")  # the shape of a code, but no language: check refuses it
    client = studio.client()
    editor = client.get(f"/issues/{ISSUE}/sl")
    assert editor.status_code == 200
    assert f"/issues/{ISSUE}/en" in editor.text  # the editions the CLI loads are listed
    assert f"/issues/{ISSUE}/{name}" not in editor.text  # before: a tab of its own
    token = TOKEN.search(editor.text).group(1)
    for path in (f"/issues/{ISSUE}/{name}", f"/issues/{ISSUE}/{name}/preview", f"/issues/{ISSUE}/{name}/text", f"/issues/{ISSUE}/{name}/markdown?path=title"):
        assert client.get(path).status_code == 404, path  # before: the form of a file the CLI refuses
    side = client.get(f"/issues/{ISSUE}/side-by-side?lang={name}")
    assert side.status_code == 200 and 'data-edition="en"' in side.text and f"?lang={name}" not in side.text
    kept = client.post(f"/issues/{ISSUE}/{name}/kept", data={"csrf": token, "do": "discard"})
    assert kept.status_code == 404
    changed = client.post(f"/issues/{ISSUE}/{name}/field", json={"path": "title", "value": "x"}, headers={"x-csrf-token": token})
    assert changed.status_code in (400, 404) and (folder / f"{name}.yaml").read_bytes() == (folder / "en.yaml").read_bytes()


def test_a_finding_about_a_wrongly_named_file_links_to_no_page(tmp_path) -> None:  # noqa: ANN001
    folder = tmp_path / ISSUE
    words = i18n.words("en")
    wrong = place(Problem(str(folder / "xx.yaml"), None, None, "", "bad name", "rename it", code="file.name"), folder, words)
    assert wrong.href is None  # before: /issues/.../xx, a page that is no edition
    right = place(Problem(str(folder / "sl.yaml"), 3, 1, "", "bad YAML", None, code="file.syntax"), folder, words)
    assert right.href == f"/issues/{ISSUE}/sl"


def test_the_picture_picker_offers_the_kinds_the_studio_takes_from_the_one_list(studio: RunningStudio, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    Image.init()
    page = studio.client().get(f"/issues/{ISSUE}/sl").text
    offered = set(html.unescape(ACCEPT.search(page).group(1)).split(","))
    assert offered == {Image.MIME[kind] for kind in pictures.ACCEPTED} == {"image/jpeg", "image/png", "image/gif", "image/webp"}
    try:
        with monkeypatch.context() as patch:  # one more kind taken: the picker follows (before: its own list, unchanged)
            patch.setitem(pictures.ACCEPTED, "BMP", "BMP")
            page = studio.client().get(f"/issues/{ISSUE}/sl").text
        assert "image/bmp" in ACCEPT.search(page).group(1)
    finally:
        i18n._picture_kinds.cache_clear()  # the sentences said with the extra kind are not kept for the next test
