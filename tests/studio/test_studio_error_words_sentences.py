"""A message and its hint joined in one text of the studio read as sentences: each after a full stop begins with a capital.

The finding: "9999-12-31 23:59 is more than a year ahead (today is
2026-12-02). check the year; …". The core's hints begin in lower case (the
command line prints them after "hint: "); where the studio joins them to
the message (``saying.error_words``, a test send's failure line) the hint
now begins a sentence. Through the real schedule form, and the joining
function with the core's own errors.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadex_mail.campaign.sendtime import check_ahead
from leadex_mail.errors import CampaignError, LeadexError
from leadex_mail.studio.saying import error_words, sentences
from studio.studio_helpers import ISSUE, RunningStudio, reviewed
from studio.test_studio_schedule import scheduling_studio  # noqa: F401 (a fixture)


def test_the_schedule_form_says_a_far_time_in_sentences(scheduling_studio: RunningStudio) -> None:  # noqa: F811
    client = scheduling_studio.client()
    client.headers["accept-language"] = "en"
    token = client.get("/").text.split('data-csrf="', 1)[1].split('"', 1)[0]
    far = client.post(f"/issues/{ISSUE}/send/schedule", data={"csrf": token, "list": "newsletter", "at": "9999-12-31T23:59", **reviewed(client)})
    assert far.status_code == 409
    assert "is more than a year ahead (today is 2026-09-10). Check the year; a send can be scheduled at most a year ahead" in far.text  # before: ". check"


def test_the_core_s_errors_joined_with_their_hints_begin_each_sentence_with_a_capital() -> None:
    with pytest.raises(LeadexError) as far:
        check_ahead(datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 12, 2, 5, 0, tzinfo=UTC))
    said = error_words(far.value)
    assert "(today is 2026-12-02). Check the year" in said
    assert error_words(CampaignError("the address must have an @-sign.", hint="write it as name@example.org")) == (
        "the address must have an @-sign. Write it as name@example.org")  # one full stop, then a capital
    assert error_words(CampaignError("no such list", hint="`leadex-mail lists` names them")) == "no such list. `leadex-mail lists` names them"
    assert error_words(CampaignError("cannot read it: line 3", hint=None)) == "cannot read it: line 3."
    assert sentences("550 5.1.1 no such user", "the server refused the address", "check it for a typing mistake") == (
        "550 5.1.1 no such user. The server refused the address. Check it for a typing mistake")
    assert sentences("refused:", "try again") == "refused: try again"  # after a colon the text goes on
