"""Accounts: served beyond loopback the studio needs them; passwords, CSRF, roles, fixation, cookies, limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.accounts import audit_log
from leadex_mail.store.db import open_store
from leadex_mail.studio.auth import COOKIE
from studio.studio_helpers import EDITOR, ISSUE, SENDER, RunningStudio, assert_accessible, serve_accounts_studio, studio_settings

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def accounts_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    with serve_accounts_studio(tmp_path) as running:
        yield running


class Browserish:
    """An HTTP client that keeps the studio's cookie by hand (httpx sends no Secure cookie over http)."""

    def __init__(self, studio: RunningStudio) -> None:
        self.client = httpx.Client(base_url=studio.url, follow_redirects=False, timeout=30, verify=False, headers={"accept-language": "en"})
        self.sid: str | None = None
        self.set_cookies: list[str] = []

    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.sid:
            headers["cookie"] = f"{COOKIE}={self.sid}"
        response = self.client.request(method, url, headers=headers, **kwargs)
        for value in response.headers.get_list("set-cookie"):
            self.set_cookies.append(value)
            found = re.match(rf"{COOKIE}=([^;]*)", value)
            if found:
                self.sid = found.group(1) or None
        return response

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self._send("POST", url, **kwargs)

    def login(self, name: str, password: str) -> httpx.Response:
        form = self.get("/login")
        return self.post("/login", data={"csrf": TOKEN.search(form.text).group(1), "name": name, "password": password, "next": "/"})

    def token(self) -> str:
        return re.search(r'data-csrf="([^"]+)"', self.get("/").text).group(1)


def test_every_page_needs_an_account(accounts_studio: RunningStudio) -> None:
    visitor = Browserish(accounts_studio)
    for url in ("/", f"/issues/{ISSUE}/sl", f"/issues/{ISSUE}/sl/preview", "/subscribers", "/reports", f"/issues/{ISSUE}/events"):
        response = visitor.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), url
    assert visitor.get("/login").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(accounts_studio: RunningStudio) -> None:
    visitor = Browserish(accounts_studio)
    for name, password in ((EDITOR[0], "not the password"), ("nobody", EDITOR[1])):
        refused = visitor.login(name, password)
        assert refused.status_code == 401 and "The name or the password is wrong." in refused.text
    assert visitor.get("/").status_code == 303
    assert [e.action for e in audit_log(accounts_studio.store)].count("sign_in_refused") == 2


def test_signing_in_replaces_the_session_and_its_cookie_is_secure_httponly_strict(accounts_studio: RunningStudio) -> None:
    visitor = Browserish(accounts_studio)
    visitor.get("/login")
    before = visitor.sid  # what an attacker could have planted in the victim's browser
    signed_in = visitor.login(*EDITOR)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert visitor.sid and visitor.sid != before  # session fixation: a new id after signing in
    cookie = visitor.set_cookies[-1]
    for flag in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
        assert flag in cookie, cookie
    assert visitor.get("/").status_code == 200
    planted = httpx.Client(base_url=accounts_studio.url, follow_redirects=False, verify=False)
    assert planted.get("/", headers={"cookie": f"{COOKIE}={before}"}).status_code == 303  # the old id is worth nothing


def test_signing_in_without_the_csrf_token_is_refused(accounts_studio: RunningStudio) -> None:
    visitor = Browserish(accounts_studio)
    visitor.get("/login")
    refused = visitor.post("/login", data={"name": SENDER[0], "password": SENDER[1]})
    assert refused.status_code == 403
    assert visitor.get("/").status_code == 303


def test_an_editor_drafts_and_test_sends_but_may_not_send_to_a_list_or_see_subscribers(accounts_studio: RunningStudio) -> None:
    editor = Browserish(accounts_studio)
    editor.login(*EDITOR)
    token = editor.token()
    assert editor.get(f"/issues/{ISSUE}/sl").status_code == 200
    send_page = editor.get(f"/issues/{ISSUE}/send")
    assert send_page.status_code == 200 and "Send to a list" not in send_page.text
    assert editor.get(f"/issues/{ISSUE}/send/review?list=newsletter").status_code == 403
    refused = editor.post(f"/issues/{ISSUE}/send/start", data={"csrf": token, "list": "newsletter"})
    assert refused.status_code == 403 and "Your account may not do this" in refused.text
    assert editor.get("/subscribers").status_code == 403
    assert editor.post("/subscribers/add", data={"csrf": token, "email": "x@example.org"}).status_code == 403
    assert editor.get("/reports").status_code == 200
    assert not [e for e in audit_log(accounts_studio.store) if e.action == "send"]


