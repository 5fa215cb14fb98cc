"""Every studio page fits a 375 px phone when the store holds what real use puts there (s8: the Reports page scrolled sideways).

The tester's Reports page with campaigns scrolled sideways at 375 px although its table scrolls in its own
region; the empty Reports page fitted. Here the store holds several campaigns of one issue to lists with long
unbroken names, some ending with failures whose long addresses and long server replies are shown, long
subscriber addresses and audit entries naming them. Each page's document must not be wider than the phone
(``scrollWidth <= clientWidth``); tables may scroll only inside their named region (test_studio_reflow_phone).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from leadex_mail.campaign.runner import send_campaign
from leadex_mail.content.loader import load_issue
from leadex_mail.store.accounts import record
from leadex_mail.store.db import open_store
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import add_subscriber
from studio.studio_helpers import ISSUE, LIVE, PHONE, RunningStudio, add_english_edition, copy_newsletters, serve_studio, studio_settings

pytestmark = pytest.mark.browser

LONG = "partnerska-organizacija.kontaktna-oseba-za-obvescanje@oddelek-za-komuniciranje.univerza.example.org"
LISTS = (
    "regionalni-partnerji-jadranske-regije-in-zahodnega-balkana-ter-podonavja",
    "delezniki_projekta_leadex_iz_vseh_partnerskih_drzav_in_njihovih_regij",
    "newsletter",
)


class RejectSome:
    """An SMTP server that refuses every address with "reject" in it (550 5.1.1, with a long reply) and takes the rest."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802 (aiosmtpd's hook)
        if "reject" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table of the receiving organisation"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        return "250 2.0.0 OK: queued"


@pytest.fixture
def busy_studio(tmp_path: Path, start_smtp) -> Iterator[RunningStudio]:
    """The studio over issue No. 1 (sl, en) sent to three lists, two with failures, long names everywhere."""
    port = start_smtp(RejectSome())
    copy_newsletters(tmp_path, ISSUE)
    add_english_edition(tmp_path)
    settings = studio_settings(tmp_path, port)
    store = open_store(settings)
    try:
        for i, name in enumerate(LISTS):
            create_list(store, name, title=name.replace("-", " ").replace("_", " "), public=True)
            first = add_subscriber(store, f"{i}.{LONG}", name="Ana Dolgoimenska-Predolgopriimkovićeva", language="sl", lists=(name,), source="cli")
            add_subscriber(store, f"reader{i}@example.org", language="en", lists=(name,), source="cli")
            if i < 2:
                add_subscriber(store, f"reject{i}.{LONG}", language="sl", lists=(name,), source="cli")
            # The last list's send stops after one message, as a Ctrl-C leaves it: "Resume the send" links on Issues and Reports.
            send_campaign(store, load_issue(ISSUE, settings), settings, list_name=name, limit=1 if name == LISTS[-1] else None)
            record(store, "studio", "subscriber_add", f"subscriber {first.id}", subscriber_id=first.id, detail={"lists": list(LISTS), "language": "sl"})
        with serve_studio(settings, store=store, root=tmp_path) as running:
            running.extra["person"] = first.id
            yield running
    finally:
        store.close()


def _widths(page: Page) -> dict:
    """The document's widths, and the outermost elements that stick out to its right outside a scroll region."""
    return page.evaluate(
        """() => {
          const d = document.documentElement, out = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.right > d.clientWidth + 0.5 && !e.closest('[data-scroll-region]')) out.push(`${e.tagName}.${e.className} ${Math.round(r.right)}`);
          }
          return {scroll: d.scrollWidth, client: d.clientWidth, out: out.slice(0, 6)};
        }"""
    )


PAGES = [
    ("/reports", "Reports"),
    ("/", "Issues"),
    (f"/issues/{ISSUE}/send", "Test and send"),
    (f"/issues/{ISSUE}/sl", "the editor (sl)"),
    (f"/issues/{ISSUE}/en", "the editor (en)"),
    (f"/issues/{ISSUE}/side-by-side?lang=en", "side by side"),
    ("/subscribers", "Subscribers"),
    ("/audit", "Audit log"),
]
UI = ("en", "sl")  # the Slovenian words are longer: what sits at a wide table's right edge moves further out


@pytest.mark.parametrize("ui", UI)
@pytest.mark.parametrize(("path", "what"), PAGES, ids=[w for _, w in PAGES])
def test_a_page_with_several_campaigns_and_long_names_fits_a_phone(busy_studio: RunningStudio, phone_frame: Page, path: str, what: str, ui: str) -> None:
    response = phone_frame.goto(busy_studio.url + path + ("&" if "?" in path else "?") + f"ui={ui}")
    phone_frame.wait_for_load_state("load", timeout=LIVE)
    assert response is not None and response.status == 200
    widths = _widths(phone_frame)
    assert widths["client"] <= PHONE
    assert widths["scroll"] <= widths["client"], f"{what} scrolls sideways at {PHONE} px: {widths}"


def test_a_person_on_every_list_fits_a_phone(busy_studio: RunningStudio, phone_frame: Page) -> None:
    phone_frame.goto(busy_studio.url + f"/subscribers/{busy_studio.extra['person']}?ui=sl")
    phone_frame.wait_for_load_state("load", timeout=LIVE)
    widths = _widths(phone_frame)
    assert widths["scroll"] <= widths["client"], f"a person scrolls sideways at {PHONE} px: {widths}"
