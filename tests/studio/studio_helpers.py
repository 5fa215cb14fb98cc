"""Helpers of the studio tests: the studio served for real, its files, waiting on its events.

Imported as ``studio.studio_helpers`` (``tests/studio`` is a package).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from leadex_mail.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2026-04-leadex-01"
WCAG = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}
PHONE = 375  # px: the width of a phone held upright (WCAG 1.4.10 Reflow)
LIVE = 20_000  # ms: how long a test waits for a change to reach the page before failing (never a sleep)
EDITOR, SENDER = ("maja", "editor passphrase one"), ("tina", "sender passphrase two")  # the accounts of serve_accounts_studio
_AXE = Axe()


class Clock:
    """The studio's notion of now; moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 10, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RunningStudio:
    """A studio served by uvicorn on a free loopback port, over its own folder and store."""

    url: str
    settings: Settings
    root: Path
    server: Any
    clock: Clock
    store: Any = None
    smtp: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def newsletters(self) -> Path:
        return self.settings.newsletters_dir

    def file(self, slug: str, lang: str) -> Path:
        return self.newsletters / slug / f"{lang}.yaml"

    def client(self) -> httpx.Client:
        """An HTTP client with its own cookies that never follows redirects."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, verify=False)


def studio_settings(root: Path, smtp_port: int | None = None, **env: str) -> Settings:
    values = {
        "LEADEX_DATABASE_URL": f"sqlite:///{root / 'subscribers.db'}",
        "LEADEX_NEWSLETTERS_DIR": str(root / "newsletters"),
        "LEADEX_OUTBOX_DIR": str(root / "outbox"),
        "LEADEX_DEFAULT_LANGUAGE": "sl",
        "LEADEX_SEND_DEEP_CHECK": "false",  # as in every test (tests/conftest.py); one test turns it on
    }
    if smtp_port is not None:
        values.update(
            {
                "LEADEX_TRANSPORT": "smtp",
                "LEADEX_SMTP_HOST": "127.0.0.1",
                "LEADEX_SMTP_PORT": str(smtp_port),
                "LEADEX_SMTP_SECURITY": "none",
                "LEADEX_SECRET_KEY": "studio-test-secret-key-0123456789",
                "LEADEX_PUBLIC_URL": "https://news.example.org",
            }
        )
    values.update(env)
    return load_settings(environ=values)


def copy_newsletters(root: Path, *slugs: str) -> Path:
    """``root/newsletters`` with the brand and the named issues of the repository."""
    target = root / "newsletters"
    target.mkdir(parents=True, exist_ok=True)
    source = REPO / "newsletters"
    for name in ("brand.yaml", "schema.json", "brand.schema.json"):
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "brand-images", target / "brand-images")
    for slug in slugs:
        shutil.copytree(source / slug, target / slug)
    return target


@contextmanager
def serve_studio(settings: Settings, *, accounts: bool = False, store: Any = None, clock: Clock | None = None, root: Path) -> Iterator[RunningStudio]:
    """The studio app under uvicorn on 127.0.0.1 until the block ends."""
    from leadex_mail.studio.server import make_server

    clock = clock or Clock()
    server = make_server(settings, port=0, require_login=accounts, store=store, clock=clock)
    thread = server.start_in_thread()
    try:
        yield RunningStudio(server.url, settings, root, server, clock, store)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def serve_studio_on_store(settings: Settings, smtp_server: Any, *, root: Path, prepare: Any = None) -> Iterator[RunningStudio]:
    """``serve_studio`` over a store of its own (``prepare(store)`` fills it first) that mails through ``smtp_server``."""
    from leadex_mail.store.db import open_store

    store = open_store(settings)
    try:
        if prepare is not None:
            prepare(store)
        with serve_studio(settings, store=store, root=root) as running:
            running.smtp = smtp_server
            yield running
    finally:
        store.close()


@contextmanager
def serve_accounts_studio(root: Path, **env: str) -> Iterator[RunningStudio]:
    """``serve_studio`` with accounts over a store of its own under ``root`` (``env``: settings, e.g. ``LEADEX_DATABASE_URL``).

    The store holds ``EDITOR`` (an editor), ``SENDER`` (a sender) and the public list
    "newsletter" with one subscriber, reader@example.org; the folder holds ``ISSUE``.
    """
    from leadex_mail.store.accounts import add_user
    from leadex_mail.store.db import open_store
    from leadex_mail.store.lists import create_list
    from leadex_mail.store.subscribers import add_subscriber

    copy_newsletters(root, ISSUE)
    settings = studio_settings(root, **env)
    store = open_store(settings)
    try:
        add_user(store, EDITOR[0], "editor", EDITOR[1], actor="test")
        add_user(store, SENDER[0], "sender", SENDER[1], actor="test")
        create_list(store, "newsletter", public=True)
        add_subscriber(store, "reader@example.org", lists=("newsletter",), source="cli")
        with serve_studio(settings, accounts=True, store=store, root=root) as running:
            yield running
    finally:
        store.close()


def add_english_edition(root: Path, slug: str = ISSUE) -> Path:
    """An en edition of ``slug`` under ``root/newsletters`` beside its sl one: the same file but for its language; its path."""
    sl = root / "newsletters" / slug / "sl.yaml"
    en = sl.parent / "en.yaml"
    en.write_text(sl.read_text(encoding="utf-8").replace("language: sl", "language: en", 1), encoding="utf-8")
    return en


def add_readers(store: Any, count: int, *, address: str = "reader{i:02d}@example.org", list_name: str = "newsletter", language: str = "sl") -> None:
    """The public list ``list_name`` with ``count`` subscribers in ``language``, the i-th at ``address.format(i=i)`` (reader00@example.org …)."""
    from leadex_mail.store.lists import create_list
    from leadex_mail.store.subscribers import add_subscriber

    create_list(store, list_name, public=True)
    for i in range(count):
        add_subscriber(store, address.format(i=i), language=language, lists=(list_name,), source="cli")


@contextmanager
def watched_page(browser: Any, width: int, height: int) -> Iterator[Page]:
    """A browser page ``width`` x ``height`` px in its own context (own cookies, en-GB); fails the test on a script error in it."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


