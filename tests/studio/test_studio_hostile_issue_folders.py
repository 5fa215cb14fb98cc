"""The studio's list of issues survives any issue folder (a9 finding 3).

One folder whose edition held a YAML tag made the front page answer 500;
a FIFO named ``sl.yaml`` made it wait forever. Each folder is now listed
with its problems, and the other issues as before.
"""

from __future__ import annotations

import os

from studio.studio_helpers import ISSUE, RunningStudio

TAGGED = 'language: sl\ntitle: !!python/object/apply:os.system ["true"]\nsections: []\n'  # a9 repro/hostile-tag-sl.yaml


def test_the_front_page_lists_every_issue_whatever_one_folder_holds(studio: RunningStudio) -> None:
    for slug in ("c-tag", "c-merge", "c-fifo"):
        (studio.newsletters / slug).mkdir()
    (studio.newsletters / "c-tag" / "sl.yaml").write_text(TAGGED, encoding="utf-8")
    (studio.newsletters / "c-merge" / "sl.yaml").write_text("language: sl\ntitle: x\n<<: {subject: s}\nsections: []\n", encoding="utf-8")
    os.mkfifo(studio.newsletters / "c-fifo" / "sl.yaml")  # before: the page never answered (the client's timeout fails the test)
    with studio.client() as client:
        page = client.get("/")
    assert page.status_code == 200, page.text[-2000:]
    for slug in ("c-tag", "c-merge", "c-fifo", ISSUE):
        assert f"/issues/{slug}/" in page.text, slug
