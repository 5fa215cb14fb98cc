"""The studio's figures of a list are the send's (a14 finding 1).

After reject1@example.org bounced, Subscribers → Lists said "Subscribed 8" and
Test and send offered "(news, 8 subscribed)", while the review said 7
messages. Every face now says the people a send mails (``lists.list_infos``),
and the lists table says apart who is on the list and not sent to, and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadex_mail.store.lists import create_list, get_list
from leadex_mail.store.subscribers import add_subscriber, mark_bounced, mark_complained, unsubscribe
from studio.studio_helpers import ISSUE, RunningStudio, assert_accessible, copy_newsletters, serve_studio_on_store, studio_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def mixed_studio(tmp_path: Path, smtp_server) -> Iterator[RunningStudio]:
    """``news``: three readers a send mails; one bounced, one complained (still subscribed); two unsubscribed."""
    copy_newsletters(tmp_path, ISSUE)

    def mixed(store) -> None:  # noqa: ANN001
        create_list(store, "news", title="LeadEx novice", public=True)
        ids = [add_subscriber(store, f"reader{i}@example.org", language="sl", lists=("news",), source="cli").id for i in range(7)]
        mark_bounced(store, ids[0], reply="550 5.1.1 <reader0@example.org>: Recipient address rejected: User unknown")
        mark_complained(store, ids[1])
        unsubscribe(store, ids[2], source="web")
        unsubscribe(store, ids[3], source="web", list_id=get_list(store, "news").id)

    with serve_studio_on_store(studio_settings(tmp_path, smtp_server.port), smtp_server, root=tmp_path, prepare=mixed) as running:
        yield running


def test_the_lists_table_the_picker_and_the_review_say_the_same_count(mixed_studio: RunningStudio, studio_page: Page) -> None:
    studio, page = mixed_studio, studio_page
    page.goto(studio.url + "/subscribers")
    row = page.locator("#lists tbody tr")
    expect(row.locator("td").nth(1)).to_have_text("3")  # was 5: the bounced and the complained counted as subscribed
    expect(page.locator("#lists thead")).to_contain_text("Recipients of a send")
    expect(row.locator("td")).to_have_text(["public (sign-up form, archive)", "3", "2 (bounced 1, complained 1)", "2"])
    assert_accessible(page)

    page.goto(f"{studio.url}/issues/{ISSUE}/send")
    expect(page.get_by_label("List", exact=True).locator("option[value=news]")).to_have_text("LeadEx novice (news, recipients: 3)")
    page.get_by_label("List", exact=True).select_option("news")
    page.get_by_role("button", name="Review the send").click()
    expect(page.locator("#plan-total")).to_have_text("3")
