"""Signing in beyond loopback: only over HTTPS (said before a password is typed), and throttled without locking anyone out.

a13 #11: served beyond loopback and opened over plain HTTP, the sign-in
failed with "page expired" (the browser drops the ``Secure`` cookie).
a13 #18: five wrong passwords for a name locked that account for everyone,
so anyone could lock an officer out.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from leadex_mail.store.accounts import add_user
from leadex_mail.store.db import open_store
from leadex_mail.studio.auth import COOKIE, DEVICE_COOKIE
from leadex_mail.studio.throttle import ACCOUNT_LIMIT, GUESSED_PAIR_LIMIT, PAIR_LIMIT
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, serve_studio, studio_settings

SENDER = ("tina", "sender passphrase two")
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
NEEDS_HTTPS = "This address needs HTTPS"
CHROMIUM = os.environ.get("LEADEX_CHROMIUM", "/usr/bin/chromium")  # as tests/conftest.py
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def accounts_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    store = open_store(settings)
    add_user(store, SENDER[0], "sender", SENDER[1], actor="test")
    try:
        with serve_studio(settings, accounts=True, store=store, root=tmp_path) as running:
            yield running
    finally:
        store.close()


class Visitor:
    """A browser as the studio sees it: its own client address (127.0.0.x), the cookies it keeps."""

    def __init__(self, studio: RunningStudio, address: str = "127.0.0.1", host: str | None = None, **headers: str) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        headers = {"accept-language": "en", **({"host": host} if host else {}), **headers}
        self.client = httpx.Client(base_url=studio.url, transport=transport, follow_redirects=False, timeout=30, headers=headers)
        self.cookies: dict[str, str] = {}  # by hand: httpx keeps no Secure cookie over http

    def send(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, url, headers=headers, **kwargs)
        for value in response.headers.get_list("set-cookie"):
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response

    def login(self, name: str, password: str) -> httpx.Response:
        form = self.send("GET", "/login")
        return self.send("POST", "/login", data={"csrf": TOKEN.search(form.text).group(1), "name": name, "password": password, "next": "/"})


# --- #11: plain HTTP beyond loopback -------------------------------------------------------


def test_over_plain_http_every_page_says_the_address_needs_https_before_a_password_is_typed(accounts_studio: RunningStudio, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="leadex_mail.studio")
    host = "studio.example.org:" + accounts_studio.url.rsplit(":", 1)[1]
    plain = Visitor(accounts_studio, host=host)
    form = plain.send("GET", "/login")
    assert form.status_code == 403 and NEEDS_HTTPS in form.text and f"http://{host}" in form.text
    assert 'type="password"' not in form.text  # nowhere to type a password that could not work
    posted = plain.send("POST", "/login", data={"csrf": "x", "name": SENDER[0], "password": SENDER[1]})
    assert posted.status_code == 403 and NEEDS_HTTPS in posted.text and "expired" not in posted.text
    for url in ("/", f"/issues/{ISSUE}/sl", "/subscribers"):
        assert NEEDS_HTTPS in plain.send("GET", url).text, url
    as_json = plain.send("POST", f"/issues/{ISSUE}/sl/field", headers={"accept": "application/json"}, json={})
    assert as_json.status_code == 403 and "HTTPS" in as_json.json()["error"]
    warnings = [r.getMessage() for r in caplog.records if "plain HTTP" in r.getMessage()]
    assert len(warnings) == 1 and f"http://{host}" in warnings[0]  # the operator is told, once

    # Behind an HTTPS proxy on this computer (trusted by default), the same name signs in.
    proxied = Visitor(accounts_studio, host=host, **{"x-forwarded-proto": "https"})
    assert 'type="password"' in proxied.send("GET", "/login").text
    assert proxied.login(*SENDER).status_code == 303
    assert proxied.send("GET", "/").status_code == 200


def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    from leadex_mail.studio.server import make_server

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path)
    with open_store(settings) as store:
        add_user(store, SENDER[0], "sender", SENDER[1], actor="test")
        server = make_server(settings, port=0, require_login=True, forwarded_allow_ips="192.0.2.1", store=store, watch=False)
        thread = server.start_in_thread()
        try:
            client = httpx.Client(base_url=server.url, headers={"host": "studio.example.org", "x-forwarded-proto": "https", "accept-language": "en"})
            assert NEEDS_HTTPS in client.get("/login").text  # 127.0.0.1 is not the proxy named
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def test_the_operator_is_warned_at_start_up_when_serving_beyond_loopback() -> None:
    from leadex_mail.cli.studio import plain_http_warning

    assert "HTTPS proxy" in (plain_http_warning("0.0.0.0", accounts=True) or "")
    assert plain_http_warning("127.0.0.1", accounts=True) is None  # browsers trust loopback; a proxy here is trusted
    assert plain_http_warning("127.0.0.1", accounts=False) is None


@pytest.mark.browser
def test_chromium_over_plain_http_is_told_to_use_https_on_the_sign_in_page(accounts_studio: RunningStudio, browser: Browser) -> None:
    # A name that is not loopback, resolved to the studio: Chromium then drops Secure cookies as it would on a LAN address.
    port = accounts_studio.url.rsplit(":", 1)[1]
    other = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP studio.example.org 127.0.0.1"])
    try:
        page = other.new_context(locale="en-GB").new_page()
        page.goto(f"http://studio.example.org:{port}/issues/{ISSUE}/sl")
        expect(page.get_by_role("heading", level=1)).to_have_text(NEEDS_HTTPS)
        expect(page.get_by_role("alert")).to_contain_text("works only over a secure connection (HTTPS)")
        expect(page.get_by_label("Password")).to_have_count(0)
        page.goto(f"http://127.0.0.1:{port}/login")  # the same studio by its loopback address: the form
        expect(page.get_by_label("Password")).to_be_visible()
    finally:
        other.close()


# --- #18: throttling without locking out ----------------------------------------------------


def test_wrong_passwords_from_one_address_slow_that_address_but_the_officer_elsewhere_signs_in(accounts_studio: RunningStudio) -> None:
    attacker = Visitor(accounts_studio, "127.0.0.2")
    answers = [attacker.login(SENDER[0], f"guess {i}").status_code for i in range(PAIR_LIMIT + 3)]
    assert answers == [401] * PAIR_LIMIT + [429] * 3  # the password is not even checked any more
    assert attacker.login(*SENDER).status_code == 429  # not even the right one, from there
    officer = Visitor(accounts_studio, "127.0.0.3")  # a browser that never signed in before
    assert officer.login(*SENDER).status_code == 303
    assert officer.send("GET", "/").status_code == 200
    accounts_studio.clock.advance(minutes=16)
    assert attacker.login(SENDER[0], "guess again").status_code == 401  # slow, not forever


def test_guessing_from_many_addresses_is_slowed_per_account_yet_the_officers_own_browser_gets_in(accounts_studio: RunningStudio) -> None:
    officer = Visitor(accounts_studio, "127.0.0.9")
    assert officer.login(*SENDER).status_code == 303 and DEVICE_COOKIE in officer.cookies
    del officer.cookies[COOKIE]  # signed out later; the browser stays one tina signed in from
    checked = 0
    for n in range(2, 8):  # six addresses, as many guesses as each may make
        attacker = Visitor(accounts_studio, f"127.0.1.{n}")
        for i in range(PAIR_LIMIT):
            checked += attacker.login(SENDER[0], f"guess {n}.{i}").status_code == 401
    # Past ACCOUNT_LIMIT failures each further address may fail only GUESSED_PAIR_LIMIT times (a13c #12: slowed, never locked).
    assert checked == ACCOUNT_LIMIT + 4 * GUESSED_PAIR_LIMIT
    assert Visitor(accounts_studio, "127.0.1.50").login(*SENDER).status_code == 303  # a browser at an address that never guessed
    assert officer.login(*SENDER).status_code == 303  # her own browser is not locked out
    assert officer.send("GET", "/").status_code == 200


def test_trying_many_names_from_one_address_is_slowed_and_a_trusted_browser_only_by_its_own_failures() -> None:
    from leadex_mail.studio.throttle import ADDRESS_LIMIT, DEVICE_LIMIT, LoginThrottle
    from studio.studio_helpers import Clock

    clock = Clock()
    throttle = LoginThrottle(clock)
    for i in range(ADDRESS_LIMIT):  # password spraying: one guess per name
        assert throttle.wait("192.0.2.7", f"name{i}", None) == 0
        throttle.failed("192.0.2.7", f"name{i}", None)
    assert throttle.wait("192.0.2.7", "one-more", None) > 0
    device = throttle.succeeded("192.0.2.7", "tina", None)  # tina's browser, behind the same address
    assert throttle.wait("192.0.2.7", "tina", device) == 0
    for _ in range(DEVICE_LIMIT):
        throttle.failed("192.0.2.7", "tina", device)
    assert 0 < throttle.wait("192.0.2.7", "tina", device) <= 15 * 60 + 1  # her typos slow her browser, for a while
    assert throttle.wait("192.0.2.7", "maja", device) > 0  # the token is worth nothing for another account
    clock.advance(minutes=15, seconds=1)
    assert throttle.wait("192.0.2.7", "tina", device) == 0 and throttle.wait("192.0.2.7", "one-more", None) == 0
