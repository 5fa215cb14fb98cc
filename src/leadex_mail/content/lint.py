"""Findings about a valid issue: things that load fine but should not be sent as they are.

``lint_issue`` reports two severities. Errors are what ``send`` refuses
(unless ``--force``): unfinished links (``#``, empty, no host, a bare
stand-in domain) and images without a useful alt text (``unfinished.py``), text or pictures left from the ``new`` scaffold or still marked for
translation (``scaffold.draft_problems``), and editions that disagree on the
issue's number or date, or on a date a section carries (an event's days), or on how many items a list of a
section has (``itemlists``: an event, a partner, an interview added or removed in one edition only). Warnings are worth a look but do not stop a send:
images too heavy for mail, a missing preheader, a one-line field written over several lines (``onelines``), a subject longer than mail
apps show, links over ``http://`` (in a link field or in a text), an issue number another issue beside it has
(``numbering``), and editions that lack a section the default
edition has or whose sections are not the default edition's, kind by kind, in the same order.
Link texts that say nothing about where they lead (``linkpurpose``, the send gate's rule) are errors, and so
is link or bold syntax the mail would show as typed (``mdliterals``); an address written as plain words warns. Each
finding names file and line (from the loader's source maps). The render
layer adds its own (HTML size, contrast) for the ``check`` command.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from leadex_mail.config import Settings
from leadex_mail.content.checks import markdown_tokens
from leadex_mail.content.dates import WrittenDate
from leadex_mail.content.languages import same_language
from leadex_mail.content.itemlists import item_count_problems
from leadex_mail.content.linkpurpose import link_purpose_problems
from leadex_mail.content.numbering import number_taken_problems
from leadex_mail.content.onelines import line_break_problems
from leadex_mail.content.mailrules import mail_rule_problems
from leadex_mail.content.mdliterals import literal_markdown_problems
from leadex_mail.content.loader import default_brand_located, edition_files, image_path, issue_locations
from leadex_mail.content.model import Brand, Edition, Image, Issue
from leadex_mail.content.scaffold import draft_data_problems, draft_problems
from leadex_mail.content.unfinished import unfinished_alt, unfinished_url
from leadex_mail.content.walk import images, leaves
from leadex_mail.content.yamlsource import SourceMap, YamlSyntaxProblem, load_yaml
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
        problems.extend(_section_places(edition, smap))
        problems.extend(_same_language(issue, language, smap))
        if language != issue.default_language:
            problems.extend(item_count_problems(edition, default, smap))
            problems.extend(_disagreements(edition, default, smap))
            problems.extend(_missing_sections(edition, default, smap))
            problems.extend(_sections_out_of_line(edition, default, smap))
    problems.extend(number_taken_problems(issue, locations.edition(issue.default_language)))
    if locations.brand is not None:
        problems.extend(_lint_model(issue, issue.brand, Brand, locations.brand))
    return problems


def unloaded_findings(folder: Path, settings: Settings, found: Sequence[Problem]) -> list[Problem]:
    """What the check can still say of an issue in ``folder`` that does not load (``found``: loading's problems).

    A required field left empty stops validation, and with it every check
    that needs the edition as a whole; "4 errors, 0 warnings" was then not
    the whole story (a13d). Each edition file that reads as fields is looked
    at as it is: its unfinished and ``http://`` links, what ``new`` left
    (✎ marks, example texts and picture), a missing preheader, a long subject;
    then the privacy notice. Findings ``found`` already has are left out.
    """
    problems: list[Problem] = []
    for file in edition_files(folder).values():
        try:
            data, smap = load_yaml(file, str(file))
        except (YamlSyntaxProblem, OSError):
            continue
        if not isinstance(data, dict):
            continue
        problems.extend(_link_findings(data, Edition, smap))
        problems.extend(draft_data_problems(data, smap))
        if not data.get("preheader"):
            problems.append(_warn(smap, ("preheader",), "the edition has no preheader", "add `preheader:`, the line mail apps show after the subject", "edition.no_preheader"))
        subject = data.get("subject")
        if isinstance(subject, str) and len(subject) > MAX_SUBJECT:
            problems.append(_warn(smap, ("subject",), f"the subject is {len(subject)} characters long; mail apps cut it after about {MAX_SUBJECT}", "shorten it", "edition.subject_too_long", n=len(subject), max=MAX_SUBJECT))
    problems.extend(privacy_findings(settings))
    said = {(p.file, p.path, p.code) for p in found}
    return [p for p in problems if (p.file, p.path, p.code) not in said]


# The controller fields the privacy notice at /privacy cannot do without (GDPR Art. 13(1)(a), 13(2)(d)).
PRIVACY_FIELDS = {
    "controller": ("who keeps subscribers' data (the controller)", "controller: Občina Primer, Urad za evropske projekte"),
    "address": ("the controller's postal address", "address: Trg 1, 1000 Ljubljana, Slovenija"),
    "email": ("where people write about their data", "email: privacy@example.org"),
    "authority": ("which supervisory authority people may complain to", "authority: Informacijski pooblaščenec (www.ip-rs.si)"),
}


def privacy_findings(settings: Settings) -> list[Problem]:
    """One warning naming every controller field of the default brand's ``privacy`` left empty; none when all are filled.

    The default brand file's, whatever brand an issue names: that is the one
    ``serve`` builds the notice at /privacy from, which every footer links to
    (it says "not stated yet" there). ``check`` reports it; ``lint_issue``
    does not (it is about the site, not the issue). One finding, not one per
    field: a fresh folder lacks all four, and four warnings on every edition
    said one thing four times (a13d). ``args["field"]``: the missing fields'
    names, comma-separated (``"controller,address"``). A brand file that does
    not load is reported by loading, not here.
    """
    try:
        brand, smap = default_brand_located(settings)
    except ContentError:
        return []
    missing = [name for name in PRIVACY_FIELDS if not getattr(brand.privacy, name).strip()]
    if not missing:
        return []
    whats = [PRIVACY_FIELDS[name][0] for name in missing]
    said = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " or " + whats[-1]
    lines = ", ".join(f"`{PRIVACY_FIELDS[name][1]}`" for name in missing)
    # key=True: a missing field has no line of its own; the `privacy:` key's line is the place to add it
    return [
        smap.problem(
            ("privacy",), f"the privacy notice does not say {said}", f"in the brand file, under `privacy:`, write {lines} (before the first send to a list)",
            severity="warning", key=True, code="privacy.missing", args={"field": ",".join(missing)},
        )
    ]


def _lint_edition(issue: Issue, edition: Edition, smap: SourceMap) -> list[Problem]:
    problems = _lint_model(issue, edition, Edition, smap)
    problems.extend(link_purpose_problems(edition, smap))
    problems.extend(mail_rule_problems(edition, Path(issue.folder), smap))
    if not edition.preheader:
        problems.append(_warn(smap, ("preheader",), "the edition has no preheader", "add `preheader:`, the line mail apps show after the subject", "edition.no_preheader"))
    if len(edition.subject) > MAX_SUBJECT:
        problems.append(
            _warn(smap, ("subject",), f"the subject is {len(edition.subject)} characters long; mail apps cut it after about {MAX_SUBJECT}", "shorten it", "edition.subject_too_long", n=len(edition.subject), max=MAX_SUBJECT)
        )
    return problems


def _lint_model(issue: Issue, model: BaseModel, cls: type[BaseModel], smap: SourceMap) -> list[Problem]:
    data = model.model_dump()
    problems = list(_link_findings(data, cls, smap))
    problems.extend(line_break_problems(data, cls, smap))
    for path, image in images(data, cls):
        problems.extend(_image_findings(issue, image, path, smap))
    return problems


def _link_findings(data: dict[str, Any], cls: type[BaseModel], smap: SourceMap) -> Iterator[Problem]:
    hint = "put the real address (https://...) of the page in its place"
    for leaf in leaves(data, cls):
        if leaf.kind == "url" and isinstance(leaf.value, str) and _plain_http(leaf.value):
            yield _not_https(smap, leaf.path, leaf.value)
        elif leaf.kind == "url" and isinstance(leaf.value, str) and (why := unfinished_url(leaf.value)):
            if leaf.value in ("", "#"):
                yield _error(smap, leaf.path, f"the link address is {'empty' if not leaf.value else 'a placeholder ' + repr(leaf.value)}", hint, "link.unfinished")
            else:
                yield _error(smap, leaf.path, f"the link address {leaf.value!r} is not a real address: {why}", hint, "link.unfinished")
        elif leaf.kind == "markdown" and isinstance(leaf.value, str):
            for token in markdown_tokens(leaf.value):
                href = token.attrs.get("href", "") if token.type == "link_open" else None
                if isinstance(href, str) and _plain_http(href):
                    yield _not_https(smap, leaf.path, href, leaf.value)
                elif isinstance(href, str) and (why := unfinished_url(href)):
                    message = f"a link in the text has no real address ({href!r}" + (")" if href in ("", "#") else f": {why})")
                    yield smap.problem_in(leaf.path, leaf.value, f"]({href})", message, hint, code="link.unfinished")
            yield from literal_markdown_problems(leaf.value, leaf.path, smap)


def _plain_http(url: str) -> bool:
    """True for a web address without encryption (``http://``) that is otherwise finished."""
    return url.strip().lower().startswith("http://") and unfinished_url(url) is None


def _not_https(smap: SourceMap, path: tuple, url: str, text: str | None = None) -> Problem:
    """The one finding for an ``http://`` link, in a link field or in a text (``text``: the Markdown it stands in)."""
    message = f"the link address {url!r} starts with http://, not https://: the page opens without encryption, and some mail programs warn about it"
    hint = "write the address starting with https:// (most sites have one); keep http:// only if the site has no other"
    if text is not None:
        return smap.problem_in(path, text, f"]({url}", message, hint, code="link.not_https", severity="warning", args={"url": url})
    return _warn(smap, path, message, hint, "link.not_https", url=url)


def _image_findings(issue: Issue, image: dict[str, Any], path: tuple, smap: SourceMap) -> list[Problem]:
    problems = []
    why = unfinished_alt(image.get("alt") or "", image.get("src"))
    if why and not image.get("decorative"):
        problems.append(_error(smap, (*path, "alt"), why, "describe what it shows in `alt:` (who, what, where), or mark it `decorative: true`", "picture.no_alt"))
    file = image_path(issue, Image(**image))
    if file is not None and file.is_file() and file.stat().st_size > MAX_IMAGE_BYTES:
        size_kb = file.stat().st_size // 1024
        problems.append(
            _warn(smap, (*path, "src"), f"image {image['src']!r} is {size_kb} KB (over {MAX_IMAGE_BYTES // 1024} KB)", "resize it to at most 1200 px wide and save as JPEG quality ~80", "picture.heavy", size=size_kb, max=MAX_IMAGE_BYTES // 1024)
        )
    return problems


def _disagreements(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    """Errors where ``edition`` gives another number or date than the default edition (one issue has one of each)."""
    problems = []
    if edition.number != default.number:
        message = f"the {edition.language} edition is No. {edition.number}, the {default.language} edition No. {default.number}"
        problems.append(_error(smap, ("number",), message, f"every edition of one issue has the same number: write `number: {default.number}` (or correct the {default.language} edition)", "edition.number_differs", other=default.number, other_language=default.language))
    if edition.date != default.date:
        message = f"the {edition.language} edition is dated {edition.date}, the {default.language} edition {default.date}"
        problems.append(_error(smap, ("date",), message, f"every edition of one issue has the same date: write `date: {default.date}` (or correct the {default.language} edition)", "edition.date_differs", other=default.date, other_language=default.language))
    problems.extend(_section_date_disagreements(edition, default, smap))
    return problems


def _section_date_disagreements(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    """Errors where a section's date (an event's ``date``/``end_date``, any ``WrittenDate`` field) differs from the default edition's.

    A translation translates words, never when things happen. The n-th section of a type is paired
    with the default edition's n-th of that type (a translation may lack a section: ``_missing_sections``).
    """
    theirs: dict[str, list[tuple[int, BaseModel]]] = {}
    for index, section in enumerate(default.sections):
        theirs.setdefault(section.type, []).append((index, section))
    seen: dict[str, int] = {}
    problems = []
    for index, section in enumerate(edition.sections):
        nth = seen[section.type] = seen.get(section.type, -1) + 1
        pair = theirs.get(section.type, [])
        if nth >= len(pair):
            continue
        for path, mine, other in _dates_apart(section, pair[nth][1], ("sections", index)):
            field = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path[2:]).replace(".[", "[")
            where = f"section {index + 1} ({section.type}), {field}"
            message = f"{where}: the {edition.language} edition says {_said(mine)}, the {default.language} edition {_said(other)}"
            hint = f"every edition gives the same dates: write `{path[-1]}: {other}`" if other is not None else f"remove `{path[-1]}:` as the {default.language} edition has none"
            problems.append(_error(smap, path, message, f"{hint} (or correct the {default.language} edition)", "edition.section_date_differs", other=_said(other), other_language=default.language))
    return problems


def _said(value: WrittenDate | None) -> str:
    return str(value) if value is not None else "no date"


def _dates_apart(mine: Any, other: Any, path: tuple) -> Iterator[tuple[tuple, WrittenDate | None, WrittenDate | None]]:
    """``(path, mine, other)`` for each dated field under ``mine`` whose value differs in ``other`` (same shape, walked together)."""
    if isinstance(mine, BaseModel) and type(other) is type(mine):
        for name, field in type(mine).model_fields.items():
            a, b = getattr(mine, name), getattr(other, name)
            if isinstance(a, WrittenDate) or isinstance(b, WrittenDate) or _is_dated(field.annotation):
                if _as_written(a) != _as_written(b):  # 2026-03 and 2026-03-01 are equal dates but say different things
                    yield (*path, name), a, b
            else:
                yield from _dates_apart(a, b, (*path, name))
    elif isinstance(mine, list) and isinstance(other, list) and len(mine) == len(other):
        # Lists of another length are not paired item by item: ``item_count_problems`` says that, not a date apart.
        for index, (a, b) in enumerate(zip(mine, other)):
            yield from _dates_apart(a, b, (*path, index))


def _as_written(value: Any) -> Any:
    return (value, value.precision) if isinstance(value, WrittenDate) else value


def _is_dated(annotation: Any) -> bool:
    return annotation is WrittenDate or WrittenDate in getattr(annotation, "__args__", ())


def _missing_sections(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    have = {section.type for section in edition.sections}
    missing = [s.type for s in default.sections if s.type not in have]
    return [
        _warn(smap, ("sections",), f"the {edition.language} edition has no {kind!r} section; the {default.language} edition has one", "add it, or check that nothing was left out in translation", "edition.section_missing", section=kind, other_language=default.language)
        for kind in dict.fromkeys(missing)
    ]


def _sections_out_of_line(edition: Edition, default: Edition, smap: SourceMap) -> list[Problem]:
    """A warning at the first section where ``edition``'s sequence of section kinds leaves the default edition's.

    A translation translates the default edition section by section: the
    studio shows them side by side and marks "needs update" by position, so
    a section moved, added or removed in one edition only pairs every later
    section with the wrong original. A subscriber of the translation still
    gets a whole, working mail (each section carries its own words, links and
    pictures), which is why this warns and does not stop a send
    (docs/decisions.md); one finding at the first place they part, as every
    later section is shifted by it.
    """
    mine, theirs = [s.type for s in edition.sections], [s.type for s in default.sections]
    if mine == theirs:
        return []
    at = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
    where = f"the {edition.language} edition has {len(mine)} sections, the {default.language} edition {len(theirs)}" if len(mine) != len(theirs) else "the sections are in another order"
    if at < len(mine) and at < len(theirs):
        message = f"section {at + 1} is a {mine[at]!r} section, but the {default.language} edition has a {theirs[at]!r} section there ({where})"
    elif at < len(theirs):
        message = f"the {edition.language} edition ends after section {at}, but the {default.language} edition has a {theirs[at]!r} section {at + 1} ({where})"
    else:
        message = f"section {at + 1} ({mine[at]!r}) has no counterpart: the {default.language} edition has {len(theirs)} sections"
    hint = (
        f"give every edition the sections of the {default.language} edition in the same order ({', '.join(theirs)}), "
        "so that each section translates the one beside it: move, add or remove sections (in the studio: Move up, Move down, Remove)"
    )
    path: tuple = ("sections", at) if at < len(mine) else ("sections",)
    return [smap.problem(path, message, hint, code="edition.sections_differ", severity="warning", key=at >= len(mine),
                         args={"n": at + 1, "section": theirs[at] if at < len(theirs) else mine[at], "other_language": default.language})]


# Section kinds the mail has one of, at the top: the header carries the issue's title (the message's one <h1>), its
# month and the logo, so a second one repeats them mid-mail and one further down puts the title under other news.
ONCE_AT_THE_TOP = ("masthead",)


def _section_places(edition: Edition, smap: SourceMap) -> list[Problem]:
    """A warning at each section of a kind the mail has once, at the top (``ONCE_AT_THE_TOP``), standing elsewhere.

    A second one of the kind is said to be one too many; a first one below
    another section, to belong at the top. Warnings: the mail still renders
    and reads, but not as a newsletter should.
    """
    problems, first = [], {}
    for index, section in enumerate(edition.sections):
        kind = section.type
        if kind not in ONCE_AT_THE_TOP:
            continue
        path = ("sections", index)
        if kind in first:
            message = f"section {index + 1} is a second {kind!r} section (section {first[kind] + 1} is one): an edition has one"
            hint = f"remove one of them; the {kind} section shows the issue's title, month and logo once, at the top"
            problems.append(_warn(smap, path, message, hint, "edition.section_repeated", section=kind, n=first[kind] + 1))
            continue
        first[kind] = index
        if index:
            message = f"section {index + 1} is the {kind!r} section, below section 1: it belongs at the top"
            hint = f"move it up to be the first section; the {kind} section shows the issue's title, month and logo"
            problems.append(_warn(smap, path, message, hint, "edition.section_not_first", section=kind))
    return problems


def _same_language(issue: Issue, language: str, smap: SourceMap) -> list[Problem]:
    """An error at the ``language`` of an edition that is another edition's language (``sl-SI`` beside ``sl``).

    Said at the edition with the longer code (the one a region was added
    to); ``content.languages.same_language`` is the rule.
    """
    return [
        _error(
            smap, ("language",),
            f"the {language} edition is in the same language as the {other} edition: {language} says nothing {other} does not, "
            "and subscribers would get one or the other by how their language happens to be written",
            f"keep one edition per language: move what the {language} edition has into the {other} edition and delete {language}.yaml",
            "edition.same_language", other_language=other,
        )  # fmt: skip
        for other in issue.editions
        if same_language(language, other) and len(language) > len(other)  # sl-SI beside sl: only one has a region
    ]


def _warn(smap: SourceMap, path: tuple, message: str, hint: str | None, code: str, **args: Any) -> Problem:
    return smap.problem(path, message, hint, code=code, severity="warning", args=args)


def _error(smap: SourceMap, path: tuple, message: str, hint: str | None, code: str, **args: Any) -> Problem:
    """A finding ``send`` refuses (see the module docstring); the issue still loads, previews and test-sends."""
    return smap.problem(path, message, hint, code=code, severity="error", args=args)
