"""Compile an edition: Jinja2 -> MJML -> HTML (rich text styled by css-inline first), plus the text part.

An edition is compiled once per content: the result is cached in memory by
its ``content_hash`` (edition + brand + templates + settings that change
the output) and by the modification stamps of its image files. Values that
differ per recipient stay placeholders (``render.result.PLACEHOLDERS``) and
are filled later by ``RenderedEdition.personalise``.

CSS inlining is targeted: MJML already writes its layout styles inline;
only the rich-text fragments get our content stylesheet inlined with
css-inline, before MJML (see ``styles``). The document MJML writes is the
final HTML: its doctype, media queries and Outlook comments stay intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import jinja2
import mjml

import leadex_mail
from leadex_mail.config import Settings
from leadex_mail.content.model import Edition, Issue
from leadex_mail.errors import RenderError
from leadex_mail.render import i18n, markdown
from leadex_mail.render.context import RenderHelpers, local_image_paths
from leadex_mail.render.images import cache_dir
from leadex_mail.render.result import InlineImage, RenderedEdition

HTML_TEMPLATE = "edition.mjml.j2"
TEXT_TEMPLATE = "edition.txt.j2"
CACHE_SIZE = 32
T = TypeVar("T")
_cache: OrderedDict[str, RenderedEdition] = OrderedDict()
_lock = threading.Lock()


def templates_dir() -> Path:
    """The email templates: packaged in the wheel, else the repository's ``templates/email``."""
    package = Path(leadex_mail.__file__).parent
    packaged = package / "_templates" / "email"
    return packaged if packaged.is_dir() else package.parents[1] / "templates" / "email"


def _underline(text: str, char: str = "-") -> str:
    last = text.splitlines()[-1] if text else ""
    return f"{text}\n{char * len(last)}"


@lru_cache(maxsize=4)
def environment(folder: Path, version: str = "") -> jinja2.Environment:
    """The Jinja2 environment over ``folder``: strict, escaping everything but the text part.

    ``version`` (``templates_version()``) keys the cache: an edited template
    gives a new environment, so no per-include freshness check is needed.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        bytecode_cache=_bytecode_cache(),
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["wrap"] = markdown.wrap
    env.filters["underline"] = _underline
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the image cache: a cold CLI run skips Jinja's compiler."""
    folder = cache_dir().parent / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


# Module-level caches shared by every thread (the web app and the studio render from several):
# none of them is ever iterated while another thread may change it. ``_listing`` is replaced
# whole (one assignment), never changed in place; the dicts are only read, set and popped by key.
_template_hashes: dict[tuple[str, int, int], str] = {}
_listing: tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]] | None = None  # (folders, their stamps, files)


def _template_file_list() -> tuple[str, ...]:
    """Template and catalog files; globbed again only when a folder's contents change."""
    global _listing
    listing = _listing  # read once: another thread may put a new listing in its place, never change this one
    if listing is not None:
        folders, stamp, files = listing
        if tuple(os.stat(d).st_mtime_ns for d in folders) == stamp:
            return files
    root = templates_dir()
    folders = (str(root), *(str(p) for p in sorted(root.rglob("*")) if p.is_dir()), str(i18n.CATALOG_DIR))
    stamp = tuple(os.stat(d).st_mtime_ns for d in folders)
    files = tuple(str(p) for p in sorted(root.rglob("*.j2")) + sorted(i18n.CATALOG_DIR.glob("*.toml")))
    _listing = (folders, stamp, files)
    return files


def templates_version() -> str:
    """A hash of every template and catalog file, re-reading only files that changed (a few ``stat`` calls)."""
    digest = hashlib.sha256(leadex_mail.__version__.encode())
    for path in _template_file_list():
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in _template_hashes:
            with open(path, "rb") as fh:
                _template_hashes[key] = hashlib.sha256(fh.read()).hexdigest()
        digest.update(_template_hashes[key].encode())
    return digest.hexdigest()


# What was computed for each issue object, by key: ``{id(issue): {key: value}}``. An issue's
# entry goes when the issue is collected, by a finalizer -- and a finalizer runs in whichever
# thread drops the last reference or runs the cyclic collector, at any point of that thread's
# work. So this dict is never iterated (that raised "dictionary changed size during iteration"
# in ``send-test`` when an earlier issue was collected by another thread meanwhile) and no lock
# is taken (a finalizer run by the collector inside the locked region would wait for itself):
# only ``get``, ``setdefault`` and ``pop`` by key, each one step under the GIL.
_memo: dict[int, dict[object, object]] = {}
_MISSING = object()


