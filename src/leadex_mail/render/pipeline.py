"""Compile an edition: Jinja2 -> MJML -> HTML -> targeted CSS inlining, plus the text part.

An edition is compiled once per content: the result is cached in memory by
its ``content_hash`` (edition + brand + templates + settings that change
the output) and by the modification stamps of its image files. Values that
differ per recipient stay placeholders (``render.result.PLACEHOLDERS``) and
are filled later by ``RenderedEdition.personalise``.

CSS inlining is targeted: MJML already writes its layout styles inline, so
only our small content stylesheet (``content_css``: paragraphs, links,
lists) is inlined with css-inline; MJML's ``<style>`` blocks (media queries,
Outlook fixes) are left as they are. css-inline rewrites the doctype in
upper case; the lower-case ``<!doctype html>`` MJML wrote is put back.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import css_inline
import jinja2
import mjml

import leadex_mail
from leadex_mail.config import Settings
from leadex_mail.content.model import Edition, Issue
from leadex_mail.errors import RenderError
from leadex_mail.render import i18n, markdown
from leadex_mail.render.context import RenderHelpers, local_image_paths
from leadex_mail.render.palette import Palette, palette
from leadex_mail.render.result import InlineImage, RenderedEdition

HTML_TEMPLATE = "edition.mjml.j2"
TEXT_TEMPLATE = "edition.txt.j2"
CACHE_SIZE = 32
_cache: OrderedDict[str, RenderedEdition] = OrderedDict()


def templates_dir() -> Path:
    """The email templates: packaged in the wheel, else the repository's ``templates/email``."""
    package = Path(leadex_mail.__file__).parent
    packaged = package / "_templates" / "email"
    return packaged if packaged.is_dir() else package.parents[1] / "templates" / "email"


def _underline(text: str, char: str = "-") -> str:
    last = text.splitlines()[-1] if text else ""
    return f"{text}\n{char * len(last)}"


@lru_cache(maxsize=4)
def environment(folder: Path) -> jinja2.Environment:
    """The Jinja2 environment over ``folder``: strict, escaping everything but the text part."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,  # templates edited during `preview` are picked up
    )
    env.filters["wrap"] = markdown.wrap
    env.filters["underline"] = _underline
    return env


_template_hashes: dict[tuple[str, int, int], str] = {}


def templates_version() -> str:
    """A hash of every template and catalog file, recomputed only for files that changed."""
    files = sorted(templates_dir().rglob("*.j2")) + sorted(i18n.CATALOG_DIR.glob("*.toml"))
    digest = hashlib.sha256(leadex_mail.__version__.encode())
    for path in files:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in _template_hashes:
            _template_hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(path.name.encode() + _template_hashes[key].encode())
    return digest.hexdigest()


def content_hash(issue: Issue, edition: Edition, settings: Settings) -> str:
    """sha256 of the edition's canonical JSON, the brand, the templates and the image base URL."""
    payload = {
        "slug": issue.slug,
        "edition": edition.model_dump(mode="json"),
        "brand": issue.brand.model_dump(mode="json"),
        "templates": templates_version(),
        "images_url": settings.images_url,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _images_stamp(issue: Issue, edition: Edition) -> str:
    stamps = []
    for path in local_image_paths(issue, edition):
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
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    rendered = compile_edition(issue, edition, settings, digest)
    _cache[key] = rendered
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return rendered


def render_issue(issue: Issue, settings: Settings) -> dict[str, RenderedEdition]:
    """Every edition of ``issue``, by language."""
    return {language: render_edition(issue, language, settings) for language in issue.editions}


def clear_cache() -> None:
    """Forget compiled editions (benchmarks force a compile with this)."""
    _cache.clear()


def compile_edition(issue: Issue, edition: Edition, settings: Settings, digest: str | None = None) -> RenderedEdition:
    """Compile one edition without the cache: templates, MJML, inlining, text."""
    helpers = RenderHelpers(issue, edition, settings)
    env = environment(templates_dir())
    try:
        mjml_source = env.get_template(HTML_TEMPLATE).render(helpers.context())
        text = env.get_template(TEXT_TEMPLATE).render(helpers.context())
    except jinja2.TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise RenderError(f"email template failed: {exc}{where}", hint="fix the template under templates/email/") from None
    html = to_html(mjml_source, palette(issue.brand))
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


def content_css(colors: Palette) -> str:
    """The stylesheet inlined into rich text (Markdown output and footer links)."""
    return (
        f"a {{ color: {colors.link}; text-decoration: underline; }}"
        f"a.lx-quiet {{ color: {colors.footer_link}; }}"
        "p { margin: 0 0 12px 0; }"
        "ul, ol { margin: 0 0 12px 0; padding-left: 22px; }"
        "li { margin: 0 0 4px 0; }"
    )


@lru_cache(maxsize=8)
def _inliner(css: str) -> css_inline.CSSInliner:
    return css_inline.CSSInliner(
        inline_style_tags=False,  # MJML's own styles are media queries and resets: leave them alone
        keep_style_tags=True,
        keep_link_tags=True,
        load_remote_stylesheets=False,
        extra_css=css,
    )


def to_html(mjml_source: str, colors: Palette) -> str:
    """MJML to final HTML with the content stylesheet inlined."""
    try:
        html = mjml.mjml2html(mjml_source, disable_comments=True)
    except Exception as exc:  # mjml-python raises plain exceptions from Rust
        raise RenderError(f"MJML could not be compiled: {exc}", hint="check the email templates") from None
    try:
        inlined = _inliner(content_css(colors)).inline(html)
    except css_inline.InlineError as exc:
        raise RenderError(f"CSS inlining failed: {exc}") from None
    if inlined[:15].upper() == "<!DOCTYPE HTML>":
        inlined = "<!doctype html>" + inlined[15:]
    return inlined


def _tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"
