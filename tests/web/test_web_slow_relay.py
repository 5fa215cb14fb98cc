"""A slow relay never holds the web app's request threads (issue 8 item 7).

The relay here keeps every message at the end of DATA until the test lets it
go (a ``threading.Event``), so "the relay is slow" is a state the test
controls, not a duration: no timing threshold anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from leadex_mail.store.outgoing import queue_summary
from web.web_helpers import HeldRelay, held_relay, http, sign_up

# Starlette runs sync work (every store call of a request) on anyio's default
# thread pool: 40 threads. More sign-ups than that, each holding a thread
# while its confirmation waits for the relay, starve every later request.
THREAD_POOL = 40
SIGN_UPS = THREAD_POOL + 5


@pytest.fixture
def smtp_server() -> Iterator[HeldRelay]:
    """The site's relay, held until the test opens its gate."""
    with held_relay() as relay:
        yield relay


@pytest.fixture
def subscribe_limit() -> tuple[int, float]:
    return (SIGN_UPS + 10, 3600.0)


@pytest.fixture
def site_overrides() -> dict[str, Any]:
    # The relay is held as long as the test needs; the sender must not give up on it meanwhile.
    return {"smtp_timeout": 600.0}


def test_pages_answer_while_the_relay_holds_every_confirmation(site) -> None:
    addresses = [f"slow{n}@example.org" for n in range(SIGN_UPS)]
    with site.client() as client:
        for address in addresses:
            # On the old code the confirmation was sent on a request thread after the answer;
            # from the 41st sign-up on, no thread was left and this request never got an answer.
            assert sign_up(client, address).status_code == 200
        site.smtp.wait_holding(1)  # the sender is inside the relay with the first confirmation
        archive = client.get("/archive/")
        form = client.get("/subscribe")
        another = sign_up(client, "one.more@example.org")
    assert (archive.status_code, form.status_code, another.status_code) == (200, 200, 200)
    assert not site.smtp.gate.is_set() and site.smtp.messages == []  # all of that while the relay held the mail

    site.smtp.gate.set()
    for address in [*addresses, "one.more@example.org"]:
        site.mails_to(address)
    site.idle()
    assert sorted(r for m in site.smtp.messages for r in m.rcpt_tos) == sorted([*addresses, "one.more@example.org"])  # each exactly once
    assert queue_summary(site.store).counts == {"sent": SIGN_UPS + 1}


def test_sign_ups_in_parallel_answer_alike_while_the_relay_is_held(site) -> None:
    """Many browsers at once, the relay stuck: every sign-up answers, the same page for all."""

    def one(n: int) -> tuple[int, str]:
        with site.client() as client:
            response = sign_up(client, f"parallel{n}@example.org")
        return response.status_code, response.text

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(SIGN_UPS)))
    assert {code for code, _ in answers} == {200} and len({text for _, text in answers}) == 1
    site.smtp.wait_holding(1)
    assert http().get(site.url + "/archive/").status_code == 200
    site.smtp.gate.set()
    site.idle()
    assert len(site.smtp.messages) == SIGN_UPS == len({r for m in site.smtp.messages for r in m.rcpt_tos})
