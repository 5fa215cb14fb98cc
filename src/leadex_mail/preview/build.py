"""Build what the preview page shows, from an issue folder, without HTTP.

``build_preview`` loads the issue, renders every edition, runs the checks
and fills personal placeholders with sample values. It never raises for bad
content: a preview server must survive a bad save, so a failure becomes a
``Preview`` whose ``problems`` say what is wrong and where, and the next
good save recovers. Meanwhile ``keep_last_good`` keeps the editions of the
last save that rendered on show, beside the problems.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from leadex_mail.config import Settings
from leadex_mail.errors import ContentError, LeadexError, Problem
from leadex_mail.render.result import InlineImage, RenderedEdition

if TYPE_CHECKING:
    from leadex_mail.content.model import Issue

log = logging.getLogger(__name__)

# What a reader of the preview sees where a subscriber's own values go.
SAMPLE_NAME = "Ana Novak"
SAMPLE_URL = "#preview"
IMAGE_ROUTE = "/img/"

# ``cid:`` references in attribute values (src="cid:x") and CSS (url(cid:x)).
_CID_REF = re.compile(r"""(?P<open>["'(])cid:(?P<cid>[^"')\s>]+)""")


@dataclass(frozen=True)
class PreviewEdition:
    """One language edition as the preview shows it: sample-personalised HTML and text."""

    language: str
    subject: str
    preheader: str
    html: str
    text: str
    size_bytes: int


@dataclass(frozen=True)
class Preview:
    """Everything the preview page shows for one state of the issue's files.

    When the content could not be loaded or rendered, ``editions`` is empty,
    ``error`` holds the message and ``problems`` say where; otherwise
    ``problems`` are the check results.
    """

    issue_ref: str
    slug: str
    languages: tuple[str, ...] = ()
    default_language: str = ""
    editions: Mapping[str, PreviewEdition] = field(default_factory=dict)
    images: Mapping[str, InlineImage] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    error: LeadexError | None = None
    issue_folder: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every edition rendered (check warnings may still exist)."""
        return self.error is None

    @property
    def stale(self) -> bool:
        """True when the files as saved fail and the editions shown are the last ones that rendered."""
        return self.error is not None and bool(self.editions)

    def pick_language(self, wanted: str | None) -> str:
        """``wanted`` if there is such an edition, else the default edition's language."""
        if wanted and wanted in self.editions:
            return wanted
        return self.default_language


def sample_values() -> dict[str, str]:
    """Per-recipient values for the preview: a sample name, links that go nowhere."""
    return {"name": SAMPLE_NAME, "unsubscribe_url": SAMPLE_URL, "preferences_url": SAMPLE_URL, "view_url": SAMPLE_URL, "privacy_url": SAMPLE_URL}


def rewrite_cids(html: str, route: str = IMAGE_ROUTE) -> str:
    """Point ``cid:`` image references at the preview's image route.

    Mail clients resolve ``cid:`` against the message's inline parts; a
    browser cannot, so for the preview only they become ``/img/<cid>``.
    """
    return _CID_REF.sub(lambda m: f"{m['open']}{route}{quote(unquote(m['cid']), safe='@.-_~')}", html)


# The last previews made, by the rendered edition they came from: ``render_edition`` returns the
# same object while an edition is unchanged, so the studio's rebuild after a key redoes only the
# edition that changed. Keyed by id() and checked by identity (the object is kept, its id stays its own).
_PREVIEWS: dict[int, tuple[RenderedEdition, PreviewEdition]] = {}
_PREVIEWS_KEPT = 16
_PREVIEWS_LOCK = threading.Lock()


def preview_edition(rendered: RenderedEdition) -> PreviewEdition:
    """The preview form of a rendered edition: sample values in, ``cid:`` rewritten."""
    with _PREVIEWS_LOCK:
        kept = _PREVIEWS.get(id(rendered))
    if kept is not None and kept[0] is rendered:
        return kept[1]
    preview = _make_preview_edition(rendered)
    with _PREVIEWS_LOCK:  # the studio and the preview server build from worker threads
        if len(_PREVIEWS) >= _PREVIEWS_KEPT:
            del _PREVIEWS[next(iter(_PREVIEWS))]  # the oldest
        _PREVIEWS[id(rendered)] = (rendered, preview)
    return preview


def _make_preview_edition(rendered: RenderedEdition) -> PreviewEdition:
    html, text = rendered.personalise(sample_values())
    html = rewrite_cids(html)
    return PreviewEdition(
        language=rendered.language,
        subject=rendered.subject,
        preheader=rendered.preheader,
        html=html,
        text=text,
        size_bytes=len(rendered.html.encode("utf-8")),
    )


def guess_issue_folder(issue_ref: str, settings: Settings) -> Path:
    """Where the issue's files live, even when they do not load.

    The live-reload watcher needs the folder before (and while) the content
    is broken; a path that exists wins, else ``<newsletters_dir>/<ref>``.
    """
    as_path = Path(issue_ref)
    if as_path.is_dir():
        return as_path.resolve()
    return (settings.newsletters_dir / issue_ref).resolve()


def build_preview(issue_ref: str, settings: Settings) -> Preview:
    """Load, render and check the issue; return what the preview page shows.

    Bad content never raises: it comes back as ``Preview.error`` plus the
    problems (file:line:col and a hint) so the page can show them. Neither
    does a fault below that escaped as another exception: it becomes the
    error shown, so the page never keeps an older verdict.
    """
    preview, issue = render_preview(issue_ref, settings)
    if issue is None:
        return preview
    return checked(preview, issue, settings)


def render_preview(issue_ref: str, settings: Settings) -> tuple[Preview, Issue | None]:
    """Load and render every edition, without the check; the preview and the loaded issue (None when it failed).

    The first half of ``build_preview``, for a face that shows the rendered
    email at once and the check's findings when ``checked`` has them (the
    studio, where each key rebuilds the preview). The preview's ``problems``
    are empty until then; a failure is a ``Preview.error`` as in ``build_preview``.
    """
    # Imported here so the preview's mechanics load even while a layer below is broken.
    from leadex_mail.content.loader import load_issue
    from leadex_mail.render.pipeline import render_edition

    folder = guess_issue_folder(issue_ref, settings)
    slug = folder.name
    try:
        issue = load_issue(issue_ref, settings)
        slug, folder = issue.slug, Path(issue.folder).resolve()
        rendered = [render_edition(issue, lang, settings) for lang in _ordered_languages(issue.editions, issue.default_language)]
    except LeadexError as err:
        return _failed(issue_ref, slug, folder, err), None
    except Exception as exc:  # a fault below (a parser, Pillow, MJML) must still reach the page, not only the terminal
        log.exception("building the preview of %s failed", issue_ref)
        return _failed(issue_ref, slug, folder, _unexpected(exc)), None
    editions = {r.language: preview_edition(r) for r in rendered}
    images = {img.cid: img for r in rendered for img in r.inline_images}
    preview = Preview(
        issue_ref=issue_ref,
        slug=slug,
        languages=tuple(editions),
        default_language=issue.default_language,
        editions=editions,
        images=images,
        issue_folder=folder,
    )
    return preview, issue


def checked(preview: Preview, issue: Issue, settings: Settings) -> Preview:
    """``preview`` with the check's findings on ``issue`` (the one it was rendered from) as its problems.

    A check that fails outright (an image gone since the render, a fault
    below) gives a failed ``Preview``, as ``build_preview`` always has; never
    an exception.
    """
    from leadex_mail.render.check import check_issue

    folder = preview.issue_folder or Path(issue.folder).resolve()
    try:
        problems = tuple(check_issue(issue, settings))
    except LeadexError as err:
        return _failed(preview.issue_ref, preview.slug, folder, err)
    except Exception as exc:  # as in ``render_preview``: the page shows it, never keeps an older verdict
        log.exception("checking the preview of %s failed", preview.issue_ref)
        return _failed(preview.issue_ref, preview.slug, folder, _unexpected(exc))
    return dataclasses.replace(preview, problems=problems)


def keep_last_good(fresh: Preview, previous: Preview) -> Preview:
    """``fresh``, or when it failed, its problems over ``previous``'s editions (the last that rendered).

    An officer who saves a half-typed line, or a file that attacks the
    parser, still sees the issue as it last worked, with what is wrong above it.
    """
    if fresh.ok or not previous.editions or fresh.issue_folder != previous.issue_folder:
        return fresh
    return dataclasses.replace(
        fresh,
        slug=previous.slug,
        languages=previous.languages,
        default_language=previous.default_language,
        editions=previous.editions,
        images=previous.images,
    )


def _ordered_languages(editions: Mapping[str, object], default: str) -> list[str]:
    """The default edition first, then the others alphabetically (stable links)."""
    return sorted(editions, key=lambda lang: (lang != default, lang))


def failed_preview(previous: Preview, exc: Exception) -> Preview:
    """The preview of a rebuild that raised ``exc`` (for callers whose rebuild is not ``build_preview``)."""
    failed = _failed(previous.issue_ref, previous.slug, previous.issue_folder or Path(previous.issue_ref), _unexpected(exc))
    return dataclasses.replace(failed, issue_folder=previous.issue_folder)  # the same issue: keep_last_good keeps its editions


def _unexpected(exc: Exception) -> LeadexError:
    """An exception no layer turned into a located problem, as the error the page shows (the terminal has the traceback)."""
    hint = "undo the last change and save again; if the files look right, report this message (the terminal shows the details)"
    return LeadexError(f"the files as saved could not be shown: {type(exc).__name__}: {exc}", hint=hint)


def _failed(issue_ref: str, slug: str, folder: Path, err: LeadexError) -> Preview:
    """A preview that shows why the content cannot be shown."""
    problems = tuple(err.problems) if isinstance(err, ContentError) else ()
    if not problems:
        problems = (Problem(file=str(folder), line=None, column=None, path="", message=err.message, hint=err.hint, code="issue.unloadable"),)
    log.info("preview of %s failed: %s", issue_ref, err.message)
    return Preview(issue_ref=issue_ref, slug=slug, problems=problems, error=err, issue_folder=folder)
