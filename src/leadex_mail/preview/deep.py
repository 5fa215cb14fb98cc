"""What the preview adds from the pre-send gates: a dark-mode view, and ``check --deep`` after each save.

Dark mode: a browser frame follows its page's colour scheme, not one of its
own, so the dark view is the edition's HTML with its
``prefers-color-scheme: dark`` rules made unconditional — what a mail
program that honours them (Apple Mail, Outlook for Mac and iOS) shows.
Programs that invert colours by themselves (Gmail's apps, Outlook.com)
cannot be imitated; ``render --screenshots`` and ``check --deep`` use real
emulation in Chromium.

Deep check (``preview --deep``): after every save that renders, a worker
thread runs ``gates.deep.deep_check`` with its own Chromium (Playwright's
browser belongs to the thread that started it) and keeps the latest report.
A save during a run asks for one more run; the page polls ``/deep`` while
a run is going. It costs a browser and SpamAssassin run per save, hence a
flag.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadex_mail.config import Settings
from leadex_mail.errors import LeadexError

if TYPE_CHECKING:
    from leadex_mail.gates.browser import Browser
    from leadex_mail.gates.findings import DeepReport

log = logging.getLogger(__name__)

_DARK = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)


def force_dark(html: str) -> str:
    """``html`` with ``(prefers-color-scheme: dark)`` always true and ``(… light)`` never (valid in any media query)."""
    return _LIGHT.sub("(max-width: 0px)", _DARK.sub("(min-width: 0px)", html))


@dataclass(frozen=True)
class DeepStatus:
    """What the page shows of the deep check: ``state`` is off, waiting, running, done or failed."""

    state: str
    report: DeepReport | None = None
    error: str | None = None
    finished_at: float | None = None  # time.time() of the last finished run


class DeepRunner:
    """Runs the deep check of one issue in a worker thread whenever asked, the latest request winning."""

    def __init__(self, issue_ref: str, settings: Settings) -> None:
        self.issue_ref = issue_ref
        self.settings = settings
        self._cond = threading.Condition()
        self._wanted = 0  # requests made
        self._done = 0  # requests answered by the last finished run
        self._stop = False
        self._status = DeepStatus("waiting")
        self._thread = threading.Thread(target=self._work, name="preview-deep-check", daemon=True)
        self._thread.start()

    @property
    def status(self) -> DeepStatus:
        """The latest finished report, ``running`` while a newer one is being made."""
        with self._cond:
            return self._status

    def request(self) -> None:
        """Ask for a run on the files as they are now (after a save)."""
        with self._cond:
            self._wanted += 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> DeepStatus:
        """Block until every request so far is answered (tests wait on this, never on time)."""
        with self._cond:
            self._cond.wait_for(lambda: self._done >= self._wanted or self._stop, timeout)
            return self._status

    def close(self, timeout: float = 30.0) -> None:
        """Stop the worker after its current run and close its browser."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _work(self) -> None:
        browser = None
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._stop or self._wanted > self._done)
                    if self._stop:
                        return
                    target = self._wanted
                    self._status = DeepStatus("running", self._status.report, None, self._status.finished_at)
                browser = browser or self._start_browser()
                status = self._run(browser)
                with self._cond:
                    self._done = target
                    self._status = status if self._wanted == target else DeepStatus("running", status.report, status.error, status.finished_at)
                    self._cond.notify_all()
        finally:
            if browser is not None:
                browser.__exit__(None, None, None)

    def _start_browser(self) -> Browser | None:
        from leadex_mail.errors import DeepCheckUnavailable
        from leadex_mail.gates.browser import Browser

        try:
            return Browser(self.settings).__enter__()
        except DeepCheckUnavailable as err:
            log.warning("deep check without a browser: %s", err.message)
            return None

    def _run(self, browser: Browser | None) -> DeepStatus:
        from leadex_mail.content.loader import load_issue
        from leadex_mail.gates.deep import deep_check

        try:
            issue = load_issue(self.issue_ref, self.settings)
            report = deep_check(issue, self.settings, browser=browser, require_browser=False)
        except LeadexError as err:  # the page shows the content's own problems
            return DeepStatus("failed", None, err.message, time.time())
        except Exception as exc:  # a bug in a check must not end the preview
            log.exception("the deep check failed")
            return DeepStatus("failed", None, f"the deep check failed: {exc}", time.time())
        return DeepStatus("done", report, None, time.time())
