"""Rendering the web pages: one Jinja2 environment over ``templates/web/``.

Used by the app and by the static archive build alike, so a page looks the
same served or written to disk. ``root`` is the prefix of absolute links
("" when served, the public URL in a static site) and ``static`` where the
CSS file lives.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

import leadex_mail
from leadex_mail.web.i18n import catalog, languages


def templates_dir() -> Path:
    """``templates/web``: inside the installed package, else in the source tree."""
    packaged = Path(leadex_mail.__file__).parent / "_templates" / "web"
    if packaged.is_dir():
        return packaged
    return Path(leadex_mail.__file__).resolve().parents[2] / "templates" / "web"


def static_dir() -> Path:
    """The folder of static files (the one CSS file)."""
    return templates_dir() / "static"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment: autoescaped, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language_choices() -> list[tuple[str, str]]:
    """``(code, name)`` of every language with a catalog, each name in its own language."""
    return [(code, catalog(code).t("language_name")) for code in languages()]


def render_page(
    template: str,
    language: str,
    *,
    title_key: str,
    root: str = "",
    static: str = "/static",
    nav: str | None = None,
    switch: bool = False,
    noindex: bool = True,
    **context: Any,
) -> str:
    """Render one page in ``language``; ``title_key`` names the catalog string of its title."""
    cat = catalog(language)
    values: dict[str, Any] = {
        "lang": cat.language,
        "t": cat.t,
        "title": cat.t(title_key),
        "root": root,
        "static": static,
        "nav": nav,
        "switch": language_choices() if switch else None,
        "noindex": noindex,
        "paragraphs": (),
        "links": (),
    }
    values.update(context)
    return environment().get_template(template).render(values)
