"""Wrong passwords slow down whoever types them, never the account (a13c #12), over HTTP behind a proxy.

The studio takes the client's address from ``X-Forwarded-For`` only when the
request comes from a proxy it trusts (``--forwarded-allow-ips``, 127.0.0.1
by default: uvicorn's ``proxy_headers``), so these tests play that proxy
on 127.0.0.1 and name the address of each "browser". The reported case: 5
wrong passwords for ``bor`` from one address and 5 from another locked
``bor`` out of every new browser for 15 minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from leadex_mail.store.accounts import add_user
from leadex_mail.store.db import open_store
from leadex_mail.studio.auth import COOKIE
from leadex_mail.studio.server import make_server
from studio.studio_helpers import Clock, studio_settings

BOR = ("bor", "sender passphrase of bor")
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@contextmanager
def studio_behind(tmp_path: Path, *, trusted: str | None) -> Iterator[tuple[str, Clock]]:
    """A studio with accounts on 127.0.0.1 trusting the proxies ``trusted`` (None: uvicorn's default, 127.0.0.1)."""
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    add_user(store, BOR[0], "sender", BOR[1], actor="test")
    clock = Clock()
    server = make_server(settings, port=0, require_login=True, store=store, clock=clock, forwarded_allow_ips=trusted, watch=False)
    thread = server.start_in_thread()
    try:
        yield server.url, clock
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        store.close()


def sign_in(url: str, address: str, password: str) -> int:
    """A new browser at ``address`` (as the proxy names it) signs in as bor: the answer's status."""
    headers = {"x-forwarded-for": address, "accept-language": "en"}
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30, headers=headers) as browser:
        form = browser.get("/login")
        sid = re.match(rf"{COOKIE}=([^;]*)", form.headers["set-cookie"]).group(1)  # Secure: httpx keeps it only over https
        answer = browser.post(
            "/login",
            data={"csrf": TOKEN.search(form.text).group(1), "name": BOR[0], "password": password, "next": "/"},
            headers={"cookie": f"{COOKIE}={sid}"},
        )
    if answer.status_code == 429:
        assert "Too many failed attempts" in answer.text
    return answer.status_code


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, Clock]]:
    with studio_behind(tmp_path, trusted=None) as running:
        yield running


def test_wrong_passwords_from_many_addresses_slow_each_of_them_down_and_never_lock_the_account(proxied: tuple[str, Clock]) -> None:
    url, clock = proxied
    assert [sign_in(url, "10.0.0.5", "a guess") for _ in range(6)] == [401] * 5 + [429]  # one address: 5, then it waits
    assert [sign_in(url, "10.0.0.6", "a guess") for _ in range(5)] == [401] * 5
    # The reported case: 10 wrong passwords for bor from two addresses; a new browser elsewhere still gets in.
    assert sign_in(url, "10.0.0.7", BOR[1]) == 303  # before: 429 "Try again in 15 minutes"
    # bor is being guessed (10 failures in 15 minutes from browsers it does not trust): each address now fails at most twice.
    assert [sign_in(url, "10.0.0.8", "a guess") for _ in range(3)] == [401, 401, 429]
    assert sign_in(url, "10.0.0.8", BOR[1]) == 429  # an address that guessed waits, right password or not
    assert sign_in(url, "10.0.0.9", BOR[1]) == 303  # one that did not gets in
    clock.advance(minutes=16)
    assert sign_in(url, "10.0.0.5", BOR[1]) == 303  # and the guessers too, once their failures are old


def test_the_forwarded_address_of_a_proxy_the_studio_does_not_trust_is_ignored(tmp_path: Path) -> None:
    with studio_behind(tmp_path, trusted="192.0.2.1") as (url, _):
        assert [sign_in(url, f"10.0.1.{n}", "a guess") for n in range(5)] == [401] * 5
        # All five came from 127.0.0.1 as far as the studio can tell: that address waits for bor.
        assert sign_in(url, "10.0.1.99", BOR[1]) == 429
