"""Headless Chromium showing a message's HTML as a mail program would: in a frame of a given width.

Debian's ``chromium`` is driven through Playwright with ``executable_path``
(never a downloaded browser) and the flags below. Headless Chromium's window
is at least ~500 px wide, so a message is shown inside an ``<iframe>`` of
the width under test (375 px: a phone; 600 px: the message's own width), in
a host page on a made-up ``.invalid`` origin. The message's pictures are
answered from its own MIME parts (``cid:``) or from the local render
(``images_url``); every other request is refused, so a check never reaches
the network. Playwright runs in a thread of its own (see ``Browser``). Each view gets its own origin and so its own renderer process:
views of different editions and colour schemes work in parallel on two cores.

Raises ``DeepCheckUnavailable`` (a ``ConfigError``) when Playwright or
Chromium is missing, with what to install.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable, Mapping
import queue
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from leadex_mail.config import Settings
from leadex_mail.errors import DeepCheckUnavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser as PwBrowser
    from playwright.sync_api import Frame, Page, Playwright, Route

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
HOST_WIDTH = 640  # the host page: wide enough for the 600 px view
_REFERENCE = re.compile(r"""(?P<open>["'(])(?P<url>cid:[^"')\s>]+|https?://[^"')\s>]+)""")
_views = itertools.count(1)
T = TypeVar("T")


def chromium_path(settings: Settings) -> Path:
    """The Chromium to drive: ``chromium_path`` if set, else ``chromium`` on PATH, else Debian's /usr/bin/chromium."""
    if settings.chromium_path:
        return Path(settings.chromium_path)
    found = shutil.which("chromium")
    return Path(found) if found else Path("/usr/bin/chromium")


