"""Pre-flight: no real send or public serve without an https public URL and a real secret key.

Each case goes through the CLI as an operator runs it, against a real SMTP
server on loopback and a real SQLite store; "refused" means exit 2, the
setting named with a reason and a hint, nothing sent and nothing recorded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import DEV_SECRET_KEY, Settings, load_settings
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.models import Campaign, TestSend
from leadex_mail.store.subscribers import add_subscriber

REPO = Path(__file__).resolve().parents[1]
ISSUE = "2026-04-leadex-01"
KEY = "preflight-test-secret-key-0123456789abcdef"


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    """A store with two subscribers on 'newsletter', the real issue, no config file."""
    monkeypatch.chdir(tmp_path)
    values = {
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
        "LEADEX_IMAGES_URL": "https://images.example.org",
    }
    with open_store(load_settings(environ=values)) as store:
        create_list(store, "newsletter", title="LeadEx novice")
        for email in ("ana@example.org", "bojan@example.org"):
            add_subscriber(store, email, name="Ana", lists=("newsletter",), status="active", source="cli")
    return values


def smtp(server, **more: str) -> dict[str, str]:
    return {"LEADEX_SMTP_HOST": "127.0.0.1", "LEADEX_SMTP_PORT": str(server.port), "LEADEX_SMTP_SECURITY": "none", **more}


def run(env: dict[str, str], *args: str, **more: str):
    return CliRunner().invoke(main, list(args), env={**env, **more})


def recorded(env: dict[str, str]) -> tuple[int, int]:
    """(campaigns, test sends) in the store."""
    from sqlmodel import select

    with open_store(load_settings(environ=env)) as store, store.session(write=False) as session:
        return len(list(session.exec(select(Campaign)))), len(list(session.exec(select(TestSend))))


def assert_refused(result, setting: str, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    error = next(line for line in result.output.splitlines() if line.startswith("error: "))
    hint = next(line for line in result.output.splitlines() if line.startswith("hint: "))
    assert setting in error and "hint" in hint, result.output
    for word in words:
        assert word in result.output, result.output


def smtp_ready(shown: str) -> bool:
    """What ``config show`` says about sending over SMTP: ready or not (False when it could not show the settings)."""
    return "send over SMTP:" in shown and shown.split("send over SMTP:", 1)[1].splitlines()[0].strip() == "ready"


# -- send ----------------------------------------------------------------------


def test_reported_smtp_send_without_public_url_is_refused_before_anything_happens(env, smtp_server):
    """Reported: the campaign went out with http://127.0.0.1:8000/unsubscribe/... links."""
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY))
    assert_refused(result, "public_url", "http://127.0.0.1:8000", "one click", "LEADEX_PUBLIC_URL", "https://")
    assert smtp_server.messages == [] and recorded(env) == (0, 0)
    assert "Send 2 messages now?" not in result.output  # refused before the plan and the question


@pytest.mark.parametrize(
    ("public_url", "words"),
    [
        ("http://news.example.org", ("not https://", "RFC 8058")),
        ("https://127.0.0.1:8443", ("this machine",)),
        ("https://localhost", ("this machine",)),
        ("https://[::1]/lx", ("this machine",)),
    ],
)
def test_http_or_local_public_url_is_refused_for_smtp(env, smtp_server, public_url, words):
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY, LEADEX_PUBLIC_URL=public_url))
    assert_refused(result, "public_url", *words)
    assert smtp_server.messages == [] and recorded(env) == (0, 0)


@pytest.mark.parametrize(("public_url", "words"), [
    # Tester's finding i8/a8 #7: loopback in other spellings, and URLs no link can be built on.
    ("https://127.1", "points at this machine"),
    ("https://2130706433", "points at this machine"),
    ("https://0x7f000001", "points at this machine"),
    ("https://0177.0.0.1", "points at this machine"),
    ("https://[::ffff:127.0.0.1]", "points at this machine"),
    ("https://[::1]:8443", "points at this machine"),
    ("https://news.example.org:99999", "port is not a number from 1 to 65535"),
    ("https://news.example.org:0", "port is not a number from 1 to 65535"),
    ("https://user:pw@news.example.org", "user name or password"),
    ("https://ne<w>s.example.org", "contains '<'"),
    ('https://news.example.org/"onmouseover=x', "contains '\"'"),
    ("https://news.example.org/a b", "without spaces"),  # refused when loaded
    ("https://novice.šola.si", "xn-- form"),
    ("https://news.example.org/?list=1", "query (?) or fragment (#)"),
    ("https://news.example.org/#top", "query (?) or fragment (#)"),
    ("https://-news.example.org", "is not a host name"),
])
def test_loopback_spellings_and_malformed_public_urls_are_refused(env, smtp_server, public_url, words):
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY, LEADEX_PUBLIC_URL=public_url))
    assert_refused(result, "public_url", words)
    assert smtp_server.messages == [] and recorded(env) == (0, 0)
    assert not smtp_ready(run(env, "config", "show", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY, LEADEX_PUBLIC_URL=public_url)).output)


