"""``leadex-mail new``: start an issue, or a new language edition of one.

Two starting points:

- A new issue gets one example of every section type. Its number and date
  come from the slug (``2026-09-leadex-02`` -> No. 2, September 2026) and,
  where the slug says nothing, from the latest issue under ``newsletters/``
  (its number + 1) or today.
- A new language of an existing issue (``--lang en``) starts from the
  default edition: the same sections and items in the same order, with every
  text to translate marked and the pictures, links, number and dates kept.

Whatever a person still has to write is marked with ``DRAFT_MARK`` (✎), and
the example picture is ``EXAMPLE_IMAGE``. The file loads cleanly, so the
preview works at once, but ``drafts.draft_problems`` (run by ``check`` and
before ``send``) reports every mark left, every example text kept without its
mark and the example picture, as errors: nothing half-written is sent by accident.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any, Literal

from leadex_mail.config import Settings
from leadex_mail.content.drafts import (  # noqa: F401 (draft_problems, draft_data_problems: their old import path)
    DRAFT_MARK,
    EXAMPLE_IMAGE,
    PLACEHOLDER_WORDS,
    WORDS,
    draft_data_problems,
    draft_problems,
    for_translation,
    marked,
)
from leadex_mail.content.languages import NotALanguage, edition_language, is_edition_language, same_language
from leadex_mail.content.model import Edition, Image, Issue
from leadex_mail.content.schema import SCHEMA_FILE, schema_text
from leadex_mail.content.series import (  # noqa: F401 (all_issues, latest_issue: their old import path)
    PreviousIssue,
    all_issues,
    derive_number_and_date,
    latest_issue,
    numbering_warnings,
)
from leadex_mail.content.walk import images
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import ContentError, EditionExists
from leadex_mail.files import make_folder, write_atomic

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


TEMPLATE = """\
# yaml-language-server: $schema=../{schema}
# A new issue: replace every text marked {mark} (and images/example.png), then run
# `leadex-mail check {slug}`; `send` refuses the issue while any mark is left.
# Every field is described in docs/format.md.
language: {language}
title: {title}
subject: {subject}
preheader: {preheader}
number: {number}
date: {date}  # YYYY-MM-DD; the header shows month and year

sections:
  - type: masthead

  - type: story
    heading: {story}
    image:
      src: {image}
      alt: {alt}
    body: |-
      {body}
    more:
      label: {more}
      url: "#"

  - type: project
    name: LeadEx
    tagline: |-
      Learning about the
      Educational Approach to
      Develop Excellence
    buttons:
      - label: {button}
        url: "#"

  - type: study_visit
    style: spotlight  # or: story
    heading: {visit}
    body: {body}
    interviews_heading: "{interviews}"
    interviews:
      - person: {person}
        role:
        organisation: {organisation}
        url: "#"
        summary: {summary}

  - type: good_practices
    heading: {practices}
    body: {body}
    button:
      label: {explore}
      url: "#"

  - type: events
    heading: {events}
    items:
      - title: {event}
        date: "{mark} {date}"  # the event's first day (or 2026-03, or 2026); never guess: remove it when unknown
        end_date: "{mark} {date}"  # the last day of an event of more days; remove it for one day
        body: {body}
        more:
          label: {more}
          url: "#"

  - type: partners
    heading: {partners}
    items:
      - country: {country}
        organisation: {organisation}
"""

# ``new --start blank``: the fields every edition has and a header; sections are added as needed.
BLANK_TEMPLATE = """\
# yaml-language-server: $schema=../{schema}
language: {language}
title: {title}
subject: {subject}
preheader: {preheader}
number: {number}
date: {date}

sections:
  - type: masthead
