"""Private lists stay private: never offered on the sign-up form, never joined from the web, never in the archive.

Over real HTTP against the running app (``site``), with campaigns sent by the
real engine through SMTP on loopback, and `archive build` through the CLI.
"""

from __future__ import annotations

import re

from click.testing import CliRunner

from leadex_mail import links
from leadex_mail.cli import main
from leadex_mail.content.loader import load_issue
from leadex_mail.campaign.runner import send_campaign
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber, get_subscriber, subscriber_lists
from web.web_helpers import SECRET, csrf_from, http, link_in, sign_up

ISSUE = "2026-04-leadex-01"
CHECKBOX = re.compile(r'name="lists" type="checkbox" value="([^"]+)"')


def test_the_sign_up_form_offers_only_public_lists(site) -> None:
    create_list(site.store, "partners", title="Partnerji (interno)")  # private: the default
    create_list(site.store, "events", title="Dogodki", public=True)
    with site.client() as client:
        form = client.get("/subscribe")
        assert CHECKBOX.findall(form.text) == ["events", "newsletter"]
        assert "Partnerji" not in form.text
        # A hand-made request naming the private list does not put anyone on it.
        sign_up(client, "curious@example.org", lists=["newsletter", "partners"])
    url = link_in(site.mails_to("curious@example.org")[0], "confirm")
    with site.client() as browser:
        browser.post(url, data={"csrf": csrf_from(browser.get(url).text)})
    sub = get_subscriber(site.store, "curious@example.org")
    assert sub.status == "active" and subscriber_lists(site.store, int(sub.id)) == [("newsletter", "active")]


def test_preferences_show_a_private_list_only_to_its_members(site) -> None:
    create_list(site.store, "partners", title="Partnerji")
    member = add_subscriber(site.store, "partner@example.org", lists=("newsletter", "partners"), status="active", source="cli")
    other = add_subscriber(site.store, "reader@example.org", lists=("newsletter",), status="active", source="cli")
    with site.client() as browser:
        url = links.preferences_url(site.settings, int(other.id), nonce=other.link_nonce)
        page = browser.get(url)
        assert CHECKBOX.findall(page.text) == ["newsletter"]
        # Naming the private list in the form does not join it.
        browser.post(url, data={"csrf": csrf_from(page.text), "action": "save", "language": "sl", "lists": ["newsletter", "partners"]})
    assert subscriber_lists(site.store, int(other.id)) == [("newsletter", "active")]
    with site.client() as browser:
        url = links.preferences_url(site.settings, int(member.id), nonce=member.link_nonce)
        page = browser.get(url)
        assert CHECKBOX.findall(page.text) == ["newsletter", "partners"]  # a member may leave it
        browser.post(url, data={"csrf": csrf_from(page.text), "action": "save", "language": "sl", "lists": ["newsletter"]})
    assert subscriber_lists(site.store, int(member.id)) == [("newsletter", "active"), ("partners", "unsubscribed")]


def test_an_issue_sent_only_to_a_private_list_never_appears_publicly(site, tmp_path) -> None:
    create_list(site.store, "partners")
    add_subscriber(site.store, "partner@example.org", name="Petra Partner", language="en", lists=("partners",), status="active", source="cli")
    report = send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="partners")
    assert report.counts["sent"] == 1
    mail = site.mails_to("partner@example.org")[0]

    with http() as client:
        index = client.get(f"{site.url}/archive/")
        assert index.status_code == 200 and ISSUE not in index.text
        for lang in ("sl", "en"):
            assert client.get(f"{site.url}/archive/{ISSUE}/{lang}").status_code == 404
        # The recipient's "view in browser" link still works, with its pictures inside the page.
        view = client.get(link_in(mail, "view"))
        assert view.status_code == 200 and '<html lang="en"' in view.text and "Murcia" in view.text
        sources = re.findall(r'<img[^>]* src="([^"]+)"', view.text)
        assert sources and not [src for src in sources if src.startswith("/archive/") or "cid:" in src]
        assert any(src.startswith("data:image/") for src in sources)
        assert "Petra" not in view.text and "partner@example.org" not in view.text
        # No public address serves the pictures either.
        assert client.get(f"{site.url}/archive/{ISSUE}/en/images/anything.jpg").status_code == 404

    out = tmp_path / "static"
    built = CliRunner().invoke(main, ["archive", "build", str(out)], env=_env(site))
    assert built.exit_code == 0, built.output
    assert "wrote 1 pages" in built.output and not (out / ISSUE).exists()
    assert ISSUE not in (out / "index.html").read_text("utf-8")

    # Sent to the public list as well, it is public (and the static site has it).
    add_subscriber(site.store, "reader@example.org", lists=("newsletter",), status="active", source="cli")
    send_campaign(site.store, load_issue(ISSUE, site.settings), site.settings, list_name="newsletter")
    with http() as client:
        assert f'href="/archive/{ISSUE}/sl"' in client.get(f"{site.url}/archive/").text
        assert client.get(f"{site.url}/archive/{ISSUE}/sl").status_code == 200
    rebuilt = CliRunner().invoke(main, ["archive", "build", str(tmp_path / "static2")], env=_env(site))
    assert "wrote 3 pages" in rebuilt.output and (tmp_path / "static2" / ISSUE / "sl" / "index.html").is_file()


def _env(site) -> dict[str, str]:
    return {
        "LEADEX_DATABASE_URL": site.settings.database_url,
        "LEADEX_NEWSLETTERS_DIR": str(site.settings.newsletters_dir),
        "LEADEX_PUBLIC_URL": site.url,
        "LEADEX_SECRET_KEY": SECRET,
        "LEADEX_TRANSPORT": "outbox",
        "LEADEX_CONFIG": "",
    }
