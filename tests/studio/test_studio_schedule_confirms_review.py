"""The schedule form confirms what its review showed, as "Send now" does (session 7, brief s7-send item 1).

The review's schedule form carries the issue's version and the recipients per language it showed; a schedule
confirmed on a review older than the list or the files stores nothing and shows the new review, the time the
officer typed kept. HTTP against the studio served for real over real SQLite files (aiosmtpd on loopback).
"""

from __future__ import annotations

import re
from pathlib import Path

from leadex_mail.store import schedule
from leadex_mail.store.accounts import audit_log
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, Replies, english_client, reviewed, serve_with_readers

REVIEW = f"/issues/{ISSUE}/send/review?list=newsletter"
SCHEDULE = f"/issues/{ISSUE}/send/schedule"
AT = "2026-09-12T09:00"  # the studio's clock: 2026-09-10 09:00 UTC


def _schedule_form(page: str) -> dict[str, str]:
    """The hidden fields of the review's schedule form (what it confirms)."""
    form = re.search(r'<form method="post" action="/issues/[^"]+/send/schedule"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None, "the review has no schedule form"
    return dict(re.findall(r'<input type="hidden" name="(reviewed_version|reviewed_counts)" value="([^"]*)">', form.group(1)))


def _schedules(store) -> list:  # noqa: ANN001
    return [e for e in audit_log(store) if e.action == "send_schedule"]


def test_a_schedule_of_a_review_older_than_a_subscriber_stores_nothing_and_shows_the_new_review(tmp_path: Path) -> None:
    controller, settings, served = serve_with_readers(tmp_path, Replies({}), 3)
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)  # what the review showed, as its forms carry it
            assert confirmed["reviewed_counts"] == "sl=3"
            add_subscriber(studio.store, "late-added@example.org", language="sl", lists=("newsletter",), source="cli")
            stale = client.post(SCHEDULE, data={"csrf": token, "list": "newsletter", "at": AT, **confirmed})
            assert stale.status_code == 409, stale.text[:300]
            assert "Nothing was scheduled: the list changed since you looked. 4 messages would go." in stale.text
            assert schedule.waiting(studio.store) == [] and _schedules(studio.store) == []
            assert f'id="schedule-at" name="at" value="{AT}"' in stale.text  # the time typed, kept
            again = _schedule_form(stale.text)
            assert again["reviewed_counts"] == "sl=4"
            done = client.post(SCHEDULE, data={"csrf": token, "list": "newsletter", "at": AT, **again})
            assert done.status_code == 303 and done.headers["location"] == f"/issues/{ISSUE}/send?done=scheduled", done.text[:300]
            assert [s.list_name for s in schedule.waiting(studio.store)] == ["newsletter"]
            assert len(_schedules(studio.store)) == 1
    finally:
        controller.stop()


def test_a_schedule_of_a_review_of_other_files_stores_nothing(tmp_path: Path) -> None:
    controller, settings, served = serve_with_readers(tmp_path, Replies({}), 2)
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)
            edition = studio.newsletters / ISSUE / "sl.yaml"
            edition.write_text(edition.read_text(encoding="utf-8") + "\n# changed after the review\n", encoding="utf-8")
            stale = client.post(SCHEDULE, data={"csrf": token, "list": "newsletter", "at": AT, **confirmed})
            assert stale.status_code == 409 and "Nothing was scheduled: the issue changed since you looked" in stale.text
            bare = client.post(SCHEDULE, data={"csrf": token, "list": "newsletter", "at": AT})  # an old or forged form
            assert bare.status_code == 409 and "Nothing was scheduled" in bare.text
            assert schedule.waiting(studio.store) == [] and _schedules(studio.store) == []
    finally:
        controller.stop()