@pytest.mark.parametrize("public_url", ["https://news.example.org", "https://www.example.org/novice/", "https://news.example.org:8443/x", "https://xn--ola-t5a.example"])
def test_real_public_urls_stay_ready(env, public_url):
    shown = run(env, "config", "show", LEADEX_SMTP_HOST="smtp.example.org", LEADEX_PUBLIC_URL=public_url, LEADEX_SECRET_KEY=KEY).output
    assert smtp_ready(shown), shown


def test_insecure_links_and_plain_smtp_are_for_this_machine_only(env, smtp_server):
    """Finding #7: allow_insecure_links with another host, and smtp_security none to a remote relay, showed "ready"."""
    remote = {"LEADEX_SMTP_HOST": "smtp.example.org", "LEADEX_SMTP_SECURITY": "starttls", "LEADEX_SECRET_KEY": KEY, "LEADEX_ALLOW_INSECURE_LINKS": "1"}
    for public_url, words in [
        ("http://news.example.org", "relaxes this only for a public_url on this machine"),
        ("http://127.0.0.1:8000", "smtp_host smtp.example.org is another machine"),
    ]:
        shown = run(env, "config", "show", LEADEX_PUBLIC_URL=public_url, **remote).output
        assert not smtp_ready(shown) and words in shown, shown
    plain = run(env, "config", "show", LEADEX_SMTP_HOST="smtp.example.org", LEADEX_SMTP_SECURITY="none",
                LEADEX_PUBLIC_URL="https://news.example.org", LEADEX_SECRET_KEY=KEY).output  # fmt: skip
    assert not smtp_ready(plain) and "smtp_security is none" in plain, plain
    trusted = run(env, "config", "show", LEADEX_SMTP_HOST="smtp.example.org", LEADEX_SMTP_SECURITY="none", LEADEX_SMTP_ALLOW_INSECURE="1",
                  LEADEX_PUBLIC_URL="https://news.example.org", LEADEX_SECRET_KEY=KEY).output  # fmt: skip
    assert smtp_ready(trusted), trusted
    code, output = serve(env, "--host", "0.0.0.0", LEADEX_PUBLIC_URL="http://127.0.0.1:8000", LEADEX_SECRET_KEY=KEY, LEADEX_ALLOW_INSECURE_LINKS="1")
    assert code == 2 and "allow_insecure_links" in output and "0.0.0.0" in output, output
    # On one machine (loopback relay and links) it still works, as the tests need.
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes",
                 **smtp(smtp_server, LEADEX_SECRET_KEY=KEY, LEADEX_PUBLIC_URL="http://127.0.0.1:8000", LEADEX_ALLOW_INSECURE_LINKS="1"))  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("key", "words"), [(DEV_SECRET_KEY, ("development key",)), ("kratek-kljuc", ("12 characters", "32"))])
def test_published_or_short_secret_key_is_refused_for_smtp(env, smtp_server, key, words):
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=key, LEADEX_PUBLIC_URL="https://news.example.org"))
    assert_refused(result, "secret_key", "LEADEX_SECRET_KEY", "secrets.token_urlsafe", *words)
    assert smtp_server.messages == [] and recorded(env) == (0, 0)


@pytest.mark.parametrize(("previous", "words"), [
    (DEV_SECRET_KEY, ("previous_secret_keys (key 1 of 1) is the published development key",)),
    ("short", ("previous_secret_keys (key 2 of 2) has 5 characters",)),
])
def test_every_previous_key_meets_the_same_rules(env, smtp_server, previous, words):
    """Tester's finding i8/a8 #2: a previous key only verifies, but what it verifies acts on people just the same."""
    keys = previous if previous == DEV_SECRET_KEY else f"{'o' * 40},{previous}"
    more = smtp(smtp_server, LEADEX_SECRET_KEY=KEY, LEADEX_PUBLIC_URL="https://news.example.org", LEADEX_PREVIOUS_SECRET_KEYS=keys)
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **more)
    assert_refused(result, "previous_secret_keys", "remove that key from LEADEX_PREVIOUS_SECRET_KEYS", *words)
    assert smtp_server.messages == [] and recorded(env) == (0, 0)
    shown = run(env, "config", "show", **more).output
    assert "ready" not in shown.split("serve on 127.0.0.1:")[1].splitlines()[0], shown
    code, output = serve(env, **more)
    assert code == 2 and "previous_secret_keys" in output, output


def test_dry_run_over_smtp_says_the_same(env, smtp_server):
    result = run(env, "send", ISSUE, "--list", "newsletter", "--dry-run", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY))
    assert_refused(result, "public_url")


def test_a_loopback_relay_is_still_a_real_send(env, smtp_server):
    """A local MTA (Postfix on 127.0.0.1) relays to the world: its host being loopback proves nothing."""
    settings = load_settings(environ={**env, **smtp(smtp_server, LEADEX_SECRET_KEY=KEY)})
    assert settings.smtp_host == "127.0.0.1"
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY))
    assert_refused(result, "public_url")


