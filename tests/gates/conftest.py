"""Fixtures of the pre-send gate tests: issue No. 1, settings as a real sending set-up, one Chromium.

The settings are those of an operator about to send for real (public https
links, SMTP transport, a secret key) unless a test says otherwise: the
gates judge the message as it would leave the machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.content.model import Issue
from leadex_mail.gates.browser import Browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("LEADEX_CHROMIUM", "/usr/bin/chromium"))  # as tests/conftest.py
SLUG = "2026-04-leadex-01"
PUBLIC_URL = "https://news.example.org"
SENDING = {
    "public_url": PUBLIC_URL,
    "transport": "smtp",
    "smtp_host": "127.0.0.1",
    "smtp_port": 2525,  # never connected to: the gates build messages, they do not send them
    "secret_key": "s" * 32,
}


def sending_settings(newsletters: Path = REPO / "newsletters", **overrides: object) -> Settings:
    """Settings of an operator about to send by SMTP, with ``overrides``."""
    return Settings(**{"newsletters_dir": newsletters, "chromium_path": CHROMIUM, **SENDING, **overrides})  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Processed images in the session's own cache folder, not in ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Sending settings over the repository's newsletters."""
    return sending_settings()


@pytest.fixture(scope="session")
def issue(settings) -> Issue:
    """The real issue No. 1 (sl and en)."""
    return load_issue(SLUG, settings)


@pytest.fixture(scope="session")
def deep_browser(settings) -> Iterator[Browser]:
    """One headless Chromium for the gate tests (as `check --deep` starts one per run)."""
    with Browser(settings) as browser:
        yield browser


@pytest.fixture
def newsletters(tmp_path) -> Path:
    """A writable copy of the repository's newsletters folder."""
    target = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", target)
    return target


def edit(newsletters: Path, language: str, old: str, new: str) -> None:
    """Replace the first ``old`` (which must be there) in an edition of issue No. 1."""
    path = newsletters / SLUG / f"{language}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
