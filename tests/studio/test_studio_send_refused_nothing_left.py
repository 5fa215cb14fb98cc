"""A confirmation refused because nothing is left to send is in the audit log, decided and written in one transaction
(brief s8-sched #4).

Before: "Send now" pressed on a review whose send a terminal (or another studio, or the worker) had meanwhile
finished was refused with "Nothing was sent: everyone on the list has this issue already" -- and nothing in the audit
log said that this person confirmed it, while the race with another tab was logged (``send_refused``). Now every
confirmation that starts nothing is a ``send_refused`` with its reason, written where the store decided it
(``store.confirm``). HTTP against the studio served for real over a real SQLite file, mailing through aiosmtpd.
"""

from __future__ import annotations

from pathlib import Path

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.accounts import audit_log
from studio.studio_helpers import ISSUE, Replies, english_client, reviewed, serve_with_readers

TARGET = f"{ISSUE} -> newsletter"


def test_a_confirmation_with_nothing_left_to_send_is_audited_as_refused(tmp_path: Path) -> None:
    handler = Replies({})
    controller, settings, served = serve_with_readers(tmp_path, handler, 3)
    try:
        with served as studio:
            client, token = english_client(studio)
            confirmed = reviewed(client)  # the officer looks at the review ...
            # ... while a terminal sends the whole issue (`leadex-mail send`, by hand)
            report = send_campaign(studio.store, load_issue(ISSUE, settings), settings, list_name="newsletter", by_hand="cli:operator")
            assert report.status == "done" and len(handler.accepted) == 3
            answer = client.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter", **confirmed})
            assert answer.status_code == 303 and "done=nothing_left" in answer.headers["location"]
            assert "everyone on the list newsletter has this issue already" in client.get(answer.headers["location"]).text
            assert len(handler.accepted) == 3 and studio.server.config.app.state.studio.jobs.jobs == {}
            mine = [e for e in audit_log(studio.store) if e.target == TARGET and not e.actor.startswith("cli:")]
            assert [(e.action, e.detail.get("reason")) for e in mine] == [("send_refused", "nothing_left")]  # before: nothing
    finally:
        controller.stop()
