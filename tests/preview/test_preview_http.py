"""The preview app over real HTTP (uvicorn on loopback, httpx as the client)."""

from __future__ import annotations

import re
import time

import httpx

GIVE_UP_SECONDS = 30


def _next_version(client: httpx.Client, after: int) -> int:
    """Wait on a fresh event stream for the first version newer than ``after``.

    The stream starts with the current version, so a rebuild that finished
    before it connected is seen too.
    """
    deadline = time.monotonic() + GIVE_UP_SECONDS  # keep-alives arrive, so the read never times out
    with client.stream("GET", "/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: ") and int(line.removeprefix("data: ")) > after:
                return int(line.removeprefix("data: "))
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"no version after {after} came: the save was not noticed")


def test_page_frames_images_and_events(live_preview, issue_copy):
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert re.search(r'<iframe id="desktop"[^>]*src="/email/sl\?v=1"', page.text)
        assert re.search(r'<iframe id="mobile"[^>]*src="/email/sl\?v=1"', page.text)
        assert '<a href="?lang=sl" hreflang="sl" aria-current="page">' in page.text
        assert 'aria-current="page">en<' not in page.text
        assert 'href="?lang=en" hreflang="en" aria-current="page"' in client.get("/", params={"lang": "en"}).text

        email = client.get("/email/sl")
        assert email.status_code == 200 and "<html" in email.text.lower()
        assert client.get("/email/xx").status_code == 404

        cid = re.search(r'src="/img/([^"]+)"', email.text).group(1)
        img = client.get(f"/img/{cid}")
        assert img.status_code == 200 and img.headers["content-type"].startswith("image/") and len(img.content) > 100
        assert client.get("/img/no-such-image").status_code == 404

        assert _next_version(client, 0) == 1
        assert "characters long" not in page.text
        line = issue_copy.line_of("sl", "subject:")
        long_subject = "Sprememba - " + "zelo " * 15
        issue_copy.edit("sl", "subject:", f"subject: {long_subject}")
        assert _next_version(client, 1) == 2
        page = client.get("/")
        assert "Sprememba -" in page.text
        # The check results follow the save too: the subject is now too long, and where it is says so.
        assert re.search(rf"<code>[^<]*sl\.yaml:{line}:\d+</code> warning: the subject is \d+ characters long", page.text)


def test_a_broken_save_keeps_the_last_good_frames_under_the_problems(live_preview, issue_copy):
    good = httpx.get(live_preview.url + "/email/sl", timeout=20).text
    issue_copy.edit("sl", "sections:", "sections: [")
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        assert _next_version(client, 1) == 2
        page = client.get("/")
        assert 'id="problems"' in page.text and "sl.yaml:" in page.text
        assert "showing the last version that worked" in page.text
        frame = client.get("/email/sl")
        assert frame.status_code == 200 and frame.text == good


def test_content_broken_from_the_start_answers_409_for_the_frames(issue_copy):
    from leadex_mail.preview.server import make_server

    issue_copy.edit("sl", "sections:", "sections: [")
    server = make_server(issue_copy.slug, issue_copy.settings, port=0, watch=False)
    thread = server.start_in_thread()
    try:
        page = httpx.get(server.url + "/", timeout=20)
        assert 'id="problems"' in page.text and "The issue cannot be shown" in page.text
        assert httpx.get(server.url + "/email/sl", timeout=20).status_code == 409
    finally:
        server.should_exit = True
        thread.join(15)


def _html_page(response: httpx.Response, status: int, *said: str) -> None:
    """A page a browser shows (the preview's own, with what to do and the way back), never plain text."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!doctype html>") and '<a href="/">Back to the preview page</a>' in response.text
    assert 'id="todo"' in response.text
    for words in said:
        assert words in response.text, f"{words!r} not on the {status} page"


def test_addresses_with_nothing_to_show_answer_a_page_that_says_what_to_do(live_preview):
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        _html_page(client.get("/email/xx"), 404, "No such edition", "has no &#39;xx&#39; edition (it has: sl, en)")
        _html_page(client.get("/img/no-such-image"), 404, "No such picture", "Reload the preview page")
        _html_page(client.get("/no/such/page"), 404, "No such page", "/no/such/page")
        _html_page(client.post("/email/sl"), 405, "takes no forms")


def test_an_issue_broken_from_the_start_answers_a_409_page_for_the_frames(issue_copy):
    from leadex_mail.preview.server import make_server

    issue_copy.edit("sl", "sections:", "sections: [")
    server = make_server(issue_copy.slug, issue_copy.settings, port=0, watch=False)
    thread = server.start_in_thread()
    try:
        _html_page(httpx.get(server.url + "/email/sl", timeout=20), 409, "The issue cannot be shown", "the issue has errors", "file and line")
    finally:
        server.should_exit = True
        thread.join(15)


def test_a_brand_file_save_reloads_too(live_preview, issue_copy):
    brand = issue_copy.settings.newsletters_dir / "brand.yaml"
    issue_copy.edit_file(brand, 'contact_address: "', 'contact_address: "Nova ulica 1 · ', atomic=True)
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        assert _next_version(client, 1) == 2
        assert "Nova ulica 1 · " in client.get("/email/en").text


def test_only_loopback_host_names_are_answered(live_preview):
    # A page elsewhere whose DNS name is rebound to 127.0.0.1 sends its own Host header.
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        assert client.get("/", headers={"Host": "attacker.example.com"}).status_code == 400
        assert client.get("/email/sl", headers={"Host": "attacker.example.com"}).status_code == 400
        assert client.get("/", headers={"Host": "localhost"}).status_code == 200




def test_a_save_the_loader_crashed_on_shows_its_error_over_the_last_good_version(live_preview, issue_copy):
    # a9 finding 2: a YAML tag raised TypeError in the rebuild; the page kept "No problems found".
    # A second bad save must replace the first one's error, never leave it on show.
    path = issue_copy.folder / "sl.yaml"
    path.write_text('language: sl\ntitle: !!python/object/apply:os.system ["true"]\nsections: []\n', encoding="utf-8")
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        assert _next_version(client, 1) == 2
        page = client.get("/").text
        assert "showing the last version that worked" in page and "No problems found" not in page
        assert re.search(r"sl\.yaml:2:8</code> error: YAML tags are not allowed in issue files", page), page
        path.write_text("language: sl\ntitle: x\n<<: {subject: s}\nsections: []\n", encoding="utf-8")
        assert _next_version(client, 2) == 3
        page = client.get("/").text
        assert "YAML merge keys (&lt;&lt;) are not allowed" in page and "YAML tags" not in page
