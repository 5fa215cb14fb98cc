"""`leadex-mail render` and `leadex-mail check` through CliRunner, on a copy of the real issue."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main
from leadex_mail.render import check as check_module
from leadex_mail.render import check_issue

from .conftest import SLUG


@pytest.fixture
def cli(issue_copy, tmp_path, monkeypatch):
    folder, settings = issue_copy
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEADEX_NEWSLETTERS_DIR", str(folder))
    monkeypatch.delenv("LEADEX_CONFIG", raising=False)
    return CliRunner(), folder, settings


def test_render_writes_html_text_eml_and_images(cli, tmp_path):
    runner, _, _ = cli
    result = runner.invoke(main, ["render", SLUG])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / SLUG
    for lang in ("sl", "en"):
        for ext in ("html", "txt", "eml"):
            assert (out / f"{lang}.{ext}").is_file()
            assert f"{lang}.{ext}" in result.output
    html = (out / "sl.html").read_text(encoding="utf-8")
    assert "cid:" not in html
    sources = re.findall(r'<img[^>]* src="([^"]+)"', html)
    assert sources and all(src.startswith("images/") and (out / src).is_file() for src in sources)
    assert re.search(r"sl\.html\s+\d+\.\d KB", result.output)


def test_rendered_eml_is_a_complete_message(cli, tmp_path):
    runner, _, _ = cli
    assert runner.invoke(main, ["render", SLUG, "--lang", "sl", "--out", "preview"]).exit_code == 0
    message = message_from_bytes((tmp_path / "preview" / "sl.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == "LeadEx novice št. 1 – april 2026"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Poglej v brskalniku" in html and "Odjava" in text
    assert "[[LX:" not in html and "[[LX:" not in text
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    parts = {part["Content-ID"].strip("<>") for part in message.walk() if part["Content-ID"]}
    assert cids and cids <= parts
    assert not (tmp_path / "preview" / "en.html").exists()


def test_render_unknown_language_is_an_error(cli):
    runner, _, _ = cli
    result = runner.invoke(main, ["render", SLUG, "--lang", "xx"])
    assert result.exit_code == 1
    assert "has no 'xx' edition" in result.output and "hint: its editions are: en, sl" in result.output


def test_check_clean_issue_exits_0(cli):
    runner, _, _ = cli
    result = runner.invoke(main, ["check", SLUG])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{SLUG}: no problems found"


def test_check_lists_problems_and_exits_1(cli):
    runner, folder, _ = cli
    path = folder / SLUG / "en.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("https://www.interregeurope.eu/leadex", '"#"', 1), encoding="utf-8")
    result = runner.invoke(main, ["check", SLUG])
    assert result.exit_code == 1
    # A placeholder link is an error: `send` refuses it (tests/campaign/test_send_check.py).
    assert re.search(r"en\.yaml:\d+:\d+: error: .*'#'", result.output), result.output
    assert re.search(rf"{SLUG}: 1 problem \(1 error, 0 warnings\)", result.output)


def test_check_invalid_content_lists_every_error(cli):
    runner, folder, _ = cli
    path = folder / SLUG / "sl.yaml"
    text = path.read_text(encoding="utf-8").replace("type: partners", "type: partner").replace("number: 1", "number: zero")
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["check", SLUG])
    assert result.exit_code == 1
    assert "partner" in result.output and "number" in result.output
    assert "Traceback" not in result.output


def test_check_flags_html_over_the_gmail_limit(issue, settings, monkeypatch):
    monkeypatch.setattr(check_module, "MAX_HTML_BYTES", 10 * 1024)
    problems = [p for p in check_issue(issue, settings) if "Gmail clips" in p.message]
    assert {p.file.rsplit("/", 1)[-1] for p in problems} == {"sl.yaml", "en.yaml"}
    assert all(p.severity == "warning" for p in problems)


def test_check_flags_brand_colours_below_aa(issue, settings):
    pale = issue.model_copy(update={"brand": issue.brand.model_copy(update={"text_color": "#aaaaaa"})})
    problems = [p for p in check_issue(pale, settings) if "WCAG AA" in p.message]
    assert problems and problems[0].file.endswith("brand.yaml")
    assert "body text on the white panel" in problems[0].message


def test_render_with_images_url_links_images_and_writes_the_files_to_publish(cli, tmp_path, monkeypatch):
    runner, _, _ = cli
    monkeypatch.setenv("LEADEX_IMAGES_URL", "https://cdn.example.org/news")
    assert runner.invoke(main, ["render", SLUG, "--lang", "en", "--out", "pub"]).exit_code == 0
    html = (tmp_path / "pub" / "en.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]* src="([^"]+)"', html)
    prefix = f"https://cdn.example.org/news/{SLUG}/"
    assert sources and all(src.startswith(prefix) for src in sources)
    published = {p.name for p in (tmp_path / "pub" / "images").iterdir()}
    assert {src.removeprefix(prefix) for src in sources} == published


def test_rendered_files_have_working_links_not_placeholders(cli, tmp_path):
    # Issue 9: the .html and .txt kept [[LX:VIEW_URL]], [[LX:UNSUBSCRIBE_URL]] and [[LX:PREFERENCES_URL]].
    runner, _, _ = cli
    result = runner.invoke(main, ["render", SLUG])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / SLUG
    for lang, unsubscribe in (("sl", "Odjava"), ("en", "Unsubscribe")):
        page = out / f"{lang}-links.html"
        assert f"{lang}-links.html" in result.output
        html, text = (out / f"{lang}.html").read_text(encoding="utf-8"), (out / f"{lang}.txt").read_text(encoding="utf-8")
        eml = message_from_bytes((out / f"{lang}.eml").read_bytes(), policy=policy.default)
        assert "[[LX:" not in html + text + eml.get_body(("plain",)).get_content() + eml.get_body(("html",)).get_content()
        assert set(re.findall(rf'href="({lang}-links\.html#\w+)"', html)) == {f"{lang}-links.html#{a}" for a in ("view", "unsubscribe", "preferences")}
        assert f"{unsubscribe}: {page.resolve().as_uri()}#unsubscribe" in text
        links = page.read_text(encoding="utf-8")
        for anchor in ("view", "unsubscribe", "preferences"):
            assert f'id="{anchor}"' in links
        assert f'<html lang="{lang}">' in links and f"/archive/{SLUG}/{lang}" in links and f'href="{lang}.html"' in links


def test_check_warns_while_the_privacy_notice_cannot_name_the_controller(cli):
    """Issue 14: the notice every footer links to needs the controller, its address and e-mail, and the authority."""
    runner, folder, _ = cli
    brand = folder / "brand.yaml"
    lines = brand.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.lstrip().startswith(("controller:", "email:", "authority:"))]
    brand.write_text("\n".join(kept) + "\n", encoding="utf-8")
    privacy_line = kept.index("privacy:") + 1
    result = runner.invoke(main, ["check", SLUG])
    assert result.exit_code == 1, result.output
    # One warning names every missing field (a13d: four warnings said one thing); a missing field has no line
    # of its own: the warning points at `privacy:`.
    pattern = rf"brand\.yaml:{privacy_line}:\d+: warning: the privacy notice does not say [^\n]*who keeps subscribers' data[^\n]*where people write[^\n]*supervisory authority[^\n]*\(privacy\)"
    assert re.search(pattern, result.output), result.output
    assert "postal address" not in result.output  # the address is there
    assert re.search(rf"{SLUG}: 1 problem \(0 errors, 1 warning\)", result.output), result.output