"""

PREVIOUS_HEADER = """\
# yaml-language-server: $schema=../{schema}
# Started from {source} by `leadex-mail new`: the same sections, pictures and links.
# Write every text marked {mark} anew and delete the mark; `send` refuses the issue
# while any mark is left. Every field is described in docs/format.md.
"""

STARTS = ("example", "blank", "previous")

TRANSLATION_HEADER = """\
# yaml-language-server: $schema=../{schema}
# The {language} edition, started from {source} by `leadex-mail new`: the same sections
# and items in the same order. Translate every text marked {mark} and delete the mark;
# pictures, links, the number and the dates are kept. `send` refuses the issue while
# any mark is left. Every field is described in docs/format.md.
"""


@dataclass(frozen=True)
class NewEdition:
    """What ``new_issue`` wrote and where its number and date came from.

    ``number_from`` is ``"slug"``, ``"previous"`` (the latest issue's + 1),
    ``"first"`` (no issue before) or ``"edition"`` (a translation keeps the
    default edition's); ``date_from`` is ``"slug"``, ``"today"`` or
    ``"edition"``. ``translated_from`` is the language the edition was
    started from (None for the example scaffold).
    """

    path: Path
    number: int
    date: dt.date
    number_from: Literal["slug", "previous", "first", "edition"]
    date_from: Literal["slug", "today", "edition"]
    previous: PreviousIssue | None = None
    translated_from: str | None = None
    warnings: tuple[str, ...] = ()  # the number another issue has too, or out of date order


def new_issue(slug: str, settings: Settings, language: str = "sl", *, today: dt.date | None = None, start: str = "example") -> NewEdition:
    """Create ``<newsletters_dir>/<slug>/<language>.yaml`` (and ``images/``); say what was written.

    An issue that already has an edition gets the new language as a
    translation of its default edition; otherwise a new issue is written,
    numbered and dated by ``derive_number_and_date``, starting as ``start``
    says: ``example`` (one example of every section type), ``blank`` (the
    edition's fields and a header; sections are added as needed) or
    ``previous`` (the latest issue's sections, pictures and links, its texts
    marked to write anew). Overwriting a file is refused. Raises
    ``ContentError`` for a bad slug, language or start, an existing file, a
    slug with an impossible date, no previous issue to start from, or (for
    a translation) a default edition that does not load.
    """
    if start not in STARTS:
        raise ContentError(f"unknown start {start!r}", hint=f"start from one of: {', '.join(STARTS)}")
    language = _check_names(slug, language)
    folder = settings.newsletters_dir / slug
    target = folder / f"{language}.yaml"
    _refuse_same_language(folder, language)
    if target.exists():
        raise EditionExists(
            f"{target} already exists; leadex-mail new does not overwrite",
            target=target,
            hint=f"choose another slug, add another language with --lang, or edit {target}",
        )
    if folder.is_dir() and _has_editions(folder):
        made = _write_translation(folder, target, language, settings)
        _ensure_schema(settings)
        return made
    number, number_from, date, date_from, previous = derive_number_and_date(slug, settings, today or dt.date.today())
    warnings = numbering_warnings(slug, number, date, settings)
    if start == "previous" and previous is None:
        raise ContentError("there is no earlier issue to start from", hint="start from the example or a blank issue instead")
    make_folder(folder / "images")
    _ensure_schema(settings)
    words = WORDS.get(language, WORDS["en"])
    fields = {key: marked(value.format(number=number)) if key in PLACEHOLDER_WORDS else value.format(number=number) for key, value in words.items()}
    if start == "previous":
        assert previous is not None
        text = _from_previous(previous, settings, folder, language, number, date)
    elif start == "blank":
        text = BLANK_TEMPLATE.format(schema=SCHEMA_FILE, language=language, number=number, date=date.isoformat(), **fields)
    else:
        _example_image(folder / EXAMPLE_IMAGE)
        text = TEMPLATE.format(schema=SCHEMA_FILE, slug=slug, language=language, number=number, date=date.isoformat(), image=EXAMPLE_IMAGE, mark=DRAFT_MARK, **fields)
    write_atomic(target, text)
    return NewEdition(target, number, date, number_from, date_from, previous, warnings=warnings)


def _refuse_same_language(folder: Path, language: str) -> None:
    """``ContentError`` when ``folder`` has an edition in the same language as ``language`` (``sl`` for ``sl-SI``)."""
    for existing in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        if is_edition_language(existing.stem) and same_language(language, existing.stem):
            raise ContentError(
                f"the issue already has the {existing.stem} edition, in the same language as {language}",
                hint=f"edit the {existing.stem} edition instead; an issue has one edition per language (a region only for a variant of its own, e.g. en-GB beside en)",
            )


def _from_previous(previous: PreviousIssue, settings: Settings, target_folder: Path, language: str, number: int, date: dt.date) -> str:
    """The text of a new issue's edition with the sections of ``previous``'s default edition, texts marked to write anew.

    The pictures it shows are copied into the new issue's ``images/`` (so it
    previews at once; replace them as the texts are written).
    """

    from leadex_mail.content.loader import image_path, issue_edition_path, load_issue
    from leadex_mail.content.yamlsource import load_yaml

    issue = load_issue(previous.slug, settings)
    source = issue_edition_path(issue, issue.default_language)
    data, smap = load_yaml(source, str(source))
    copied = _for_translation(data, Edition, smap, ())
    for path, image in images(copied, Edition):
        src = image.get("src")
        if not isinstance(src, str) or src.startswith(("https://", "http://")) or not src.startswith("images/"):
            continue
        file = image_path(issue, Image(src=src, alt=""))
        if file is not None and file.is_file():
            make_folder((target_folder / src).parent)
            write_atomic(target_folder / src, file.read_bytes())  # a full disk leaves no half picture
    copied.update({"language": language, "number": number, "date": date})
    for key in ("title", "subject"):  # the new number's own words, as `new` writes them
        if isinstance(copied.get(key), str):
            copied[key] = WORDS.get(language, WORDS["en"])[key].format(number=number)
    header = PREVIOUS_HEADER.format(schema=SCHEMA_FILE, source=previous.slug, mark=DRAFT_MARK)
    return header + _dump_edition(copied)


def _write_translation(folder: Path, target: Path, language: str, settings: Settings) -> NewEdition:
    """Write ``target`` as the default edition of the issue in ``folder`` with its texts marked for translation."""
    from leadex_mail.content.loader import issue_edition_path, load_issue
    from leadex_mail.content.yamlsource import load_yaml

    try:
        issue = load_issue(folder, settings)
    except ContentError as err:
        raise ContentError(
            f"cannot start the {language} edition of {folder.name}: the issue's files have errors",
            err.problems,
            hint=f"correct them first (`leadex-mail check {folder.name}`); the new edition starts as a copy of the default one",
        ) from None
    source = issue_edition_path(issue, issue.default_language)
    data, smap = load_yaml(source, str(source))
    translated = _for_translation(data, Edition, smap, ())
    translated["language"] = language
    write_atomic(target, _translation_text(translated, issue, language, source.name))
    from leadex_mail.content.translations import record_translation

    record_translation(folder, language, issue.default_language)  # what it translates, to mark later changes
    edition = issue.edition()
    return NewEdition(target, edition.number, edition.date, "edition", "edition", translated_from=issue.default_language)


def _for_translation(node: Any, tp: Any, smap: SourceMap, path: tuple) -> Any:
    """A copy of plain edition data with every translatable text marked (``drafts.for_translation``), styled as the default wrote it."""
    return for_translation(node, tp, path, lambda value, _written, at: _styled(value, smap.styles.get(at), at[-1]))


def _styled(value: Any, style: str | None, key: Any) -> Any:
    """Write text as the default edition wrote it (block, quoted, plain) and dates as dates.

    Quoted stays quoted so that deleting the mark leaves valid YAML, e.g.
    ``summary: ", pojasni ..."`` (a plain value cannot start with a comma).
    """
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if isinstance(value, str) and (style in ("literal", "folded") or "\n" in value):
        return LiteralScalarString(value)
    if isinstance(value, str) and style == "quoted":
        return DoubleQuotedScalarString(value)
    if isinstance(value, str) and key in ("date", "end_date"):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _translation_text(data: dict[str, Any], issue: Issue, language: str, source_name: str) -> str:
    header = TRANSLATION_HEADER.format(schema=SCHEMA_FILE, language=language, source=source_name, mark=DRAFT_MARK)
    return header + _dump_edition(data)


def _dump_edition(data: dict[str, Any]) -> str:
    """An edition's data as YAML the way ``new`` writes it (block text, blank lines between sections)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long line: the officer edits it as one paragraph
    yaml.allow_unicode = True
    out = StringIO()
    yaml.dump(data, out)
    # Blank lines around the sections, as `new` writes them: easier to find one's place.
    return re.sub(r"\n(  - type: )", r"\n\n\1", out.getvalue()).replace("\nsections:\n\n", "\n\nsections:\n")


def _has_editions(folder: Path) -> bool:
    from leadex_mail.content.loader import EDITION_SUFFIXES

    return any(p.suffix in EDITION_SUFFIXES and not p.name.startswith((".", "_")) for p in folder.iterdir())


def _ensure_schema(settings: Settings) -> None:
    """The editor line at the top of every edition file points at this file."""
    schema = settings.newsletters_dir / SCHEMA_FILE
    if not schema.exists():
        make_folder(schema.parent)
        write_atomic(schema, schema_text())


def _check_names(slug: str, language: str) -> str:
    """The edition's language code as written (``EN`` -> ``en``); ``ContentError`` for a bad slug or language."""
    if not SLUG_RE.match(slug):
        raise ContentError(
            f"{slug!r} cannot be an issue name",
            hint="use lower-case letters, digits and dashes, e.g. 2026-06-leadex-02",
        )
    try:
        return edition_language(language)
    except NotALanguage as err:
        raise ContentError(err.reason, hint=err.hint) from None


def _example_image(path: Path) -> None:
    """A small grey picture so the example image loads; replace it with a real one."""
    from PIL import Image, ImageDraw  # here: `check` imports this module for draft_problems

    if path.exists():
        return
    img = Image.new("RGB", (600, 300), (208, 215, 222))
    ImageDraw.Draw(img).text((20, 20), "images/example.png - replace me", fill=(31, 41, 51))
    data = BytesIO()
    img.save(data, "PNG", optimize=True)
    write_atomic(path, data.getvalue())
