"""CI runs `check --deep` on every issue under newsletters/; issue No. 1 is the control of every gate.

Through the CLI, as an officer or CI runs it (`check ISSUE --deep --json`),
with the settings of an operator about to send by SMTP (https links, a
secret key). Each issue is checked once per session; the control tests
read issue No. 1's result.
"""

from __future__ import annotations

import base64
import json

import nacl.signing

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.config import Settings
from leadex_mail.content.loader import issue_slugs

from .conftest import CHROMIUM, PUBLIC_URL, REPO, SLUG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHIPPED = issue_slugs(Settings(newsletters_dir=REPO / "newsletters"))
VIEWS = ["375 px light", "375 px dark", "600 px light", "600 px dark"]
ENV = {
    "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
    "LEADEX_PUBLIC_URL": PUBLIC_URL,
    "LEADEX_TRANSPORT": "smtp",
    "LEADEX_SMTP_HOST": "127.0.0.1",
    "LEADEX_SECRET_KEY": "s" * 32,
    "LEADEX_CHROMIUM_PATH": str(CHROMIUM),
    "LEADEX_CONFIG": "",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """The operator's environment: ENV plus a DKIM key of its own (the messages are signed as sent)."""
    key = tmp_path_factory.mktemp("dkim") / "ed25519.key"
    key.write_bytes(base64.b64encode(bytes(nacl.signing.SigningKey.generate())) + b"\n")
    cache = tmp_path_factory.getbasetemp() / "xdg-cache"
    return {**ENV, "LEADEX_DKIM_KEY_PATH": str(key), "LEADEX_DKIM_SELECTOR": "lx2026", "XDG_CACHE_HOME": str(cache)}


@pytest.fixture(scope="module")
def deep_results(env):
    """``check SLUG --deep --json`` of each shipped issue, run once: slug -> (exit code, JSON, output)."""
    done: dict[str, tuple[int, dict, str]] = {}

    def result(slug: str) -> tuple[int, dict, str]:
        if slug not in done:
            run = CliRunner().invoke(main, ["check", slug, "--deep", "--json"], env=env)
            done[slug] = (run.exit_code, json.loads(run.stdout), run.output)
        return done[slug]

    return result


def test_the_shipped_issues_are_found():
    assert SLUG in SHIPPED


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_shipped_issue_passes_check_deep(slug, deep_results):
    code, data, output = deep_results(slug)
    problems = [p["message"] for p in data["problems"]]
    assert code == 0 and data["clean"] and not problems, output
    editions = data["deep"]["editions"]
    assert editions and {e["language"] for e in editions} == _languages(slug)
    for edition in editions:
        # Every check ran: the browser in all four views, SpamAssassin, sizes.
        assert list(edition["axe_violations"]) == VIEWS, edition
        assert edition["spam"] is not None and edition["sizes"] is not None
        assert not [f for f in edition["findings"] if f["severity"] == "notice"], edition["findings"]


def _languages(slug: str) -> set[str]:
    return {p.stem for p in (REPO / "newsletters" / slug).glob("*.yaml")}


# -- issue No. 1: the control of each gate, against the issue's targets --------------


@pytest.fixture(scope="module")
def issue_one(deep_results):
    code, data, output = deep_results(SLUG)
    assert code == 0, output
    return {e["language"]: e for e in data["deep"]["editions"]}


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_control_axe_finds_nothing_at_both_widths_light_and_dark(issue_one, lang):
    assert issue_one[lang]["axe_violations"] == dict.fromkeys(VIEWS, 0)


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_control_spam_score_is_at_most_zero(issue_one, lang):
    spam = issue_one[lang]["spam"]
    assert spam["score"] <= 0.0, spam["rules"]
    assert spam["required"] == 5.0 and not [r for r in spam["rules"] if r["points"] > 0]


@pytest.mark.parametrize("lang", ["sl", "en"])
def test_control_html_is_under_80_kb_and_far_from_clipping(issue_one, lang):
    sizes = issue_one[lang]["sizes"]
    assert sizes["html_bytes"] <= 80_000
    assert sizes["clip_bytes"] == 102_000 and sizes["margin_bytes"] == 102_000 - sizes["html_bytes"]
    assert sizes["html_bytes"] < sizes["message_bytes"]  # the pictures are embedded


@pytest.mark.parametrize("lang", ["sl", "en"])
@pytest.mark.parametrize("check", ["markup", "conformance", "size", "accessibility", "spam"])
def test_control_each_check_passes(issue_one, lang, check):
    assert [f for f in issue_one[lang]["findings"] if f["check"] == check] == []


def test_the_table_sums_it_up(env):
    """Without --json: findings, then one row per edition with every measurement."""
    run = CliRunner().invoke(main, ["check", SLUG, "--deep"], env=env)
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    head = next(line for line in lines if line.strip().startswith("edition"))
    for column in ("axe 375 light", "axe 375 dark", "axe 600 light", "axe 600 dark", "markup", "conformance", "spam", "HTML (to 102 KB)", "message", "time"):
        assert column in head
    rows = {line.split()[0]: line for line in lines if line.strip().split(" ")[0] in ("sl", "en")}
    assert set(rows) == {"sl", "en"}
    for row in rows.values():
        cells = row.split()
        assert cells[1:5] == ["0", "0", "0", "0"] and cells[5:7] == ["ok", "ok"], row
    assert "for Špela Novak-Žagar <spela.novak@example.org>" in run.output
    assert run.output.rstrip().endswith(f"{SLUG}: no problems found")