def csrf_token(client: httpx.Client, path: str = "/") -> str:
    """The CSRF token the studio page at ``path`` gives ``client`` (its ``data-csrf``)."""
    found = re.search(r'data-csrf="([^"]+)"', client.get(path).text)
    assert found is not None, f"{path} gives no CSRF token"
    return found.group(1)


def editor_headers(client: httpx.Client, lang: str, *, tab: str | None = None, slug: str = ISSUE) -> dict[str, str]:
    """The headers of the requests of the tab ``tab`` (default ``tab-<lang>``) open on the editor of ``slug``'s ``lang`` edition.

    As its script sends them: the CSRF token, which tab it is, the revision of the edition it has seen, JSON wanted.
    """
    text = client.get(f"/issues/{slug}/{lang}").text
    token = text.split('data-csrf="', 1)[1].split('"', 1)[0]
    seen = text.split('data-revision="', 1)[1].split('"', 1)[0]
    return {"X-CSRF-Token": token, "X-Studio-Page": tab or f"tab-{lang}", "X-Studio-Seen": seen, "hx-request": "true", "accept": "application/json"}


def editor_post(client: httpx.Client, lang: str, what: str, data: dict[str, str] | None = None, *, tab: str | None = None, slug: str = ISSUE) -> httpx.Response:
    """Post the form ``data`` to the editor's ``what`` (``items``, ``save``, ``reload``...) as the tab does; the answer (200 or 303)."""
    answer = client.post(f"/issues/{slug}/{lang}/{what}", data=data or {}, headers=editor_headers(client, lang, tab=tab, slug=slug))
    assert answer.status_code in (200, 303), answer.text
    return answer


def editor_set(client: httpx.Client, lang: str, path: str, value: str | None, *, tab: str | None = None, slug: str = ISSUE) -> None:
    """Set the field at ``path`` of the ``lang`` edition's draft to ``value``, as typing in the tab does (not saved)."""
    headers = {**editor_headers(client, lang, tab=tab, slug=slug), "content-type": "application/json"}
    answer = client.post(f"/issues/{slug}/{lang}/field", json={"path": path, "value": value}, headers=headers)
    assert answer.status_code == 200, answer.text


def edition_data(studio: RunningStudio, lang: str, slug: str = ISSUE) -> Any:
    """What the file of ``slug``'s ``lang`` edition holds now, read as YAML."""
    return yaml.safe_load(studio.file(slug, lang).read_text(encoding="utf-8"))


def preview_summaries(client: httpx.Client, lang: str = "sl", slug: str = ISSUE) -> Iterator[dict[str, Any]]:
    """The data of each ``preview`` event of the edition's event stream, as a page hears them, while the caller reads on.

    The stream is open from the first summary (sent when it opens) until the caller stops reading.
    """
    with client.stream("GET", f"/issues/{slug}/events", params={"lang": lang}) as events:
        kind = ""
        for line in events.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "preview":
                yield json.loads(line.removeprefix("data: "))


def paste_over(page: Page, path: str, html: str, plain: str = "the plain text is not used when there is HTML") -> None:
    """Select the whole text of the rich-text field at ``path`` and paste ``html`` over it, as Ctrl+V with that clipboard does.

    ``plain``: the clipboard's text/plain beside the HTML.
    """
    editor = rich_editor(page, path)
    editor.click()
    page.keyboard.press("Control+a")
    editor.evaluate(
        """(el, [html, plain]) => {
            const data = new DataTransfer();
            data.setData('text/html', html);
            data.setData('text/plain', plain);
            el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        }""",
        [html, plain],
    )
def assert_accessible(page: Page) -> None:
    """No axe-core WCAG 2.0/2.1 A or AA violation on the page (the email frames included)."""
    results = _AXE.run(page)
    bad = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"] if WCAG & set(v["tags"])]
    assert not bad, f"{page.url}: {bad}"


