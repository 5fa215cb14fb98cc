"""Links of a send-test message and of render's preview .eml open a page that says so (issue 9 item 3).

A test message carries the links a subscriber would get, but for nobody
(subscriber id 0). Before, its "unsubscribe" answered "you are unsubscribed",
its preferences and view links "not valid" or 404, and the preview file's
links "not valid". Now each says what it was and changes nothing.
"""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlmodel import select

from leadex_mail.delivery.testsend import send_test
from leadex_mail.store.models import Event
from web.web_helpers import LINK_RE


def _test_links(site) -> dict[str, str]:
    results = send_test(site.settings, "2026-04-leadex-01", ["tester@example.org"], "sl")
    assert results[0].ok, results
    (received,) = site.mails_to("tester@example.org")
    body = received.message().get_body(("plain",)).get_content()
    found = {m.group(1): m.group(0) for m in LINK_RE.finditer(body)}
    assert set(found) == {"unsubscribe", "preferences", "view"}, body
    return found


def test_every_link_of_a_test_message_says_it_was_a_test(site):
    links = _test_links(site)
    with site.client(headers={"accept-language": "en"}) as client:
        for kind, url in links.items():
            page = client.get(url)
            assert page.status_code == 200, (kind, page.status_code)
            assert "This was a test message" in page.text and "nothing was changed" in page.text, kind
        assert "To je bilo testno sporočilo" in client.get(links["view"], headers={"accept-language": "sl"}).text
        button = client.post(links["unsubscribe"], data={})
        assert button.status_code == 200 and "This was a test message" in button.text
        one_click = client.post(links["unsubscribe"], data={"List-Unsubscribe": "One-Click"})
        assert (one_click.status_code, one_click.text) == (200, "test message: nothing to unsubscribe\n")
    with site.store.session() as session:
        assert list(session.exec(select(Event))) == []  # nothing was recorded for anybody


def test_the_links_of_renders_preview_message_say_it_was_a_preview(site):
    from leadex_mail.content.loader import load_issue
    from leadex_mail.delivery.message import build_preview
    from leadex_mail.render import render_edition

    issue = load_issue("2026-04-leadex-01", site.settings)
    eml = message_from_bytes(build_preview(render_edition(issue, "en", site.settings), site.settings, issue.brand), policy=policy.default)
    text = eml.get_body(("plain",)).get_content()
    with site.client(headers={"accept-language": "en"}) as client:
        for kind in ("unsubscribe", "preferences"):
            url = f"{site.url}/{kind}/preview"
            assert url in text
            page = client.get(url)
            assert page.status_code == 200 and "This is a preview" in page.text, kind
        assert client.post(f"{site.url}/unsubscribe/preview", data={"List-Unsubscribe": "One-Click"}).text == "preview message: nothing to unsubscribe\n"
