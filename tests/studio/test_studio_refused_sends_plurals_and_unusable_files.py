"""Issue 13 tester's findings (fix A): no forced send from the studio, test sends over the limit, plurals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.store.accounts import audit_log
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from leadex_mail.studio.i18n import words
from studio.studio_helpers import ISSUE, RunningStudio, copy_newsletters, serve_studio, serve_studio_on_store, studio_settings


@pytest.fixture
def broken_issue_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:
    """Issue No. 1 with a placeholder '#' link in sl.yaml (an error of the check), one reader on the list."""
    copy_newsletters(tmp_path, ISSUE)
    file = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    file.write_text(file.read_text(encoding="utf-8").replace("url: https://www.interregeurope.eu/leadex", 'url: "#"', 1), encoding="utf-8")

    def one_reader(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", title="LeadEx novice", public=True)
        add_subscriber(store, "reader@example.org", language="sl", lists=("newsletter",), source="cli")

    with serve_studio_on_store(studio_settings(tmp_path, smtp_server.port), smtp_server, root=tmp_path, prepare=one_reader) as running:
        yield running


def _client(studio: RunningStudio):  # noqa: ANN202
    client = studio.client()
    client.headers["accept-language"] = "en"
    token = client.get("/").text.split('data-csrf="', 1)[1].split('"', 1)[0]
    return client, token


def test_an_issue_with_errors_is_never_sent_or_scheduled_from_the_studio(broken_issue_studio: RunningStudio) -> None:
    studio = broken_issue_studio
    client, token = _client(studio)
    review = client.get(f"/issues/{ISSUE}/send/review", params={"list": "newsletter", "force": "1"})
    assert review.status_code == 200
    assert "Send anyway" not in review.text and 'name="force"' not in review.text and "send-now" not in review.text
    assert "The check found 1 error." in review.text and f'href="/issues/{ISSUE}/sl#f-sections-1-more-url"' in review.text
    for route, extra in (("start", {}), ("schedule", {"at": "2099-09-10T14:00"})):
        refused = client.post(f"/issues/{ISSUE}/send/{route}", data={"csrf": token, "list": "newsletter", "force": "1", **extra})
        assert refused.status_code == 409, (route, refused.status_code)
        assert "The check found 1 error." in refused.text and "This link has no real address yet." in refused.text
    assert not any(e.action in ("send", "send_schedule") for e in audit_log(studio.store))
    assert not any("reader@example.org" in m.rcpt_tos for m in studio.smtp.messages)


def test_a_test_send_to_more_addresses_than_the_limit_is_refused_at_the_field(broken_issue_studio: RunningStudio) -> None:
    studio = broken_issue_studio
    client, token = _client(studio)
    typed = "\n".join(f"t{i}@example.org" for i in range(300))
    refused = client.post(f"/issues/{ISSUE}/send/test", data={"csrf": token, "to": typed, "language": "sl"})
    assert refused.status_code == 400
    assert 'id="test-to-error"' in refused.text and "at most 20 addresses; you gave 300" in refused.text
    assert not studio.smtp.messages and not any(e.action == "send_test" for e in audit_log(studio.store))


@pytest.mark.parametrize(
    ("language", "n", "text"),
    [
        ("en", 1, "Send 1 message now"), ("en", 2, "Send 2 messages now"),
        ("sl", 1, "Pošlji 1 sporočilo zdaj"), ("sl", 2, "Pošlji 2 sporočili zdaj"), ("sl", 3, "Pošlji 3 sporočila zdaj"),
        ("sl", 5, "Pošlji 5 sporočil zdaj"), ("sl", 101, "Pošlji 101 sporočilo zdaj"), ("sl", 102, "Pošlji 102 sporočili zdaj"),
    ],
)
def test_counts_take_the_plural_form_of_their_language(language: str, n: int, text: str) -> None:
    assert words(language).t("send_now", n=n) == text


def test_every_plural_table_has_an_other_form_and_one_count_reads_singular() -> None:
    en = words("en")
    assert en.t("review_refused", n=1).startswith("The check found 1 error.")
    assert en.t("plan_recipients", n=1) == "1 recipient"
    assert en.forms("check_errors") == {"one": "1 error", "other": "{n} errors"}
    for language in ("en", "sl"):
        for key in ("send_now", "review_refused", "check_errors", "check_warnings"):
            assert "other" in words(language).forms(key)


@pytest.mark.parametrize(
    ("sections", "where"),
    [
        ("sections: 42\n", "sections: a list is expected"),
        ("sections: [[]]\n", "sections.0: a section"),
        ("sections: [{type: story, image: 5}]\n", "sections.0.image: a group of fields is expected"),
        ("sections: [{type: events, items: 5}]\n", "sections.0.items: a list is expected"),
        ("sections: [{type: story, more: x}]\n", "sections.0.more: a group of fields is expected"),
        ("sections:\n  - 42\n", "sections.0: a section"),
    ],
)
def test_a_hand_written_file_of_a_shape_the_form_cannot_show_gets_the_unusable_page(tmp_path: Path, sections: str, where: str) -> None:
    copy_newsletters(tmp_path, ISSUE)
    file = tmp_path / "newsletters" / ISSUE / "sl.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text[: text.index("\nsections:") + 1] + sections, encoding="utf-8")
    with serve_studio(studio_settings(tmp_path), root=tmp_path) as studio:
        client = studio.client()
        client.headers["accept-language"] = "en"
        for url in (f"/issues/{ISSUE}/sl", f"/issues/{ISSUE}/side-by-side"):  # the form, and sl.yaml as the original beside en
            shown = client.get(url)
            assert shown.status_code == 409, (url, shown.status_code, shown.text[:300])
            assert "cannot be edited in the form" in shown.text and where in shown.text


def test_a_send_that_stopped_without_finishing_offers_to_resume_and_retry_does_not_contradict_it(tmp_path: Path, smtp_server) -> None:
    """The studio was killed during a send: the campaign is still "running" in the store, no send of the studio runs it."""
    from leadex_mail.campaign.runner import send_campaign
    from leadex_mail.content.loader import load_issue
    from leadex_mail.store.campaigns import find_campaign, state_counts

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def three_readers(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", title="LeadEx novice", public=True)
        for i in range(3):
            add_subscriber(store, f"reader{i}@example.org", language="sl", lists=("newsletter",), source="cli")
        send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter", limit=1)  # stops after one, as a kill would

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=three_readers) as studio:
        campaign = find_campaign(studio.store, ISSUE, "newsletter")
        assert campaign.status == "running" and state_counts(studio.store, campaign.id).get("sent") == 1
        client, token = _client(studio)
        page = client.get(f"/issues/{ISSUE}/send")
        assert "To newsletter: stopped without finishing" in page.text and "This send stopped without finishing" in page.text
        assert "Resume the send" in page.text and "Try the temporary failures again" not in page.text
        retried = client.post(f"/issues/{ISSUE}/send/retry", data={"csrf": token, "list": "newsletter"})
        assert retried.status_code == 303 and "/send/jobs/" in retried.headers["location"], retried.text[:500]
        finished = False
        with client.stream("GET", retried.headers["location"] + "/events") as events:
            for line in events.iter_lines():
                if line.startswith("event: done"):
                    finished = True
                    break
        assert finished
        assert find_campaign(studio.store, ISSUE, "newsletter").status == "done"
        assert {r for m in studio.smtp.messages for r in m.rcpt_tos if r.startswith("reader")} == {f"reader{i}@example.org" for i in range(3)}
        assert "stopped without finishing" not in client.get(f"/issues/{ISSUE}/send").text