def test_failed_sign_ins_are_limited_then_allowed_again(accounts_studio: RunningStudio) -> None:
    visitor = Browserish(accounts_studio)
    for _ in range(5):
        assert visitor.login(SENDER[0], "guess").status_code == 401
    limited = visitor.login(*SENDER)  # even the right password, while limited
    assert limited.status_code == 429 and "Too many failed attempts" in limited.text
    accounts_studio.clock.advance(minutes=16)
    assert visitor.login(*SENDER).status_code == 303


def test_signing_out_ends_the_session(accounts_studio: RunningStudio) -> None:
    visitor = Browserish(accounts_studio)
    visitor.login(*SENDER)
    sid = visitor.sid
    assert visitor.post("/logout", data={"csrf": visitor.token()}).status_code == 303
    stale = httpx.Client(base_url=accounts_studio.url, follow_redirects=False, verify=False)
    assert stale.get("/", headers={"cookie": f"{COOKIE}={sid}"}).status_code == 303


@pytest.mark.browser
def test_signing_in_with_the_browser_and_the_pages_an_editor_sees(accounts_studio: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(accounts_studio.url + f"/issues/{ISSUE}/sl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the studio")
    assert_accessible(page)
    page.get_by_label("Account name").fill(EDITOR[0])
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The name or the password is wrong.")
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(accounts_studio.url + f"/issues/{ISSUE}/sl")  # back where the editor wanted to go
    expect(page.locator("#check-counts")).to_have_text("No problems found.", timeout=20_000)
    expect(page.get_by_role("navigation", name="Studio", exact=True)).not_to_contain_text("Subscribers")
    page.goto(accounts_studio.url + f"/issues/{ISSUE}/send/review?list=newsletter")
    expect(page.get_by_role("heading", level=1)).to_have_text("That did not work")
    expect(page.locator("main")).to_contain_text("Your account may not do this")
    page.goto(accounts_studio.url + "/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the studio")


def test_users_are_managed_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from leadex_mail.cli import main
    from leadex_mail.store.accounts import authenticate

    monkeypatch.setenv("LEADEX_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    runner = CliRunner()
    made = runner.invoke(main, ["users", "add", "maja", "--role", "editor"], input="a long enough passphrase\n")
    assert made.exit_code == 0 and "account maja created (editor)" in made.output
    assert "maja\teditor" in runner.invoke(main, ["users", "list"]).output
    short = runner.invoke(main, ["users", "add", "tina", "--role", "sender"], input="short\n")
    assert short.exit_code == 1 and "too short" in short.output and "Traceback" not in short.output
    twice = runner.invoke(main, ["users", "add", "maja", "--role", "sender"], input="another long passphrase\n")
    assert twice.exit_code == 1 and "already an account 'maja'" in twice.output
    bad_role = runner.invoke(main, ["users", "add", "ana", "--role", "admin"], input="another long passphrase\n")
    assert bad_role.exit_code == 2
    assert runner.invoke(main, ["users", "password", "maja"], input="a brand new passphrase\n").exit_code == 0
    store = open_store(studio_settings(tmp_path, LEADEX_DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}"))
    try:
        user = authenticate(store, "maja", "a brand new passphrase")
        assert user is not None and user.password_hash.startswith("$argon2id$")
    finally:
        store.close()
    assert runner.invoke(main, ["users", "remove", "maja"]).exit_code == 0
    gone = runner.invoke(main, ["users", "remove", "maja"])
    assert gone.exit_code == 1 and "no account 'maja'" in gone.output


def test_the_audit_log_is_read_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from click.testing import CliRunner

    from leadex_mail.cli import main
    from leadex_mail.store.accounts import record

    monkeypatch.setenv("LEADEX_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    runner = CliRunner()
    store = open_store(studio_settings(tmp_path, LEADEX_DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}"))  # `users audit` reads a store, never starts one
    empty = runner.invoke(main, ["users", "audit"])
    assert empty.exit_code == 0 and "the audit log is empty" in empty.output
    try:
        record(store, "maja", "send", "2026-09-leadex-02 to newsletter", detail={"recipients": 50}, now=datetime(2026, 9, 30, 8, 0))
        record(store, "bor", "subscriber_erase", "subscriber 7", detail={"events": 3}, now=datetime(2026, 9, 30, 9, 15))
    finally:
        store.close()
    shown = runner.invoke(main, ["users", "audit"])
    assert shown.exit_code == 0
    assert shown.output.splitlines() == [
        '2026-09-30 09:15:00 UTC\tbor\tsubscriber_erase\tsubscriber 7\t{"events": 3}',
        '2026-09-30 08:00:00 UTC\tmaja\tsend\t2026-09-leadex-02 to newsletter\t{"recipients": 50}',
    ]
    assert runner.invoke(main, ["users", "audit", "--limit", "1"]).output.count("\n") == 1