def _per_issue(issue: Issue, key: object, compute: Callable[[], T]) -> T:
    """``compute()`` remembered per issue object (issues are frozen) until it is garbage collected."""
    slots = _memo.get(id(issue))
    if slots is None:
        fresh: dict[object, object] = {}
        slots = _memo.setdefault(id(issue), fresh)
        if slots is fresh:  # this thread made the entry: it alone registers its removal
            weakref.finalize(issue, _memo.pop, id(issue), None)
    value = slots.get(key, _MISSING)
    if value is _MISSING:
        value = slots.setdefault(key, compute())
    return value  # type: ignore[return-value]


def content_hash(issue: Issue, edition: Edition, settings: Settings) -> str:
    """sha256 of the edition's canonical JSON, the brand, the templates and the image base URL."""
    version = templates_version()
    key = ("hash", edition.language, settings.images_url, version)
    return _per_issue(issue, key, lambda: _content_hash(issue, edition, settings, version))


def _content_hash(issue: Issue, edition: Edition, settings: Settings, version: str) -> str:
    payload = {
        "slug": issue.slug,
        "edition": edition.model_dump(mode="json"),
        # The privacy block is not rendered (footers link to /privacy): editing it mid-campaign changes no mail.
        "brand": issue.brand.model_dump(mode="json", exclude={"privacy"}),
        "templates": version,
        "images_url": settings.images_url,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _images_stamp(issue: Issue, edition: Edition) -> str:
    stamps = []
    for path in _per_issue(issue, ("images", edition.language), lambda: local_image_paths(issue, edition)):
        try:
            stat = path.stat()
            stamps.append(f"{path}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            stamps.append(f"{path}:missing")
    return "|".join(stamps)


def render_edition(issue: Issue, language: str, settings: Settings) -> RenderedEdition:
    """Compile the edition of ``issue`` in ``language`` (or the default edition) to HTML and text.

    Cached: a second call with unchanged content returns the same object.
    """
    edition = issue.edition(language)
    digest = content_hash(issue, edition, settings)
    key = f"{digest}|{_images_stamp(issue, edition)}"
    with _lock:  # the web app renders from several threads
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    rendered = compile_edition(issue, edition, settings, digest)
    with _lock:
        _cache[key] = rendered
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rendered


def render_issue(issue: Issue, settings: Settings) -> dict[str, RenderedEdition]:
    """Every edition of ``issue``, by language."""
    return {language: render_edition(issue, language, settings) for language in issue.editions}


def clear_cache() -> None:
    """Forget compiled editions (benchmarks force a compile with this)."""
    with _lock:
        _cache.clear()


def compile_edition(issue: Issue, edition: Edition, settings: Settings, digest: str | None = None) -> RenderedEdition:
    """Compile one edition without the cache: templates, MJML, inlining, text."""
    helpers = RenderHelpers(issue, edition, settings)
    env = environment(templates_dir(), templates_version())
    try:
        mjml_source = env.get_template(HTML_TEMPLATE).render(helpers.context())
        text = env.get_template(TEXT_TEMPLATE).render(helpers.context())
    except jinja2.TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise RenderError(f"email template failed: {exc}{where}", hint="fix the template under templates/email/") from None
    html = to_html(mjml_source)
    images = tuple(InlineImage(p.cid, p.filename, p.mime_type, p.data) for p in helpers.images.values())
    return RenderedEdition(
        slug=issue.slug,
        language=edition.language,
        subject=edition.subject,
        preheader=edition.preheader,
        html=html,
        text=_tidy_text(text),
        content_hash=digest or content_hash(issue, edition, settings),
        inline_images=images,
    )


def to_html(mjml_source: str) -> str:
    """MJML to final HTML (rich text was styled before, fragment by fragment: see ``styles``)."""
    try:
        return mjml.mjml2html(mjml_source, disable_comments=True)
    except Exception as exc:  # mjml-python raises plain exceptions from Rust
        raise RenderError(f"MJML could not be compiled: {exc}", hint="check the email templates") from None


def _tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"