def test_https_public_url_and_real_key_send(env, smtp_server):
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY, LEADEX_PUBLIC_URL="https://news.example.org"))
    assert result.exit_code == 0, result.output
    assert len(smtp_server.messages) == 2
    assert all(m.message()["List-Unsubscribe"].startswith("<https://news.example.org/unsubscribe/") for m in smtp_server.messages)


def test_the_outbox_keeps_working_with_the_defaults(env, tmp_path):
    """No public URL, no key: files on this machine only (the demo's path)."""
    result = run(env, "send", ISSUE, "--list", "newsletter", "--yes")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 2


def test_allow_insecure_links_is_for_tests_and_never_relaxes_the_key(env, smtp_server):
    loopback = {"LEADEX_PUBLIC_URL": "http://127.0.0.1:8000", "LEADEX_ALLOW_INSECURE_LINKS": "true"}
    refused = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=DEV_SECRET_KEY, **loopback))
    assert_refused(refused, "secret_key")
    sent = run(env, "send", ISSUE, "--list", "newsletter", "--yes", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY, **loopback))
    assert sent.exit_code == 0, sent.output
    assert len(smtp_server.messages) == 2


# -- send-test -------------------------------------------------------------------


def test_send_test_over_smtp_is_refused_the_same_way(env, smtp_server):
    result = run(env, "send-test", ISSUE, "--to", "urednik@example.org", **smtp(smtp_server, LEADEX_SECRET_KEY=KEY))
    assert_refused(result, "public_url", "send-test")
    assert smtp_server.messages == [] and recorded(env) == (0, 0)
    result = run(env, "send-test", ISSUE, "--to", "urednik@example.org", **smtp(smtp_server, LEADEX_PUBLIC_URL="https://news.example.org"))
    assert_refused(result, "secret_key", "send-test")
    assert smtp_server.messages == []


# -- serve -----------------------------------------------------------------------


def serve(env: dict[str, str], *args: str, **more: str) -> tuple[int | None, str]:
    """Run ``leadex-mail serve --port 0``; (exit code, output) when it refuses, (None, output) once it listens."""
    import os

    proc = subprocess.Popen(
        [sys.executable, "-m", "leadex_mail", "serve", "--port", "0", *args], env={**os.environ, **env, **more},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    for line in proc.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if line.startswith("leadex-mail web on"):
            proc.terminate()
            proc.wait()
            return None, "".join(lines)
    return proc.wait(), "".join(lines)


def test_reported_serve_with_a_public_url_and_no_key_is_refused(env):
    """Reported: it served on the published development key (forged unsubscribes and confirmations accepted)."""
    code, output = serve(env, LEADEX_PUBLIC_URL="https://news.example.org")
    assert code == 2, output
    assert "secret_key" in output and "development key" in output and "hint:" in output and "Traceback" not in output


def test_serve_beyond_loopback_needs_the_same(env):
    code, output = serve(env, "--host", "0.0.0.0")
    assert code == 2, output
    assert "public_url" in output and "secret_key" in output


def test_serve_on_loopback_with_the_defaults_is_a_local_preview(env):
    from leadex_mail.preflight import serving_findings

    code, output = serve(env)
    assert code is None, output
    assert serving_findings(Settings(), "127.0.0.1") == []
    assert serving_findings(Settings(public_url="https://news.example.org", secret_key=KEY), "0.0.0.0") == []


# -- config show -------------------------------------------------------------------


def test_config_show_prints_effective_values_not_blanks(env):
    result = run(env, "config", "show")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line and not line.startswith(" ")}
    assert "http://127.0.0.1:8000" in lines["public_url"] and "this machine" in lines["public_url"]
    assert "outbox" in lines["transport"] and "derived" in lines["transport"]
    assert "(development key: outbox only)" in lines["secret_key"]
    assert "587" in lines["smtp_port"]
    assert "LeadEx" in lines["from_name"] and "brand" in lines["from_name"]
    assert "send" in result.output and "refused" in result.output


def test_config_show_for_smtp_names_the_transport_and_the_missing_key(env):
    result = run(env, "config", "show", LEADEX_SMTP_HOST="smtp.example.org", LEADEX_PUBLIC_URL="https://news.example.org")
    lines = {line.split()[0]: line for line in result.output.splitlines() if line and not line.startswith(" ")}
    assert "smtp" in lines["transport"] and "smtp_host is set" in lines["transport"]
    assert "(not set: required for SMTP)" in lines["secret_key"]
    result = run(env, "config", "show", LEADEX_SMTP_HOST="smtp.example.org", LEADEX_PUBLIC_URL="https://news.example.org", LEADEX_SECRET_KEY=KEY)
    assert KEY not in result.output
    assert "send over SMTP:" in result.output and "ready" in result.output.split("send over SMTP:")[1].splitlines()[0]
