"""The preview's mechanics that need no rendering: CID rewriting, watching, events."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from watchfiles import Change

from leadex_mail.errors import ContentError, Problem
from leadex_mail.preview.build import (
    Preview,
    PreviewEdition,
    rewrite_cids,
    sample_values,
)
from leadex_mail.preview.live import LiveState, SourceFilter, watch_roots


def test_cid_sources_point_at_the_image_route():
    html = '<img src="cid:logo-1a2b@leadex" alt=""><td style="background:url(cid:bg.png)">' "<a href='cid:x%40y'>"
    out = rewrite_cids(html)
    assert '<img src="/img/logo-1a2b@leadex"' in out
    assert "url(/img/bg.png)" in out
    assert "href='/img/x@y'" in out
    assert "cid:" not in out


def test_text_mentioning_cid_is_left_alone():
    html = "<p>Write cid: in a mail client</p>"
    assert rewrite_cids(html) == html


def test_sample_values_cover_every_placeholder():
    from leadex_mail.render.result import PLACEHOLDERS

    values = sample_values()
    assert set(values) == set(PLACEHOLDERS)
    assert values["name"] == "Ana Novak"
    assert values["unsubscribe_url"] == "#preview"


def _mkdirs(root, *names):
    """Create the folders ``names`` under ``root``; return their paths."""
    paths = [root / name for name in names]
    for path in paths:
        path.mkdir(parents=True)
    return paths


def test_watch_roots_merge_nested_folders_and_use_file_parents(tmp_path):
    news = tmp_path / "newsletters"
    issue, templates = _mkdirs(tmp_path, "newsletters/2026-04", "templates")
    roots = watch_roots([issue, templates, tmp_path / "missing"], [news / "brand.yaml"])
    assert sorted(roots) == sorted([news.resolve(), templates.resolve()])


def test_source_filter_keeps_issue_brand_and_templates_only(tmp_path):
    news = tmp_path / "newsletters"
    issue, other = _mkdirs(news, "2026-04", "2026-05")
    keep = SourceFilter([issue], [news / "brand.yaml"])
    assert keep(Change.modified, str(issue / "sl.yaml"))
    assert keep(Change.added, str(issue / "images" / "a.jpg"))
    assert keep(Change.modified, str(news / "brand.yaml"))
    assert not keep(Change.modified, str(other / "sl.yaml"))
    assert not keep(Change.modified, str(news / "notes.txt"))
    assert not keep(Change.modified, str(issue / ".sl.yaml.swp"))
    # Another brand file an edition may name, beside brand.yaml (issue 9), even one made later.
    assert keep(Change.added, str(news / "brand-haka.yaml"))
    assert not keep(Change.modified, str(news / "schema.json"))


def _preview(slug: str = "x") -> Preview:
    edition = PreviewEdition("sl", "S", "P", "<p>hi</p>", "hi", 9)
    return Preview(issue_ref=slug, slug=slug, languages=("sl",), default_language="sl", editions={"sl": edition})


def test_language_falls_back_to_the_default_edition():
    preview = _preview()
    assert preview.pick_language("sl") == "sl"
    assert preview.pick_language("de") == "sl"
    assert preview.pick_language(None) == "sl"


def test_events_send_the_current_version_then_each_rebuild_and_end_on_close():
    async def scenario() -> list[str]:
        builds = iter([_preview("second"), _preview("third")])
        state = LiveState(_preview("first"), rebuild=lambda: next(builds))
        stream = state.events()
        got = [await anext(stream), await anext(stream)]  # retry hint, current version
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)  # let the stream register and wait
        await state.refresh()
        got.append(await pending)
        state.close()
        got.extend([chunk async for chunk in stream])
        assert state.preview.slug == "second"
        return got

    # A thread of its own: Playwright's sync API may already run a loop on this one.
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, scenario()).result()
    assert got == ["retry: 500\n\n", "event: reload\ndata: 1\n\n", "event: reload\ndata: 2\n\n"]


def test_a_failed_preview_carries_the_problems(tmp_path):
    from leadex_mail.preview.build import _failed

    problem = Problem("sl.yaml", 3, 5, "title", "bad", "fix it")
    failed = _failed("ref", "slug", tmp_path, ContentError("invalid", [problem]))
    assert not failed.ok and failed.problems == (problem,) and failed.issue_folder == tmp_path
    assert not failed.editions


def test_an_error_without_problems_becomes_one(tmp_path):
    from leadex_mail.errors import RenderError
    from leadex_mail.preview.build import _failed

    failed = _failed("ref", "slug", tmp_path, RenderError("MJML failed", hint="see the template"))
    assert [(p.message, p.hint) for p in failed.problems] == [("MJML failed", "see the template")]


def test_templates_catalogs_and_both_brand_files_are_watched(tmp_path):
    from leadex_mail.config import Settings
    from leadex_mail.preview.app import watched_sources
    from leadex_mail.render.i18n import CATALOG_DIR
    from leadex_mail.render.pipeline import templates_dir

    issue = tmp_path / "elsewhere" / "2026-04"
    settings = Settings(newsletters_dir=tmp_path / "newsletters")
    preview = Preview(issue_ref=str(issue), slug="2026-04", issue_folder=issue)
    folders, files = watched_sources(preview, settings)
    assert folders == [issue, templates_dir(), CATALOG_DIR]
    assert files == sorted([tmp_path / "elsewhere" / "brand.yaml", tmp_path / "newsletters" / "brand.yaml"])


def test_a_rebuild_that_raises_replaces_the_verdict_on_show():
    def rebuild() -> Preview:
        raise TypeError("cannot unpack non-iterable NoneType object")

    async def scenario() -> Preview:
        state = LiveState(_preview("first"), rebuild=rebuild)
        assert await state.refresh() == 2
        return state.preview

    with ThreadPoolExecutor(1) as pool:
        shown = pool.submit(asyncio.run, scenario()).result()
    assert not shown.ok and shown.stale and shown.slug == "first"
    assert shown.problems[0].message == "the files as saved could not be shown: TypeError: cannot unpack non-iterable NoneType object"
