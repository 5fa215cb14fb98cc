"""Findings about a valid issue: things that load fine but should not be sent as they are.

``lint_issue`` reports two severities. Errors are what ``send`` refuses
(unless ``--force``): unfinished links (``#``, empty, no host, a bare
stand-in domain) and images without a useful alt text (``unfinished.py``), text or pictures left from the ``new`` scaffold or still marked for
translation (``scaffold.draft_problems``), and editions that disagree on the
issue's number or date. Warnings are worth a look but do not stop a send:
images too heavy for mail, a missing preheader, a subject longer than mail
apps show, and editions that lack a section the default edition has. Each
finding names file and line (from the loader's source maps). The render
layer adds its own (HTML size, contrast) for the ``check`` command.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from leadex_mail.config import Settings
from leadex_mail.content.checks import markdown_tokens
from leadex_mail.content.loader import default_brand_located, image_path, issue_locations
from leadex_mail.content.model import Brand, Edition, Image, Issue
from leadex_mail.content.scaffold import draft_problems
from leadex_mail.content.unfinished import unfinished_alt, unfinished_url
from leadex_mail.content.walk import images, leaves
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import ContentError, Problem

MAX_SUBJECT = 78  # RFC 5322's line length; mail apps cut subjects about here
MAX_IMAGE_BYTES = 200 * 1024


def lint_issue(issue: Issue) -> list[Problem]:
    """Every finding for ``issue`` (errors and warnings): each edition in turn, then the brand."""
    locations = issue_locations(issue)
    problems: list[Problem] = []
    default = issue.edition()
    for language, edition in issue.editions.items():
        smap = locations.edition(language)
        problems.extend(_lint_edition(issue, edition, smap))
        problems.extend(draft_problems(edition, smap))
        if language != issue.default_language:
            problems.extend(_disagreements(edition, default, smap))
            problems.extend(_missing_sections(edition, default, smap))
    if locations.brand is not None:
        problems.extend(_lint_model(issue, issue.brand, Brand, locations.brand))
    return problems


# The controller fields the privacy notice at /privacy cannot do without (GDPR Art. 13(1)(a), 13(2)(d)).
PRIVACY_FIELDS = {
    "controller": ("who keeps subscribers' data (the controller)", "controller: Občina Primer, Urad za evropske projekte"),
    "address": ("the controller's postal address", "address: Trg 1, 1000 Ljubljana, Slovenija"),
    "email": ("where people write about their data", "email: privacy@example.org"),
    "authority": ("which supervisory authority people may complain to", "authority: Informacijski pooblaščenec (www.ip-rs.si)"),
}


def privacy_findings(settings: Settings) -> list[Problem]:
    """Warnings for each controller field of the default brand's ``privacy`` left empty.

    The default brand file's, whatever brand an issue names: that is the one
    ``serve`` builds the notice at /privacy from, which every footer links to
    (it says "not stated yet" there). ``check`` reports them; ``lint_issue``
    does not (they are about the site, not the issue). A brand file that does
    not load is reported by loading, not here.
    """
    try:
        brand, smap = default_brand_located(settings)
    except ContentError:
        return []
    return [
        # key=True: a missing field has no line of its own; its parent key's line is the place to add it
        smap.problem(
            ("privacy", name), f"the privacy notice does not say {what}", f"in the brand file, under `privacy:`, write `{example}`", severity="warning", key=True
        )
        for name, (what, example) in PRIVACY_FIELDS.items()
        if not getattr(brand.privacy, name).strip()
    ]


def _lint_edition(issue: Issue, edition: Edition, smap: SourceMap) -> list[Problem]:
    problems = _lint_model(issue, edition, Edition, smap)
    if not edition.preheader:
        problems.append(_warn(smap, ("preheader",), "the edition has no preheader", "add `preheader:`, the line mail apps show after the subject"))
    if len(edition.subject) > MAX_SUBJECT:
        problems.append(
            _warn(smap, ("subject",), f"the subject is {len(edition.subject)} characters long; mail apps cut it after about {MAX_SUBJECT}", "shorten it")
        )
    return problems


def _lint_model(issue: Issue, model: BaseModel, cls: type[BaseModel], smap: SourceMap) -> list[Problem]:
    data = model.model_dump()
    problems = list(_link_findings(data, cls, smap))
    for path, image in images(data, cls):
        problems.extend(_image_findings(issue, image, path, smap))
    return problems


def _link_findings(data: dict[str, Any], cls: type[BaseModel], smap: SourceMap) -> Iterator[Problem]:
    hint = "put the real address (https://...) of the page in its place"
    for leaf in leaves(data, cls):
        if leaf.kind == "url" and isinstance(leaf.value, str) and (why := unfinished_url(leaf.value)):
            if leaf.value in ("", "#"):
                yield _error(smap, leaf.path, f"the link address is {'empty' if not leaf.value else 'a placeholder ' + repr(leaf.value)}", hint)
            else:
                yield _error(smap, leaf.path, f"the link address {leaf.value!r} is not a real address: {why}", hint)
        elif leaf.kind == "markdown" and isinstance(leaf.value, str):
            for token in markdown_tokens(leaf.value):
                href = token.attrs.get("href", "") if token.type == "link_open" else None
                if isinstance(href, str) and (why := unfinished_url(href)):
                    message = f"a link in the text has no real address ({href!r}" + (")" if href in ("", "#") else f": {why})")
                    yield smap.problem_in(leaf.path, leaf.value, f"]({href})", message, hint)


def _image_findings(issue: Issue, image: dict[str, Any], path: tuple, smap: SourceMap) -> list[Problem]:
    problems = []
    why = unfinished_alt(image.get("alt") or "", image.get("src"))
    if why and not image.get("decorative"):
        problems.append(_error(smap, (*path, "alt"), why, "describe what it shows in `alt:` (who, what, where), or mark it `decorative: true`"))
    file = image_path(issue, Image(**image))
    if file is not None and file.is_file() and file.stat().st_size > MAX_IMAGE_BYTES:
        size_kb = file.stat().st_size // 1024
        problems.append(
            _warn(smap, (*path, "src"), f"image {image['src']!r} is {size_kb} KB (over {MAX_IMAGE_BYTES // 1024} KB)", "resize it to at most 1200 px wide and save as JPEG quality ~80")
        )
    return problems


def _disagreements(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    """Errors where ``edition`` gives another number or date than the default edition (one issue has one of each)."""
    problems = []
    if edition.number != default.number:
        message = f"the {edition.language} edition is No. {edition.number}, the {default.language} edition No. {default.number}"
        problems.append(_error(smap, ("number",), message, f"every edition of one issue has the same number: write `number: {default.number}` (or correct the {default.language} edition)"))
    if edition.date != default.date:
        message = f"the {edition.language} edition is dated {edition.date}, the {default.language} edition {default.date}"
        problems.append(_error(smap, ("date",), message, f"every edition of one issue has the same date: write `date: {default.date}` (or correct the {default.language} edition)"))
    return problems


def _missing_sections(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    have = {section.type for section in edition.sections}
    missing = [s.type for s in default.sections if s.type not in have]
    return [
        _warn(smap, ("sections",), f"the {edition.language} edition has no {kind!r} section; the {default.language} edition has one", "add it, or check that nothing was left out in translation")
        for kind in dict.fromkeys(missing)
    ]


def _warn(smap: SourceMap, path: tuple, message: str, hint: str | None) -> Problem:
    return smap.problem(path, message, hint, severity="warning")


def _error(smap: SourceMap, path: tuple, message: str, hint: str | None) -> Problem:
    """A finding ``send`` refuses (see the module docstring); the issue still loads, previews and test-sends."""
    return smap.problem(path, message, hint, severity="error")
