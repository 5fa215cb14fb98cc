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
preview works at once, but ``draft_problems`` (run by ``check`` and before
``send``) reports every mark left, every example text kept without its mark
and the example picture, as errors: nothing half-written is sent by accident.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any, Literal

from leadex_mail.config import Settings
from leadex_mail.content.languages import NotALanguage, edition_language, is_edition_language, same_language
from leadex_mail.content.model import Edition, Image, Issue
from leadex_mail.content.schema import SCHEMA_FILE, schema_text
from leadex_mail.content.walk import child_type, field_kinds, images, leaves, resolve
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import ContentError, EditionExists, LeadexError, Problem
from leadex_mail.files import make_folder, write_atomic

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
EXAMPLE_IMAGE = "images/example.png"
# Put before every text a person still has to write or translate. A pencil:
# visible in the editor and the preview, and never part of a real newsletter.
DRAFT_MARK = "✎"
# A slug may start with its date (2026-09 or 2026-09-15) and end with its number (-02).
_SLUG_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?(?=-|$)")
_SLUG_NUMBER = re.compile(r"-(?P<number>\d{1,4})$")

# Words of the example per language; other languages get the English ones.
# Placeholders (PLACEHOLDER_WORDS) are marked; the rest are plausible as they stand.
WORDS: dict[str, dict[str, str]] = {
    "sl": {
        "title": "LeadEx novice št. {number}",
        "subject": "LeadEx novice št. {number}",
        "preheader": "Kratek povzetek, ki ga poštni programi pokažejo za zadevo.",
        "story": "Naslov novice",
        "body": "Besedilo novice. **Krepko**, *ležeče* in [povezave](#) so dovoljeni.",
        "alt": "Kaj prikazuje slika",
        "more": "VEČ TUKAJ",
        "button": "Obišči spletno stran projekta",
        "visit": "Študijski obisk",
        "interviews": "Oglej si intervjuje:",
        "person": "Ime Priimek",
        "organisation": "Organizacija",
        "summary": "govori o projektu.",
        "practices": "Dobre prakse",
        "explore": "Spoznaj",
        "events": "Sodelovanje na dogodkih",
        "event": "Ime dogodka",
        "partners": "LeadEx partnerji",
        "country": "Država",
    },
    "en": {
        "title": "LeadEx newsletter No. {number}",
        "subject": "LeadEx newsletter No. {number}",
        "preheader": "A short summary that mail apps show after the subject.",
        "story": "Story heading",
        "body": "The story. **Bold**, *italics* and [links](#) are allowed.",
        "alt": "What the picture shows",
        "more": "MORE HERE",
        "button": "Visit the project website",
        "visit": "Study visit",
        "interviews": "Watch the interviews:",
        "person": "First Last",
        "organisation": "Organisation",
        "summary": "talks about the project.",
        "practices": "Good practices",
        "explore": "Discover",
        "events": "Taking part in events",
        "event": "Event name",
        "partners": "LeadEx partners",
        "country": "Country",
    },
}
PLACEHOLDER_WORDS = ("preheader", "story", "body", "alt", "person", "organisation", "summary", "event", "country")
# Example texts recognised even after their mark was deleted (but the text kept).
_EXAMPLE_TEXTS = frozenset(words[key] for words in WORDS.values() for key in PLACEHOLDER_WORDS)

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
        date: {date}
        end_date: {date}
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

# Text fields that stay as written in every language (codes, file names, a person's or the project's name).
_NOT_TRANSLATED = frozenset({"type", "style", "language", "src", "person", "name", "date", "end_date"})


@dataclass(frozen=True)
class PreviousIssue:
    """The latest issue found under ``newsletters/``: where a new one continues from."""

    slug: str
    number: int
    date: dt.date


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
    fields = {key: _marked(value.format(number=number)) if key in PLACEHOLDER_WORDS else value.format(number=number) for key, value in words.items()}
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


def derive_number_and_date(slug: str, settings: Settings, today: dt.date) -> tuple[int, str, dt.date, str, PreviousIssue | None]:
    """``(number, number_from, date, date_from, previous)`` for a new issue ``slug``.

    The slug's own date prefix (``YYYY-MM`` -> the 1st of that month, or
    ``YYYY-MM-DD``) and trailing number (``-02``) win, since the officer
    wrote them. Otherwise the number follows the issue before it: the one
    dated latest before the slug's date when the slug has one (an issue
    started late for October comes after September's, not after
    December's), else the highest-numbered one; the date is ``today``.
    ``ContentError`` when the slug starts with an impossible date.
    """
    issues = all_issues(settings, exclude=slug)
    slug_date = _slug_date(slug)
    earlier = [p for p in issues if p.date < slug_date] if slug_date else issues
    previous = max(earlier, key=lambda p: (p.date, p.number) if slug_date else (p.number, p.date), default=None)
    number_match = _SLUG_NUMBER.search(slug[_slug_date_end(slug) :])
    if number_match and int(number_match["number"]) > 0:
        number, number_from = int(number_match["number"]), "slug"
    elif previous is not None:
        number, number_from = previous.number + 1, "previous"
    else:
        number, number_from = 1, "first"
    return number, number_from, slug_date or today, ("slug" if slug_date else "today"), previous


