"""What the studio says when a picture or the store is missing, and the one keep-alive loop of its event streams.

- A picture the preview names that is not there was a bare text/plain "no
  such picture": it is the studio's "Not found" page, as for every address
  that names nothing.
- The store's failure page joined its details by hand (``message. hint``):
  a message ending with its own full stop gave "..". It says them through
  ``saying.error_words``, as every other studio answer does.
- The studio's editor stream and the preview's live reload each had their
  own copy of the keep-alive loop; ``preview.live.follow_queue`` is the one.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from leadex_mail.errors import StoreError
from leadex_mail.preview import live
from leadex_mail.studio.storefail import store_failed
from studio.studio_helpers import ISSUE, RunningStudio


def test_a_missing_picture_of_the_preview_is_the_studios_not_found_page(studio: RunningStudio) -> None:
    with studio.client() as client:
        for address in ("/img/no-such-picture@leadex", f"/issues/{ISSUE}/xx/preview", f"/issues/{ISSUE}/xx/text", "/issues/no-such-issue/sl/text"):
            answer = client.get(address, headers={"accept-language": "en"})
            assert answer.status_code == 404, address
            assert answer.headers["content-type"].startswith("text/html"), address
            assert "<title>Not found" in answer.text and "There is no such issue or page." in answer.text, address


class _Face:
    """What ``store_failed`` asks of a request's context: its headers, the catalog's words (the keys here), a page."""

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})

    def t(self, key: str, **values: object) -> str:
        return key

    def render(self, template: str, **context: object) -> dict[str, object]:
        return {"template": template, **context}


def test_the_store_failure_page_says_a_message_that_ends_with_a_full_stop_once() -> None:
    err = StoreError("the subscriber store failed: the server closed the connection.", hint="start the database server, then try again")
    page = store_failed(_Face(), err)
    assert page["detail"] == "the subscriber store failed: the server closed the connection. Start the database server, then try again"
    assert store_failed(_Face(), StoreError("the subscriber store is full"))["detail"] == "the subscriber store is full."


def test_follow_queue_says_each_item_keeps_the_stream_alive_while_idle_and_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.01)  # an empty queue times out at once: no wait in the test

    async def run() -> list[str]:
        queue: asyncio.Queue[int | None] = asyncio.Queue()
        queue.put_nowait(1)
        said: list[str] = []
        async for chunk in live.follow_queue(queue, lambda: True, lambda n: f"event: n\ndata: {n}\n\n"):
            said.append(chunk)
            if chunk.startswith(": keep-alive"):
                queue.put_nowait(None)  # idle once: then the end
        ended = [chunk async for chunk in live.follow_queue(queue, lambda: False, str)]  # not going: nothing, at once
        return said + ended

    with ThreadPoolExecutor(1) as thread:  # a loop of its own: the browser tests' sync API may run one in this thread
        said = thread.submit(lambda: asyncio.run(run())).result()
    assert said == ["event: n\ndata: 1\n\n", ": keep-alive\n\n"]
