"""The public archive: sent issues per language and each edition's web version.

Only issues that went out (a campaign with at least one sent delivery) are
listed or served, so drafts in ``newsletters/`` stay private. A web version
is the rendered email with the per-recipient placeholders filled with
neutral values: no name, links to the general "how to unsubscribe" page and
to the archive itself. It is the "view in browser" target too.

``build_static_archive`` writes the same pages as a static site.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from leadex_mail import links
from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.content.model import Issue
from leadex_mail.errors import ContentError, NotFound
from leadex_mail.render.i18n import month_year
from leadex_mail.render.pipeline import render_edition
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, Delivery
from leadex_mail.web.i18n import catalog
from leadex_mail.web.pages import render_page, static_dir

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ArchiveEntry:
    """One edition in the index."""

    slug: str
    language: str
    title: str
    when: str
    href: str


@dataclass(frozen=True)
class ArchiveGroup:
    """The editions of one language, newest first."""

    language: str
    label: str
    entries: list[ArchiveEntry]


@dataclass(frozen=True)
class WebImage:
    """An embedded picture of a web version, served beside it."""

    name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class WebEdition:
    """The web version of one edition: HTML free of personal data, plus its images."""

    slug: str
    language: str
    html: str
    images: dict[str, WebImage]


def sent_slugs(store: Store) -> list[str]:
    """Slugs of issues with at least one sent delivery, oldest campaign first."""
    with store.session(write=False) as session:
        rows = session.exec(
            select(Campaign.issue_slug, Campaign.created_at)
            .where(Campaign.id.in_(select(Delivery.campaign_id).where(Delivery.state == "sent")))  # type: ignore[union-attr]
            .order_by(Campaign.created_at)
        ).all()
    seen: dict[str, None] = {}
    for slug, _ in rows:
        seen.setdefault(slug, None)
    return list(seen)


def campaign_slug(store: Store, campaign_id: int) -> str:
    """The issue a campaign sent (``NotFound`` when there is no such campaign)."""
    with store.session(write=False) as session:
        campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    return campaign.issue_slug


def neutral_values(settings: Settings, slug: str, language: str) -> dict[str, str]:
    """Placeholder values for a public page: nothing personal, links that still help."""
    manage = f"{links.base_url(settings)}/unsubscribe"
    return {"name": "", "unsubscribe_url": manage, "preferences_url": manage, "view_url": links.archive_url(settings, slug, language)}


class Archive:
    """Loads, renders and caches web versions of sent issues for one app or build."""

    def __init__(self, store: Store, settings: Settings, *, cache_size: int = 16) -> None:
        self.store = store
        self.settings = settings
        self._cache: OrderedDict[tuple[str, str, str], WebEdition] = OrderedDict()
        self._issues: dict[str, Issue] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def issues(self) -> list[Issue]:
        """Every sent issue whose files still load (newest first)."""
        found: list[Issue] = []
        for slug in sent_slugs(self.store):
            try:
                found.append(self.issue(slug))
            except ContentError:
                continue  # folder moved or broken after sending: leave it out rather than fail the index
        return list(reversed(found))

    def groups(self, page_language: str, href: Callable[[str, str], str]) -> list[ArchiveGroup]:
        """The index: one group per language (the page's first), entries newest first."""
        by_lang: dict[str, list[ArchiveEntry]] = {}
        for issue in self.issues():
            for lang, edition in issue.editions.items():
                when = month_year(edition.date, lang)
                by_lang.setdefault(lang, []).append(ArchiveEntry(issue.slug, lang, edition.title, when, href(issue.slug, lang)))
        order = sorted(by_lang, key=lambda code: (code != page_language, code))
        return [ArchiveGroup(code, catalog(code).t("language_name"), by_lang[code]) for code in order]

    def issue(self, slug: str) -> Issue:
        """The loaded issue ``slug``, kept for the archive's lifetime (sent issues do not change)."""
        with self._lock:
            found = self._issues.get(slug)
        if found is None:
            found = load_issue(slug, self.settings)
            with self._lock:
                self._issues[slug] = found
        return found

    def language_of(self, slug: str, wanted: str) -> str:
        """``wanted`` when the issue has that edition, else its default language."""
        issue = self.issue(slug)
        return wanted if wanted in issue.editions else issue.default_language

    def is_sent(self, slug: str) -> bool:
        """True when ``slug`` went out to someone (only those are public)."""
        return slug in sent_slugs(self.store)

    def edition(self, slug: str, language: str, image_prefix: str) -> WebEdition:
        """The web version of ``slug`` in ``language``; ``NotFound`` when the issue has no such edition."""
        key = (slug, language, image_prefix)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        issue = self.issue(slug)
        if language not in issue.editions:
            raise NotFound(f"issue {slug} has no {language!r} edition")
        made = _web_edition(issue, language, self.settings, image_prefix)
        with self._lock:
            self._cache[key] = made
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return made


def _web_edition(issue: Issue, language: str, settings: Settings, image_prefix: str) -> WebEdition:
    rendered = render_edition(issue, language, settings)
    html, _ = rendered.personalise(neutral_values(settings, issue.slug, language))
    images: dict[str, WebImage] = {}
    for image in rendered.inline_images:
        name = _SAFE.sub("-", image.cid) + Path(image.filename).suffix.lower()
        images[name] = WebImage(name, image.mime_type, image.data)
        html = html.replace(f"cid:{image.cid}", f"{image_prefix}{name}")
    return WebEdition(issue.slug, language, html, images)


def build_static_archive(store: Store, settings: Settings, out_dir: Path) -> list[Path]:
    """Write the archive as a static site under ``out_dir``; return the files written.

    Layout mirrors the served URLs: ``index.html``, ``<slug>/<lang>/index.html``
    with its ``images/``, and ``static/web.css``. Links between the pages are
    relative, so the folder works wherever it is published.
    """
    archive = Archive(store, settings)
    written: list[Path] = []
    language = settings.default_language
    for issue in archive.issues():
        for lang in issue.editions:
            edition = archive.edition(issue.slug, lang, "images/")
            folder = out_dir / issue.slug / lang
            written.append(_write(folder / "index.html", edition.html.encode("utf-8")))
            for image in edition.images.values():
                written.append(_write(folder / "images" / image.name, image.data))
    page = render_page(
        "archive.html.j2",
        language,
        title_key="archive_title",
        root=links.base_url(settings),
        static="static",
        nav="archive",
        noindex=False,
        groups=archive.groups(language, lambda slug, lang: f"{slug}/{lang}/"),
    )
    written.append(_write(out_dir / "index.html", page.encode("utf-8")))
    css = out_dir / "static" / "web.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(static_dir() / "web.css", css)
    written.append(css)
    return written


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
