"""The studio over real HTTP: sessions and CSRF on every POST, saving, conflicts, who may serve it where."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from starlette.routing import Route

from leadex_mail.cli import main
from leadex_mail.studio.app import routes
from leadex_mail.studio.document import read_stamp
from leadex_mail.studio.server import StudioRefused, is_loopback, make_server
from studio.studio_helpers import ISSUE, RunningStudio, studio_settings

TOKEN = re.compile(r'data-csrf="([^"]+)"')


def session(studio: RunningStudio) -> tuple[httpx.Client, str]:
    client = studio.client()
    page = client.get("/")
    assert page.status_code == 200, page.text
    return client, TOKEN.search(page.text).group(1)


def post_field(client: httpx.Client, token: str, path: str, value: object, lang: str = "sl") -> httpx.Response:
    return client.post(f"/issues/{ISSUE}/{lang}/field", json={"path": path, "value": value}, headers={"X-CSRF-Token": token})


def test_pages_are_served_with_the_studio_policy(studio: RunningStudio) -> None:
    client, _ = session(studio)
    page = client.get(f"/issues/{ISSUE}/sl")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    cookie = page.request.headers.get("cookie", "")
    assert "leadex_studio=" in cookie
    preview = client.get(f"/issues/{ISSUE}/sl/preview")
    assert preview.status_code == 200 and "LeadEx novice" in preview.text
    assert preview.headers["x-frame-options"] == "SAMEORIGIN" and "script-src" not in preview.headers["content-security-policy"]


def test_the_first_response_sets_an_httponly_samesite_cookie(studio: RunningStudio) -> None:
    response = studio.client().get("/")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # loopback over http: a Secure cookie would never come back


def test_a_name_other_than_loopback_is_refused(studio: RunningStudio) -> None:
    response = studio.client().get("/", headers={"Host": "studio.attacker.example"})
    assert response.status_code == 400  # DNS rebinding: a page elsewhere cannot read unsent issues


def _example_path(route: Route) -> str:
    path = route.path.replace("{slug}", ISSUE).replace("{lang}", "sl").replace("{cid:path}", "x").replace("{name}", "x").replace("{id:int}", "1")
    assert "{" not in path, f"give {route.path}'s parameters an example value here"  # else the route 404s and nothing is tested
    return path


POST_ROUTES = [r for r in routes() if isinstance(r, Route) and "POST" in (r.methods or set())]


@pytest.mark.parametrize("route", POST_ROUTES, ids=[r.path for r in POST_ROUTES])
def test_every_post_without_the_csrf_token_is_refused(studio: RunningStudio, route: Route) -> None:
    client, token = session(studio)
    before = studio.file(ISSUE, "sl").read_bytes()
    missing = client.post(_example_path(route), data={"op": "add", "list": "sections", "path": "title", "language": "de", "number": "3", "month": "2026-10"})
    assert missing.status_code == 403, (route.path, missing.status_code)
    wrong = client.post(_example_path(route), data={"csrf": token[:-2] + "xx", "language": "de"})
    assert wrong.status_code == 403
    other = studio.client().post(_example_path(route), data={"csrf": token})  # another browser with a stolen token: no session
    assert other.status_code == 403
    assert studio.file(ISSUE, "sl").read_bytes() == before
    assert not (studio.newsletters / ISSUE / "de.yaml").exists()


def test_a_post_from_another_site_is_refused_even_with_the_token(studio: RunningStudio) -> None:
    client, token = session(studio)
    response = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Origin": "https://attacker.example"})
    assert response.status_code == 403
    response = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


def test_a_change_is_previewed_before_it_is_saved_and_saving_writes_only_its_line(studio: RunningStudio) -> None:
    client, token = session(studio)
    client.get(f"/issues/{ISSUE}/sl")
    file = studio.file(ISSUE, "sl")
    before = file.read_text(encoding="utf-8")
    assert post_field(client, token, "sections.1.heading", "Uvodni sestanek v Murcii").json()["dirty"] == ["sl"]
    assert "Uvodni sestanek v Murcii" in client.get(f"/issues/{ISSUE}/sl/preview").text  # the preview waits for the change
    assert file.read_text(encoding="utf-8") == before  # not saved yet
    saved = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    answer = saved.json()
    assert (answer["saved"], answer["dirty"], answer["stamp"]) == (True, [], read_stamp(studio.file(ISSUE, "sl")))
    after = file.read_text(encoding="utf-8")
    assert after == before.replace("heading: LeadEx uvodni sestanek - Murcia", "heading: Uvodni sestanek v Murcii")


def test_a_file_changed_on_disk_is_never_overwritten(studio: RunningStudio) -> None:
    client, token = session(studio)
    client.get(f"/issues/{ISSUE}/sl")
    post_field(client, token, "subject", "Moja zadeva")
    file = studio.file(ISSUE, "sl")
    theirs = file.read_text(encoding="utf-8").replace("title: LeadEx novice št. 1", "title: Kolegova sprememba", 1)
    file.write_text(theirs, encoding="utf-8")
    refused = client.post(f"/issues/{ISSUE}/sl/save", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert refused.status_code == 409
    assert refused.json()["conflict"] is True and "changed by another program or person" in refused.json()["error"]
    assert file.read_text(encoding="utf-8") == theirs
    client.post(f"/issues/{ISSUE}/sl/reload", headers={"X-CSRF-Token": token})  # the officer chooses to reload
    assert "Kolegova sprememba" in client.get(f"/issues/{ISSUE}/sl").text


def test_a_rich_text_document_is_saved_as_markdown(studio: RunningStudio) -> None:
    client, token = session(studio)
    client.get(f"/issues/{ISSUE}/sl")
    document = {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Nov "}, {"type": "text", "text": "poudarek", "marks": [{"type": "strong"}]}]}]}
    answer = client.post(f"/issues/{ISSUE}/sl/field", json={"path": "sections.5.body", "doc": document}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert client.get(f"/issues/{ISSUE}/sl/markdown", params={"path": "sections.5.body"}).json()["value"] == "Nov **poudarek**"
    image = {"type": "doc", "content": [{"type": "image", "attrs": {"src": "https://x"}}]}
    assert client.post(f"/issues/{ISSUE}/sl/field", json={"path": "sections.5.body", "doc": image}, headers={"X-CSRF-Token": token}).status_code == 400


def test_fields_the_format_does_not_have_are_refused(studio: RunningStudio) -> None:
    client, token = session(studio)
    assert post_field(client, token, "sections.1.nonsense", "x").status_code == 400
    assert post_field(client, token, "sections", "x").status_code == 400
    assert post_field(client, token, "sections.0.type", "story").status_code == 400


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_served_beyond_loopback_without_accounts_it_refuses_to_start(tmp_path: Path, host: str) -> None:
    settings = studio_settings(tmp_path)
    with pytest.raises(StudioRefused) as refused:
        make_server(settings, host=host, port=0)
    assert "needs accounts" in refused.value.message and "users add" in (refused.value.hint or "")


def test_the_command_says_why_it_refuses_and_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADEX_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("LEADEX_NEWSLETTERS_DIR", str(tmp_path / "newsletters"))
    result = CliRunner().invoke(main, ["studio", "--host", "0.0.0.0", "--no-open"])
    assert result.exit_code == 2
    assert "needs accounts" in result.output and "leadex-mail users add" in result.output
    assert "Traceback" not in result.output


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1") and not is_loopback("studio.example.org")
