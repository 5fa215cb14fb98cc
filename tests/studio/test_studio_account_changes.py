"""Sessions follow their account: what `leadex-mail users` changes in another process applies at the next request.

The studio keeps its sessions in its own memory; the CLI runs elsewhere and
only writes the store. Each test signs in over real HTTP, changes the
account with the real CLI against the same store (a subprocess for the
reported case, click's runner otherwise: either way the studio is told
nothing), then looks at the session's next request. The reported case
(a13b #1: a removed sender kept exporting subscribers) runs on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from leadex_mail.cli import main
from leadex_mail.studio.auth import COOKIE, IDLE_MINUTES
from studio.studio_helpers import EDITOR, ISSUE, LIVE, SENDER, RunningStudio, editor_field, serve_accounts_studio, serve_studio
from studio.test_studio_auth import Browserish

ACCOUNT_CHANGED = "Your account was removed or its password changed; sign in again."


def _serve(tmp_path: Path, database_url: str) -> Iterator[RunningStudio]:
    with serve_accounts_studio(tmp_path, LEADEX_DATABASE_URL=database_url) as running:
        yield running


@pytest.fixture
def served(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[RunningStudio]:
    """The studio with accounts over a store on SQLite or PostgreSQL (``backend``)."""
    url = request.getfixturevalue("pg_cluster").new_database() if backend == "postgresql" else f"sqlite:///{tmp_path / 'subscribers.db'}"
    yield from _serve(tmp_path, url)


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Iterator[RunningStudio]:
    """The studio with accounts over a SQLite store."""
    yield from _serve(tmp_path, f"sqlite:///{tmp_path / 'subscribers.db'}")


def users(studio: RunningStudio, *args: str, input: str | None = None) -> str:
    """``leadex-mail users ARGS`` through click's runner against the studio's store; its output (exit 0 checked)."""
    env = {"LEADEX_DATABASE_URL": studio.settings.database_url, "LEADEX_CONFIG": None}
    result = CliRunner().invoke(main, ["users", *args], env=env, input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def signed_in(studio: RunningStudio, account: tuple[str, str]) -> Browserish:
    browser = Browserish(studio)
    assert browser.login(*account).status_code == 303
    return browser


def assert_signed_out(browser: Browserish, url: str, notice: str) -> None:
    """``url`` sends ``browser`` to sign in, and the sign-in page says ``notice``."""
    response = browser.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), (url, response.status_code)
    login = browser.get(response.headers["location"])
    assert login.status_code == 200 and notice in login.text


def test_a_removed_account_is_signed_out_at_its_next_request(served: RunningStudio) -> None:
    """a13b #1 as reported: `users remove`, run in another process, ends the open session (no restart)."""
    sender = signed_in(served, SENDER)
    assert sender.get("/subscribers").status_code == 200
    old_sid = sender.sid
    env = {**os.environ, "LEADEX_DATABASE_URL": served.settings.database_url}
    env.pop("LEADEX_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "leadex_mail", "users", "remove", SENDER[0]], env=env, cwd=served.root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "account tina removed" in done.stdout, done.stderr
    export = sender.get("/subscribers/export?format=csv")
    assert export.status_code == 303 and "reader@example.org" not in export.text
    assert sender.sid != old_sid  # the ended session's id is not reused
    stale = Browserish(served)  # a second request on the old cookie: still refused, still told why
    stale.sid = old_sid
    assert_signed_out(stale, "/subscribers", ACCOUNT_CHANGED)
    assert stale.get("/session", headers={"accept": "application/json"}).json() == {"signed_in": False, "signed_out": "account", "error": ACCOUNT_CHANGED}


def test_a_new_password_ends_every_session_of_the_account_and_only_those(on_sqlite: RunningStudio) -> None:
    laptop, phone, tablet, other = (signed_in(on_sqlite, account) for account in (EDITOR, EDITOR, EDITOR, SENDER))
    phone_token, tablet_token = phone.token(), tablet.token()
    before = on_sqlite.file(ISSUE, "sl").read_bytes()
    assert "signed out of the studio everywhere" in users(on_sqlite, "password", EDITOR[0], input="a brand new passphrase\n")
    assert_signed_out(laptop, "/", ACCOUNT_CHANGED)
    # Changes from the editor's script with the session's own CSRF token: refused, and told why, as JSON.
    refused = phone.post(f"/issues/{ISSUE}/sl/field", json={"path": "sections.1.heading", "value": "x"}, headers={"x-csrf-token": phone_token})
    assert refused.status_code == 401 and refused.json() == {"error": ACCOUNT_CHANGED, "signed_out": "account"}
    saved = tablet.post(f"/issues/{ISSUE}/sl/save", headers={"x-csrf-token": tablet_token, "accept": "application/json", "accept-language": "sl"})
    assert saved.status_code == 401 and saved.json()["error"] == "Vaš račun je bil odstranjen ali pa je bilo njegovo geslo spremenjeno; znova se prijavite."
    assert on_sqlite.file(ISSUE, "sl").read_bytes() == before
    assert other.get("/subscribers").status_code == 200  # another account's session is untouched
    assert phone.login(*EDITOR).status_code == 401  # the old password no longer signs in
    assert phone.login(EDITOR[0], "a brand new passphrase").status_code == 303
    assert phone.get("/").status_code == 200


def test_a_role_change_applies_at_the_next_request_without_signing_out(served: RunningStudio) -> None:
    sender = signed_in(served, SENDER)
    assert sender.get(f"/issues/{ISSUE}/send/review?list=newsletter").status_code == 200
    assert "tina is now editor" in users(served, "role", SENDER[0], "editor")
    assert sender.get(f"/issues/{ISSUE}/send/review?list=newsletter").status_code == 403
    start = sender.post(f"/issues/{ISSUE}/send/start", data={"csrf": sender.token(), "list": "newsletter"})
    assert start.status_code == 403 and "may not do this" in start.text
    assert sender.get("/subscribers/export?format=csv").status_code == 403
    assert sender.get("/").status_code == 200  # still signed in: an editor edits
    assert "was already editor" in users(served, "role", SENDER[0], "editor")
    users(served, "role", SENDER[0], "sender")
    assert sender.get("/subscribers").status_code == 200


def test_an_account_removed_and_made_again_under_the_same_name_does_not_revive_old_sessions(on_sqlite: RunningStudio) -> None:
    sender = signed_in(on_sqlite, SENDER)
    users(on_sqlite, "remove", SENDER[0])
    users(on_sqlite, "add", SENDER[0], "--role", "sender", input=f"{SENDER[1]}\n")  # even the same password
    assert_signed_out(sender, "/subscribers", ACCOUNT_CHANGED)


def test_the_sign_in_page_says_why_a_session_ended(on_sqlite: RunningStudio, tmp_path: Path) -> None:
    idle = signed_in(on_sqlite, EDITOR)
    on_sqlite.clock.advance(minutes=IDLE_MINUTES + 1)
    assert_signed_out(idle, "/", f"You were signed out because the studio was not used for {IDLE_MINUTES // 60} hours.")
    # A session of the studio that ran before: another studio over the same store and folder.
    earlier = signed_in(on_sqlite, SENDER)
    with serve_studio(on_sqlite.settings, accounts=True, store=on_sqlite.store, root=tmp_path) as restarted:
        again = Browserish(restarted)
        again.sid = earlier.sid
        assert_signed_out(again, "/", "You were signed out because the studio was restarted since you signed in.")
    signed_out = signed_in(on_sqlite, SENDER)
    signed_out.post("/logout", data={"csrf": signed_out.token()})
    form = signed_out.get("/login")
    assert 'id="signed-out"' not in form.text  # who signed out is not told anything ended


def test_an_open_live_preview_stops_when_the_account_is_removed(on_sqlite: RunningStudio) -> None:
    """The editor's event stream is one long request: it ends at its next event (or keep-alive), not with the studio."""
    editor = signed_in(on_sqlite, EDITOR)
    assert editor.get(f"/issues/{ISSUE}/sl").status_code == 200
    headers = {"cookie": f"{COOKIE}={editor.sid}", "accept": "text/event-stream"}
    with editor.client.stream("GET", f"/issues/{ISSUE}/events?lang=sl", headers=headers) as stream:
        chunks = stream.iter_text()
        received = ""
        while "event: preview" not in received or not received.endswith("\n\n"):  # what the page gets at once, whole
            received += next(chunks)
        users(on_sqlite, "remove", EDITOR[0])
        file = on_sqlite.file(ISSUE, "sl")
        file.write_text(file.read_text(encoding="utf-8").replace("LeadEx uvodni sestanek", "Sestanek, spremenjen po odstranitvi", 1), encoding="utf-8")
        after, deadline = "", time.monotonic() + LIVE / 1000  # a bound to fail by, not a wait: keep-alives come every 5 s
        for chunk in chunks:  # ends when the studio closes the stream
            after += chunk
            assert time.monotonic() < deadline, "the removed account's event stream goes on"
    # Events already on their way before the removal may arrive; nothing of the file changed after it does.
    assert "spremenjen po odstranitvi" not in after
    assert editor.get(f"/issues/{ISSUE}/events?lang=sl").status_code == 303  # the page's reconnection is sent to sign in


@pytest.mark.browser
def test_the_editor_says_the_account_changed_instead_of_the_studio_stopped(on_sqlite: RunningStudio, studio_page: Page) -> None:
    page = studio_page
    page.goto(on_sqlite.url + f"/issues/{ISSUE}/sl")
    page.get_by_label("Account name").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#check-counts")).to_have_text("No problems found.", timeout=20_000)
    users(on_sqlite, "password", EDITOR[0], input="a brand new passphrase\n")
    editor_field(page, "sections.1.heading").fill("Nov naslov")
    banner = page.locator("#offline")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(ACCOUNT_CHANGED)
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Account name").fill(EDITOR[0])
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(on_sqlite.url + f"/issues/{ISSUE}/sl")  # back at the edition
