"""Fixtures of the render tests: the real issue No. 1, loaded from newsletters/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.content.model import Issue
from leadex_mail.render import pipeline
from leadex_mail.render.images import clear_memory_cache

REPO = Path(__file__).resolve().parents[2]
SLUG = "2026-04-leadex-01"
GOLDEN = Path(__file__).parent / "golden"
# A copy of ../shared/seeds/000_9b44aa4c8f9bdfd0.txt: CI clones may sit anywhere.
SEED = REPO / "tests" / "fixtures" / "seed_000_leadex_novice_1.txt"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Each test session keeps processed images in its own cache folder, not in ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Defaults, pointed at the repository's newsletters folder (images embedded)."""
    return Settings(newsletters_dir=REPO / "newsletters")


@pytest.fixture(scope="session")
def issue(settings) -> Issue:
    """The real issue No. 1 (sl and en)."""
    return load_issue(SLUG, settings)


@pytest.fixture
def issue_copy(tmp_path, settings) -> tuple[Path, Settings]:
    """A writable copy of the newsletters folder and settings pointing at it."""
    folder = tmp_path / "newsletters"
    shutil.copytree(REPO / "newsletters", folder)
    return folder, Settings(newsletters_dir=folder)


@pytest.fixture
def fresh_render():
    """Forget compiled editions and processed images before and after a test."""
    pipeline.clear_cache()
    clear_memory_cache()
    yield
    pipeline.clear_cache()
    clear_memory_cache()