def numbering_warnings(slug: str, number: int, date: dt.date, settings: Settings) -> tuple[str, ...]:
    """What is odd about numbering ``slug`` No. ``number`` of ``date`` among the other issues: a shared number, out of order."""
    out = []
    for other in all_issues(settings, exclude=slug):
        if other.number == number:
            out.append(f"No. {number} is also {other.slug} (dated {other.date}): correct `number:` in one of them")
        elif (other.date > date and other.number < number) or (other.date < date and other.number > number):
            out.append(f"{other.slug} is No. {other.number}, dated {other.date}: the numbers do not follow the dates")
    return tuple(out)


def latest_issue(settings: Settings, *, exclude: str | None = None) -> PreviousIssue | None:
    """The issue with the highest number (then latest date) under ``newsletters_dir``; None when there is none."""
    return max(all_issues(settings, exclude=exclude), key=lambda p: (p.number, p.date), default=None)


def all_issues(settings: Settings, *, exclude: str | None = None) -> list[PreviousIssue]:
    """Every issue under ``newsletters_dir`` with its default edition's number and date.

    Issues whose files do not load are passed over: a broken draft should
    not stop the next issue from being started.
    """
    from leadex_mail.content.loader import issue_slugs, load_issue

    found: list[PreviousIssue] = []
    for slug in issue_slugs(settings):
        if slug == exclude:
            continue
        try:
            edition = load_issue(slug, settings).edition()
        except LeadexError:
            continue
        found.append(PreviousIssue(slug, edition.number, edition.date))
    return found


def draft_problems(edition: Edition, smap: SourceMap) -> list[Problem]:
    """Errors for what the ``new`` scaffold left in ``edition``: marked text, kept example text, the example picture."""
    return draft_data_problems(edition.model_dump(), smap)


def draft_data_problems(data: dict[str, Any], smap: SourceMap) -> list[Problem]:
    """``draft_problems`` of an edition's plain data (also one that does not validate: what is there is looked at)."""
    hint = f"write the real text (or the translation) in its place and delete the {DRAFT_MARK}"
    problems = []
    for leaf in leaves(data, Edition):
        if not isinstance(leaf.value, str):
            continue
        if DRAFT_MARK in leaf.value:
            message = f"this text is still marked {DRAFT_MARK}: example text from `leadex-mail new`, or not yet translated"
            problems.append(smap.problem_in(leaf.path, leaf.value, DRAFT_MARK, message, hint, code="draft.marked"))
        elif leaf.value.strip() in _EXAMPLE_TEXTS:
            problems.append(smap.problem(leaf.path, f"this is still the example text from `leadex-mail new`: {leaf.value.strip()!r}", "write the real text in its place", code="draft.example_text"))
    for path, image in images(data, Edition):
        if image.get("src") == EXAMPLE_IMAGE:
            problems.append(smap.problem((*path, "src"), f"the example picture {EXAMPLE_IMAGE} from `leadex-mail new` is still in place", "put the real picture in images/ and write its name here", code="draft.example_picture"))
    return problems


def _marked(text: str) -> str:
    return text if text.startswith(DRAFT_MARK) else f"{DRAFT_MARK} {text}"


def _slug_date_end(slug: str) -> int:
    match = _SLUG_DATE.match(slug)
    return match.end() if match else 0


def _slug_date(slug: str) -> dt.date | None:
    match = _SLUG_DATE.match(slug)
    if match is None:
        return None
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"] or 1))
    except ValueError:
        raise ContentError(
            f"the issue name {slug!r} starts with {match[0]!r}, which is not a date",
            hint="start it with the year and month of the issue, e.g. 2026-09-leadex-02",
        ) from None


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
    """A copy of plain edition data with every translatable text marked (guided by the model's field kinds)."""
    tp = resolve(tp, node)
    if isinstance(node, dict):
        kinds = field_kinds(tp) if isinstance(tp, type) else {}
        out = {}
        for key, value in node.items():
            child = _for_translation(value, child_type(tp, key), smap, (*path, key))
            if isinstance(child, str) and child and kinds.get(str(key)) != "url" and key not in _NOT_TRANSLATED:
                child = _marked(child)
            out[key] = _styled(child, smap.styles.get((*path, key)), key)
        return out
    if isinstance(node, list):
        return [_for_translation(item, child_type(tp, index), smap, (*path, index)) for index, item in enumerate(node)]
    return node


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
