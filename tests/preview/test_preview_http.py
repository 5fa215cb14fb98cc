"""The preview app over real HTTP (uvicorn on loopback, httpx as the client)."""

from __future__ import annotations

import re

import httpx

from tests.preview.conftest import SLUG


def _events(client: httpx.Client, count: int) -> list[str]:
    """The data of the first ``count`` reload events of a fresh event stream."""
    found: list[str] = []
    with client.stream("GET", "/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                found.append(line.removeprefix("data: "))
                if len(found) == count:
                    break
    return found


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

        assert _events(client, 1) == ["1"]
        issue_copy.edit("sl", "subject:", "subject: Sprememba -")
        # The stream sends the current version on connect: after the rebuild it is 2.
        with client.stream("GET", "/events") as response:
            versions = (line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: "))
            assert next(v for v in versions if v != "1") == "2"
        assert "Sprememba -" in client.get("/").text


def test_broken_content_answers_409_for_the_frames(live_preview, issue_copy):
    issue_copy.edit("sl", "sections:", "sections: [")
    with httpx.Client(base_url=live_preview.url, timeout=20) as client:
        with client.stream("GET", "/events") as response:
            versions = (line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: "))
            assert next(v for v in versions if v != "1") == "2"
        page = client.get("/")
        assert 'id="problems"' in page.text and "sl.yaml:" in page.text
        assert client.get("/email/sl").status_code == 409
