"""Group commit of first-time unsubscribes, over HTTP against the running app.

Many one-click POSTs at once are committed in shared transactions; each
still gets its own 200 only after its batch committed, each person is
unsubscribed exactly once with exactly one event, and a forged token is
refused before anything is queued.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import func, select

from leadex_mail import links
from leadex_mail.store.models import Event
from leadex_mail.store.subscribers import UnsubscribeRequest, add_subscriber, get_subscriber_by_id
from leadex_mail.tokens import sign
from leadex_mail.web.service import UnsubscribeWriter
from web.web_helpers import http, nonce_of

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _subscribers(site, count: int, prefix: str) -> list[int]:
    return [int(add_subscriber(site.store, f"{prefix}{n}@example.org", lists=("newsletter",), status="active", source="cli").id) for n in range(count)]


def _event_counts(site) -> dict[int, int]:
    with site.store.session(write=False) as session:
        rows = session.exec(select(Event.subscriber_id, func.count()).where(Event.kind == "unsubscribed").group_by(Event.subscriber_id))
        return {sid: count for sid, count in rows}


def _post_all(urls: list[str], data: dict[str, str] | None = ONE_CLICK, workers: int = 50, *, buttons: frozenset[str] = frozenset()) -> list[httpx.Response]:
    """POST every URL at once from ``workers`` threads, each with its own cookie-less client.

    URLs in ``buttons`` are posted as the page's button (empty form), the rest with ``data``.
    """
    local = threading.local()

    def post(url: str) -> httpx.Response:
        if not hasattr(local, "client"):
            local.client = http()
        response = local.client.post(url, data={} if url in buttons else data)
        local.client.cookies.clear()
        return response

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, urls))


def test_concurrent_first_time_one_clicks_each_commit_exactly_once(site) -> None:
    ids = _subscribers(site, 200, "batch")
    urls = [links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid)) for sid in ids]
    answers = _post_all(urls)
    assert [r.status_code for r in answers] == [200] * 200
    assert all(r.text == "unsubscribed\n" and "set-cookie" not in r.headers and "location" not in r.headers for r in answers)
    assert {get_subscriber_by_id(site.store, sid).status for sid in ids} == {"unsubscribed"}
    assert _event_counts(site) == {sid: 1 for sid in ids}
    # Everyone again, twice each, at once: harmless.
    again = _post_all(urls + urls)
    assert {r.status_code for r in again} == {200}
    assert _event_counts(site) == {sid: 1 for sid in ids}


def test_forged_tokens_refused_amid_a_burst(site) -> None:
    ids = _subscribers(site, 40, "mixed")
    good = [links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid)) for sid in ids]
    # Signed with another key, and a genuine one tampered with.
    forged = [f"{site.url}/unsubscribe/{sign('unsubscribe', {'s': sid, 'c': 7}, b'x' * 32)}" for sid in ids[:10]]
    tampered = [url[:-2] + ("AA" if not url.endswith("AA") else "BB") for url in good[10:20]]
    answers = _post_all(good[20:] + forged + tampered)
    assert [r.status_code for r in answers] == [200] * 20 + [400] * 20
    assert set(_event_counts(site)) == set(ids[20:])
    assert {get_subscriber_by_id(site.store, sid).status for sid in ids[:20]} == {"active"}


def test_page_button_and_one_click_share_batches(site) -> None:
    ids = _subscribers(site, 30, "button")
    urls = [links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid)) for sid in ids]
    answers = _post_all(urls, buttons=frozenset(urls[:15]))
    pages, robots = answers[:15], answers[15:]
    assert {r.status_code for r in pages + robots} == {200}
    assert all("text/html" in r.headers["content-type"] for r in pages)
    assert all(r.text == "unsubscribed\n" for r in robots)
    with site.store.session(write=False) as session:
        sources = {sid: source for sid, source in session.exec(select(Event.subscriber_id, Event.source).where(Event.kind == "unsubscribed"))}
    assert sources == {**{sid: "web" for sid in ids[:15]}, **{sid: "one-click" for sid in ids[15:]}}


def test_answer_waits_for_the_commit_and_the_loop_stays_free(site) -> None:
    """Another process holds SQLite's write lock: no 200 before the commit, other pages still answer."""
    [sid] = _subscribers(site, 1, "held")
    url = links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid))
    other = sqlite3.connect(site.store.engine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(_post_all, [url])
            with http() as client:
                for _ in range(5):  # the event loop is not blocked by the waiting writer
                    assert client.get(f"{site.url}/healthz").status_code == 200
            assert not pending.done()  # still waiting for the lock: no answer yet
            assert get_subscriber_by_id(site.store, sid).status == "active"
            other.execute("ROLLBACK")
            [answer] = pending.result(timeout=30)
    finally:
        other.close()
    assert answer.status_code == 200
    assert get_subscriber_by_id(site.store, sid).status == "unsubscribed"
    assert _event_counts(site) == {sid: 1}


def test_writer_commits_what_is_queued_when_stopped(site) -> None:
    """Without HTTP: many submits, then stop at once; every one answered from a committed batch."""
    ids = _subscribers(site, 60, "stop")
    writer = UnsubscribeWriter(site.store, max_batch=16)

    async def scenario() -> list[bool]:
        writer.start()
        waiting = [asyncio.ensure_future(writer.submit(UnsubscribeRequest(sid, "one-click"))) for sid in ids + ids[:5]]
        await asyncio.sleep(0)
        await writer.stop()
        after_stop = await writer.submit(UnsubscribeRequest(ids[0], "web"))  # direct, still idempotent
        return [*(await asyncio.gather(*waiting)), after_stop]

    with ThreadPoolExecutor(1) as pool:  # its own thread: Playwright's tests leave a loop running in this one
        results = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert results == [True] * 60 + [False] * 6
    assert _event_counts(site) == {sid: 1 for sid in ids}