def ensure_available(settings: Settings) -> Path:
    """The Chromium executable, after checking that it and Playwright are installed (cheap: nothing starts).

    Raises ``DeepCheckUnavailable`` saying what to install.
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise DeepCheckUnavailable(
            "the browser checks need Playwright, which is not installed",
            hint="pip install 'leadex-mail[deep]' (and Debian's chromium: apt-get install chromium)",
        ) from None
    executable = chromium_path(settings)
    if not executable.exists():
        raise DeepCheckUnavailable(
            f"Chromium not found at {executable}",
            hint="apt-get install chromium, or set chromium_path (LEADEX_CHROMIUM_PATH) to its executable",
        )
    return executable


ANSWER_WITHIN_SECONDS = 120.0  # one start or one page (four views, axe included) takes seconds even under load
_HUNG_HINT = "run the check again; if it persists, check that `chromium --headless --version` answers (or send with --no-deep)"


class Browser:
    """One headless Chromium for a whole deep check (starting it costs seconds): use as a context manager.

    Playwright's synchronous API belongs to the thread that starts it and
    refuses a second instance in a thread that already has one (a test's
    browser, a caller's own). So the browser lives in a thread of its own
    and every call is handed to it: a ``Browser`` works from any thread,
    beside any other Playwright in the process.
    """

    def __init__(self, settings: Settings, *, answer_within: float = ANSWER_WITHIN_SECONDS) -> None:
        self.settings = settings
        self.answer_within = answer_within
        self._thread: _BrowserThread | None = None
        self._playwright: Playwright | None = None
        self._browser: PwBrowser | None = None

    def __enter__(self) -> Browser:
        executable = ensure_available(self.settings)
        self._thread = _BrowserThread()
        try:
            self.call(self._start, executable)
        except BaseException:
            self._thread.shutdown()
            self._thread = None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        try:
            if not self._thread.stuck:
                self.call(self._stop)
        finally:
            self._thread.shutdown()
            self._thread = None

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the browser's thread and return its result.

        Playwright's errors (Chromium crashed, a page that never loads) and
        no answer within ``answer_within`` seconds (a hung Chromium) become
        ``DeepCheckUnavailable``; other exceptions pass through.
        """
        assert self._thread is not None, "use Browser as a context manager"
        if self._thread.stuck:
            raise DeepCheckUnavailable("Chromium stopped answering earlier in this check", hint=_HUNG_HINT)
        try:
            return self._thread.submit(fn, *args).result(timeout=self.answer_within)
        except FutureTimeout:
            self._thread.stuck = True  # its thread is left to the browser; it cannot keep the process alive
            raise DeepCheckUnavailable(f"Chromium did not answer within {self.answer_within:g} s", hint=_HUNG_HINT) from None
        except Exception as exc:
            if not type(exc).__module__.startswith("playwright"):
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DeepCheckUnavailable(f"Chromium failed during the check: {first}", hint="run the check again; if it persists, check that `chromium --headless` runs") from None

    def show(self, html: str, resources: Mapping[str, tuple[str, bytes]], *, width: int, scheme: str = "light") -> MessageView:
        """Load ``html`` in a ``width`` px frame with ``prefers-color-scheme: scheme``; close the view after use."""
        return self.call(self._show, html, resources, width, scheme)

    def _start(self, executable: Path) -> None:
        from playwright.sync_api import Error, sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True)
        except Error as exc:
            self._playwright.stop()
            raise DeepCheckUnavailable(f"Chromium at {executable} did not start: {str(exc).splitlines()[0]}", hint="check that it runs: chromium --headless --version") from None

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def _show(self, html: str, resources: Mapping[str, tuple[str, bytes]], width: int, scheme: str) -> MessageView:
        assert self._browser is not None
        origin = f"https://lx-view-{next(_views)}.invalid"
        context = self._browser.new_context(viewport={"width": HOST_WIDTH, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]
        view = MessageView(self, context.new_page(), origin, width, scheme)
        body, served = _serve_locally(html, resources)
        context.route("**/*", lambda route: view._answer(route, body, served))
        view.page.goto(f"{origin}/", wait_until="load")
        view._set_width(width)
        return view


@dataclass
class MessageView:
    """A message shown in a frame of ``width`` px. Every method runs on the browser's thread."""

    browser: Browser
    page: Page
    origin: str
    width: int
    scheme: str
    refused: list[str] = field(default_factory=list)

    @property
    def frame(self) -> Frame:
        """The message's document (the iframe); use it only inside ``call``."""
        return self.page.main_frame.child_frames[0]

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the browser's thread (for Playwright calls on ``page`` or ``frame``)."""
        return self.browser.call(fn, *args)

    def set_width(self, width: int) -> None:
        """Give the frame ``width`` px and the message's full height (so nothing scrolls inside it)."""
        self.call(self._set_width, width)

    def set_scheme(self, scheme: str) -> None:
        """Emulate ``prefers-color-scheme: scheme`` (light or dark); the message restyles without loading again."""
        self.scheme = scheme
        self.call(lambda: self.page.emulate_media(color_scheme=scheme))  # type: ignore[arg-type]
        self.set_width(self.width)  # the height may change with the styles

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole message as shown (full height)."""
        from leadex_mail.files import make_folder, write_atomic

        make_folder(path.parent)
        png = self.call(lambda: self.page.locator("#message").screenshot(animations="disabled"))
        return write_atomic(path, png)  # a full disk leaves no half picture

    def evaluate(self, script: str, arg: Any = None) -> Any:
        """Run ``script`` in the message's document."""
        return self.call(lambda: self.frame.evaluate(script, arg))

    def close(self) -> None:
        """Free the view's page and process."""
        self.call(self.page.context.close)

    def _set_width(self, width: int) -> None:
        self.width = width
        self.page.evaluate(
            """(w) => { const f = document.getElementById("message"); f.style.width = w + "px";
                 f.style.height = "1px";  // else the height it had bounds the document's from below
                 f.style.height = f.contentDocument.documentElement.scrollHeight + "px"; }""",
            width,
        )

    def _answer(self, route: Route, body: str, served: dict[str, tuple[str, bytes]]) -> None:
        url = route.request.url
        path = url[len(self.origin) :] if url.startswith(self.origin) else None
        if path == "/":
            route.fulfill(body=_host_page(self.width), content_type="text/html; charset=utf-8")
        elif path == "/message":
            route.fulfill(body=body, content_type="text/html; charset=utf-8")
        elif path in served:
            mime, data = served[path]
            route.fulfill(body=data, content_type=mime)
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")


class _BrowserThread:
    """One daemon thread that runs the browser's calls in order.

    A daemon, not a ThreadPoolExecutor worker: a Chromium that never answers
    leaves this thread blocked, and an executor's threads are joined when
    the interpreter exits, so the command would hang there instead.
    """

    def __init__(self) -> None:
        self.stuck = False
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="chromium", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((fn, args, future))
        return future

    def shutdown(self) -> None:
        """Let the thread end after its calls; waits for it unless it is stuck."""
        self._jobs.put(None)
        if not self.stuck:
            self._thread.join()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, args, future = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    future.set_exception(exc)


def _host_page(width: int) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>message</title>'
        "<style>html,body{margin:0;padding:0}iframe{display:block;border:0;height:900px}</style></head>"
        f'<body><iframe id="message" title="message" style="width:{width}px" src="/message"></iframe></body></html>'
    )


def _serve_locally(html: str, resources: Mapping[str, tuple[str, bytes]]) -> tuple[str, dict[str, tuple[str, bytes]]]:
    """``html`` with each known picture reference pointed at ``/r/<n>`` on the view's origin, and what to answer there."""
    served: dict[str, tuple[str, bytes]] = {}
    paths: dict[str, str] = {}

    def local(match: re.Match[str]) -> str:
        url = match["url"]
        if url not in resources:
            return match.group()
        if url not in paths:
            paths[url] = f"/r/{len(paths)}"
            served[paths[url]] = resources[url]
        return match["open"] + paths[url]

    return _REFERENCE.sub(local, html), served
