"""Fixtures for the preview tests: a private copy of the real issue, a server in a thread."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.preview.server import PreviewServer, make_server

REPO = Path(__file__).resolve().parents[2]
SLUG = "2026-04-leadex-01"


@dataclass
class IssueCopy:
    """The real first issue copied to a temporary newsletters folder, safe to edit."""

    folder: Path
    settings: Settings

    @property
    def slug(self) -> str:
        """The issue's slug, as given on the command line."""
        return self.folder.name

    def edit(self, language: str, old: str, new: str, *, atomic: bool = False) -> None:
        """Replace ``old`` (which must be there) by ``new`` in an edition file, as an editor's save."""
        self.edit_file(self.folder / f"{language}.yaml", old, new, atomic=atomic)

    def edit_file(self, path: Path, old: str, new: str, *, atomic: bool = False) -> None:
        """Replace the first ``old`` (which must be there) by ``new`` in ``path``.

        ``atomic`` saves as many editors do: write a new file, rename it over the old one.
        """
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path.name}"
        target = path.with_name(path.name + ".saving") if atomic else path
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
        if atomic:
            os.replace(target, path)

    def line_of(self, language: str, start: str) -> int:
        """1-based number of the first line of an edition file that starts with ``start``."""
        lines = (self.folder / f"{language}.yaml").read_text(encoding="utf-8").splitlines()
        return next(i for i, line in enumerate(lines, 1) if line.startswith(start))


@pytest.fixture(scope="session")
def image_cache(tmp_path_factory) -> Path:
    """One image cache for the session, so each test does not resize every picture again."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def issue_copy(tmp_path, image_cache, monkeypatch) -> IssueCopy:
    """``newsletters/`` (the first issue, brand.yaml, brand images) copied to tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(image_cache))
    news = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", news)
    settings = Settings(newsletters_dir=news, default_language="sl")
    return IssueCopy(news / SLUG, settings)


@pytest.fixture
def live_preview(issue_copy) -> Iterator[PreviewServer]:
    """The preview of the copied issue, served by uvicorn in a thread on a free loopback port."""
    server = make_server(SLUG, issue_copy.settings, port=0)
    thread = server.start_in_thread()
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "the preview server did not stop (open event streams?)"