def wait_preview(page: Page, *, after: int = 0) -> int:
    """Wait until the page shows a preview newer than version ``after``; its version."""
    page.wait_for_function(f"() => Number(document.getElementById('main').dataset.previewVersion || 0) > {after}", timeout=LIVE)
    return int(page.locator("#main").get_attribute("data-preview-version") or 0)


def editor_field(page: Page, path: str):
    """The control of the field at ``path`` (``sections.1.heading``)."""
    return page.locator(f'[data-path="{path}"]:not(.source)')


def rich_editor(page: Page, path: str):
    """The rich-text editor of the Markdown field at ``path``."""
    return page.locator(f'.richtext[data-path="{path}"] .rt-editor')


def selected(page: Page, path: str, words: str) -> None:
    """Wait until the rich-text editor of ``path`` has ``words`` selected in its own state (not only the browser's)."""
    page.wait_for_function(
        """([path, words]) => {
            const state = document.querySelector(`.richtext[data-path="${path}"]`).richView.state;
            return state.doc.textBetween(state.selection.from, state.selection.to) === words;
        }""",
        arg=[path, words],
        timeout=LIVE,
    )


def make_link(page: Page, box: Locator, words: str, href: str, *, shown: str | None = None) -> None:
    """Make the field ``box`` read "Glej ``words``" with ``words`` a link to ``href``, as a person does; wait for the preview to show it.

    Types the text, selects ``words`` with Shift+Left, presses Ctrl+K (a new link: its
    address field opens focused and empty, with no "Remove the link"), types ``href``, Enter.
    ``shown``: the address as the browser writes it in the preview (default ``href``).
    """
    preview = page.frame_locator("#panel-desktop iframe")
    box.locator(".rt-editor").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(f"Glej {words}")
    expect(preview.locator("body")).to_contain_text(f"Glej {words}", timeout=LIVE)  # the editor is idle
    for _ in words:
        page.keyboard.press("Shift+ArrowLeft")
    selected(page, str(box.get_attribute("data-path")), words)
    page.keyboard.press("Control+k")  # a new link on the selected words
    address = box.get_by_label("Link address")
    expect(address).to_be_focused()
    expect(address).to_have_value("")
    expect(box.get_by_role("button", name="Remove the link")).to_be_hidden()
    address.fill(href)
    page.keyboard.press("Enter")
    expect(preview.locator(f'a[href="{shown or href}"]')).to_have_text(words, timeout=LIVE)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def reviewed(client: Any, list_name: str = "newsletter", slug: str = ISSUE) -> dict[str, str]:
    """What the review of sending ``slug`` to ``list_name`` confirms (its form's hidden fields), as its "Send now" posts it.

    The send refuses a confirmation of anything else than what would be sent (views_send.start, a13d minor 7).
    """
    import re

    page = client.get(f"/issues/{slug}/send/review?list={list_name}")
    return dict(re.findall(r'<input type="hidden" name="(reviewed_version|reviewed_counts)" value="([^"]*)">', page.text))


class Replies:
    """An aiosmtpd handler that answers each address of ``replies`` with its reply (e.g. 550: no such user), accepts the rest."""

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802 (aiosmtpd's hook)
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.accepted.extend(envelope.rcpt_tos)
        return "250 2.0.0 OK: queued"


def english_client(studio: RunningStudio) -> tuple[httpx.Client, str]:
    """(a client of ``studio`` asking for English pages, the CSRF token of its session: ``csrf_token``)."""
    client = studio.client()
    client.headers["accept-language"] = "en"
    return client, csrf_token(client)


def serve_with_readers(tmp_path: Path, handler: Any, readers: int, **env: str) -> tuple[Any, Settings, Any]:
    """(the SMTP server of ``handler``, started; the settings; the studio to serve, ``with`` it) over a store whose list
    "newsletter" has ``readers`` people (``add_readers``). Stop the SMTP server after (``controller.stop()``)."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, port, **env)
    return controller, settings, serve_studio_on_store(settings, handler, root=tmp_path, prepare=lambda store: add_readers(store, readers))


@contextmanager
def served_again(settings: Settings, port: int, store: Any, *, accounts: bool = False) -> Iterator[Any]:
    """The studio started again on ``port`` over ``store`` (a restart a page lived through) until the block ends."""
    from leadex_mail.studio.server import make_server

    server = make_server(settings, port=port, require_login=accounts, store=store)
    thread = server.start_in_thread()
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve_with_replies(tmp_path: Path, replies: dict[str, str], readers: int, **env: str) -> tuple[Any, Replies, Settings, Any]:
    """``serve_with_readers`` mailing through a ``Replies(replies)`` server: (controller, handler, settings, studio to serve)."""
    handler = Replies(replies)
    controller, settings, served = serve_with_readers(tmp_path, handler, readers, **env)
    return controller, handler, settings, served
