"""The gates through the CLI: `check --deep` errors, `render --screenshots`, and `send` refusing on a deep finding."""

from __future__ import annotations

import json
import os
import signal

import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat

from leadex_mail.cli import main

from .conftest import CHROMIUM, PUBLIC_URL, SLUG, edit

# The brand's footer with one link that says only "here" (its website written as a social link labelled "here"):
# found in the rendered mail only, in every edition (the content check judges each link of an edition at its field,
# partners' and interviews' too: content.linkpurpose; the brand's footer is the operator's, judged by the deep check).
WEBSITE = "website: https://www.interregeurope.eu/leadex"
FOOTER_HERE = "social:\n  - label: here\n    url: https://www.interregeurope.eu/leadex"



@pytest.fixture
def cli(tmp_path, newsletters, monkeypatch, tmp_path_factory):
    """``cli(*args, **env)``: the CLI in tmp_path on a copy of the newsletters, outbox transport, https links."""
    monkeypatch.chdir(tmp_path)
    env = {
        "LEADEX_NEWSLETTERS_DIR": str(newsletters),
        "LEADEX_DATABASE_URL": f"sqlite:///{tmp_path / 'subscribers.db'}",
        "LEADEX_OUTBOX_DIR": str(tmp_path / "outbox"),
        "LEADEX_PUBLIC_URL": PUBLIC_URL,
        "LEADEX_CHROMIUM_PATH": str(CHROMIUM),
        "LEADEX_CONFIG": "",
    }
    return lambda *args, input=None, **more: CliRunner().invoke(main, list(args), env={**env, **more}, input=input)


def test_check_deep_without_chromium_is_a_clear_error(cli, tmp_path):
    result = cli("check", SLUG, "--deep", LEADEX_CHROMIUM_PATH=str(tmp_path / "nowhere" / "chromium"))
    assert result.exit_code == 2, result.output
    assert f"error: Chromium not found at {tmp_path / 'nowhere' / 'chromium'}" in result.stderr
    assert "hint: apt-get install chromium, or set chromium_path (LEADEX_CHROMIUM_PATH)" in result.stderr
    assert "Traceback" not in result.output


def test_a_chromium_that_does_not_start_is_a_clear_error_not_a_traceback(cli, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'this is not a browser' >&2\nexit 1\n")
    fake.chmod(0o755)
    result = cli("check", SLUG, "--deep", LEADEX_CHROMIUM_PATH=str(fake))
    assert result.exit_code == 2, result.output
    assert f"error: Chromium at {fake} did not start: " in result.stderr
    assert "hint: check that it runs: chromium --headless --version" in result.stderr
    assert "Traceback" not in result.output


def test_a_chromium_that_never_answers_is_a_clear_error_within_the_limit(settings, tmp_path):
    # Tester a12 #2: a Chromium that hung stopped check --deep (and send) for good, with no output.
    import dataclasses

    from leadex_mail.errors import DeepCheckUnavailable
    from leadex_mail.gates.browser import Browser

    fake = tmp_path / "chromium"
    pid = tmp_path / "pid"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid}\nexec sleep 600\n")
    fake.chmod(0o755)
    hung = dataclasses.replace(settings, chromium_path=fake)
    try:
        with pytest.raises(DeepCheckUnavailable, match=r"Chromium did not answer within 3 s"):
            with Browser(hung, answer_within=3):
                pass
    finally:
        if pid.exists():
            os.kill(int(pid.read_text()), signal.SIGKILL)


def test_check_json_without_deep(cli):
    result = cli("check", SLUG, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"issue": SLUG, "clean": True, "errors": 0, "warnings": 0, "problems": [], "deep": None}


@pytest.mark.browser
def test_render_screenshots_three_per_edition_beside_the_html(cli, tmp_path):
    result = cli("render", SLUG, "--screenshots", "--out", "shots")
    assert result.exit_code == 0, result.output
    out = tmp_path / "shots"
    for lang in ("sl", "en"):
        assert (out / f"{lang}.html").is_file()
        shots = {name: Image.open(out / f"{lang}-{name}.png") for name in ("375", "600", "375-dark")}
        assert {name: im.width for name, im in shots.items()} == {"375": 375, "600": 600, "375-dark": 375}
        # Full height: the phone's single column is longer than the desktop's two.
        assert shots["375"].height > shots["600"].height > 2000
        assert shots["375-dark"].height == shots["375"].height
        light, dark = (ImageStat.Stat(shots[n].convert("L")).mean[0] for n in ("375", "375-dark"))
        assert dark < light - 40, (light, dark)  # the dark-mode rules applied: mostly dark
        assert f"{lang}-375-dark.png" in result.output


@pytest.mark.browser
@pytest.mark.slow
def test_send_refuses_on_a_deep_error_unless_forced_or_no_deep(cli, newsletters, tmp_path):
    """A footer link that says only "here" passes `check` but not `check --deep`; `send` runs the deep checks by default.

    Same rule as the plain check: --force sends anyway and lists what it overrides; --no-deep runs only `check`'s checks.
    """
    brand = newsletters / "brand.yaml"
    brand.write_text(brand.read_text(encoding="utf-8").replace(WEBSITE, FOOTER_HERE, 1), encoding="utf-8")
    assert cli("check", SLUG).exit_code == 0
    assert cli("lists", "create", "newsletter").exit_code == 0
    assert cli("subscribers", "add", "ana@example.org", "--lang", "en", "--list", "newsletter").exit_code == 0

    refused = cli("send", SLUG, "--list", "newsletter", "--yes", LEADEX_SEND_DEEP_CHECK="true")
    assert refused.exit_code == 1, refused.output
    assert "en.yaml: error: markup (here): the link 'here' (to https://www.interregeurope.eu/leadex) says nothing about where it leads" in refused.stderr
    assert f"error: {SLUG} is not ready to send: 2 problems (2 errors, 0 warnings)" in refused.stderr
    assert f"`leadex-mail check {SLUG} --deep` lists them again" in refused.stderr
    assert not (tmp_path / "outbox").exists()

    dry = cli("send", SLUG, "--list", "newsletter", "--dry-run", "--no-deep", LEADEX_SEND_DEEP_CHECK="true")
    assert dry.exit_code == 0, dry.output + dry.stderr
    assert "Dry run: built 1 messages" in dry.output and "markup" not in dry.output

    forced = cli("send", SLUG, "--list", "newsletter", "--yes", "--force", LEADEX_SEND_DEEP_CHECK="true")
    assert forced.exit_code == 0, forced.output + forced.stderr
    assert "check: 2 errors, sending anyway (--force):" in forced.output
    assert "error: markup (here): the link 'here' (to https://www.interregeurope.eu/leadex) says nothing about where it leads" in forced.output
    assert "Campaign done: sent 1" in forced.output
