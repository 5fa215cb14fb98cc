"""A stop keeps only the officer's unsaved changes: never a draft the studio changed by itself, never one the file holds.

After moving sections in sl and saving, with the en edition only viewed, the studio kept an
en "unsaved" draft at its stop; the en editor then said the studio stopped "while this edition
had unsaved changes", and Restore brought back stale ✎ texts. A kept draft exists only when
the officer changed something not saved: a translation following the default edition (or
taking it back) is the studio's change, and a draft the same as its file has nothing unsaved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from leadex_mail.studio import recovery
from studio.studio_helpers import ISSUE, RunningStudio, editor_post, editor_set

NOW = datetime(2026, 12, 2, 5, 6, tzinfo=UTC)


def _kept(studio: RunningStudio) -> set[str]:
    """The editions of which a copy is kept, by language (any owner)."""
    return {p.stem for p in Path(recovery.root(studio.settings)).glob(f"*/{ISSUE}/*.json")}


def _stop(studio: RunningStudio) -> set[str]:
    """What the studio keeps as it stops (``Workspace.keep_unsaved``), after the copies kept as drafts changed."""
    workspace = studio.server.config.app.state.studio.workspace
    workspace.keep_unsaved(NOW)
    return _kept(studio)


def test_a_translation_that_only_followed_the_saved_default_edition_is_not_kept(studio: RunningStudio) -> None:
    with studio.client() as client:
        editor_set(client, "sl", "sections.1.heading", "Nov naslov v sl")  # the officer's text in sl
        editor_post(client, "sl", "items", {"op": "down", "list": "sections", "index": "1"})
        editor_post(client, "sl", "items", {"op": "up", "list": "sections", "index": "3"})
        editor_post(client, "sl", "save")
        assert client.get(f"/issues/{ISSUE}/side-by-side").status_code == 200  # en only viewed
        assert client.get(f"/issues/{ISSUE}/en").status_code == 200
    assert _stop(studio) == set()
    with studio.client() as client:
        assert "when the studio stopped" not in client.get(f"/issues/{ISSUE}/en?ui=en").text  # no offer of changes never made


def test_an_unsaved_default_edition_is_kept_and_its_following_translation_is_not(studio: RunningStudio) -> None:
    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "down", "list": "sections", "index": "1"})  # not saved; en follows it
        assert client.get(f"/issues/{ISSUE}/side-by-side").status_code == 200
    assert _stop(studio) == {"sl"}


def test_the_officers_own_change_in_a_translation_is_kept(studio: RunningStudio) -> None:
    with studio.client() as client:
        editor_post(client, "sl", "items", {"op": "down", "list": "sections", "index": "1"})
        editor_set(client, "en", "title", "The officer's own English title")
    assert _stop(studio) == {"sl", "en"}
    kept = next(Path(recovery.root(studio.settings)).glob(f"*/{ISSUE}/en.json")).read_text(encoding="utf-8")
    assert "The officer's own English title" in kept


def test_a_change_typed_and_typed_back_is_not_kept(studio: RunningStudio) -> None:
    title = yaml.safe_load(studio.file(ISSUE, "sl").read_text(encoding="utf-8"))["title"]
    with studio.client() as client:
        editor_set(client, "sl", "title", "Začasni naslov")
        editor_set(client, "sl", "title", title)
    assert _stop(studio) == set()
