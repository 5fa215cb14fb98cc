"""The public archive: sent issues per language and each edition's web version.

Only issues that went out to a *public* list (a campaign with at least one
sent delivery) are listed or served, so drafts in ``newsletters/`` and
issues sent only to private lists (internal, tests, partners) stay private.
A web version is the rendered email with the per-recipient placeholders
filled with neutral values: no name, links to the general "how to
unsubscribe" page and to the archive itself. It is the "view in browser"
target too; for an issue that is not public, that page carries its
pictures inside it (``data:`` URLs), so no public address serves them.

``build_static_archive`` writes the same pages as a static site.
"""

from __future__ import annotations

import base64
import re
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
from leadex_mail.files import make_folder, write_atomic
from leadex_mail.render.i18n import month_year
from leadex_mail.render.pipeline import render_edition
from leadex_mail.store.db import Store
from leadex_mail.store.lists import public_issues
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


def campaign_slug(store: Store, campaign_id: int) -> str:
    """The issue a campaign sent; ``NotFound`` when there is no such campaign or it sent nothing yet."""
    with store.session(write=False) as session:
        campaign = session.get(Campaign, campaign_id)
        sent = session.exec(select(Delivery.id).where(Delivery.campaign_id == campaign_id, Delivery.state == "sent").limit(1)).first()
    if campaign is None or sent is None:
        raise NotFound(f"no sent campaign {campaign_id}")
    return campaign.issue_slug


def neutral_values(settings: Settings, slug: str, language: str) -> dict[str, str]:
    """Placeholder values for a public page: nothing personal, links that still help."""
    manage = f"{links.base_url(settings)}/unsubscribe"
    return {
        "name": "",
        "unsubscribe_url": manage,
        "preferences_url": manage,
        "view_url": links.archive_url(settings, slug, language),
        "privacy_url": links.privacy_url(settings, language),
    }


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
        """Every public issue whose files still load (newest first)."""
        found: list[Issue] = []
        for slug in public_issues(self.store):
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

    def is_public(self, slug: str) -> bool:
        """True when ``slug`` went out to a public list (only those are in the archive)."""
        return slug in public_issues(self.store)

    def campaign_edition(self, campaign_id: int, language: str, public_images: Callable[[str, str], str]) -> WebEdition:
        """The "view in browser" page of a campaign, in ``language`` when the issue has it.

        A public issue's pictures are served where the archive serves them
        (``public_images(slug, language)`` is the prefix); an issue sent only
        to private lists carries them inside the page. ``NotFound`` when the
        campaign does not exist or has sent nothing.
        """
        slug = campaign_slug(self.store, campaign_id)
        language = self.language_of(slug, language)
        return self.edition(slug, language, public_images(slug, language) if self.is_public(slug) else None)

    def edition(self, slug: str, language: str, image_prefix: str | None) -> WebEdition:
        """The web version of ``slug`` in ``language``; ``NotFound`` when the issue has no such edition.

        Pictures are served at ``image_prefix + name``; with None they are
        put inside the page as ``data:`` URLs (and ``images`` is empty).
        """
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


def _web_edition(issue: Issue, language: str, settings: Settings, image_prefix: str | None) -> WebEdition:
    rendered = render_edition(issue, language, settings)
    html, _ = rendered.personalise(neutral_values(settings, issue.slug, language))
    images: dict[str, WebImage] = {}
    for image in rendered.inline_images:
        if image_prefix is None:
            html = html.replace(f"cid:{image.cid}", f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}")
            continue
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
    written.append(_write(out_dir / "static" / "web.css", (static_dir() / "web.css").read_bytes()))
    return written


def _write(path: Path, data: bytes) -> Path:
    """``path`` written whole (a reader of a published folder never sees half a page); ``WriteFailed`` naming it."""
    make_folder(path.parent)
    return write_atomic(path, data)
