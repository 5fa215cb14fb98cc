"""``leadex-mail new``: start an issue from an example of every section type.

The new file loads cleanly (so the preview works at once) but its links are
``#``, which ``check`` flags, so nothing half-written is sent by accident.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from PIL import Image, ImageDraw

from leadex_mail.config import Settings
from leadex_mail.content.schema import SCHEMA_FILE, schema_text
from leadex_mail.errors import ContentError

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
EXAMPLE_IMAGE = "images/example.png"

# Words of the example per language; other languages get the English ones.
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

TEMPLATE = """\
# yaml-language-server: $schema=../{schema}
# A new issue: replace the example text, then run `leadex-mail check {slug}`.
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
        role: null
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


def new_issue(slug: str, settings: Settings, language: str = "sl", *, today: dt.date | None = None) -> Path:
    """Create ``<newsletters_dir>/<slug>/<language>.yaml`` (and ``images/``); return the file.

    Adding a language to an existing issue is allowed; overwriting a file is not.
    """
    _check_names(slug, language)
    folder = settings.newsletters_dir / slug
    target = folder / f"{language}.yaml"
    if target.exists():
        raise ContentError(
            f"{target} already exists; leadex-mail new does not overwrite",
            hint=f"choose another slug, add another language with --lang, or edit {target}",
        )
    (folder / "images").mkdir(parents=True, exist_ok=True)
    _example_image(folder / EXAMPLE_IMAGE)
    schema = settings.newsletters_dir / SCHEMA_FILE
    if not schema.exists():  # the editor line at the top of the file points here
        schema.write_text(schema_text(), encoding="utf-8")
    words = WORDS.get(language, WORDS["en"])
    fields = {key: value.format(number=1) for key, value in words.items()}
    text = TEMPLATE.format(
        schema=SCHEMA_FILE, slug=slug, language=language, number=1, date=(today or dt.date.today()).isoformat(), image=EXAMPLE_IMAGE, **fields
    )
    target.write_text(text, encoding="utf-8")
    return target


def _check_names(slug: str, language: str) -> None:
    if not SLUG_RE.match(slug):
        raise ContentError(
            f"{slug!r} cannot be an issue name",
            hint="use lower-case letters, digits and dashes, e.g. 2026-06-leadex-02",
        )
    if not LANGUAGE_RE.match(language):
        raise ContentError(f"{language!r} is not a language code", hint="use a code such as sl or en")


def _example_image(path: Path) -> None:
    """A small grey picture so the example image loads; replace it with a real one."""
    if path.exists():
        return
    img = Image.new("RGB", (600, 300), (208, 215, 222))
    ImageDraw.Draw(img).text((20, 20), "images/example.png - replace me", fill=(31, 41, 51))
    img.save(path, "PNG", optimize=True)
