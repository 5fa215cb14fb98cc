"""What ``leadex-mail new`` leaves for a person to write, and the check that finds it left.

Whatever a person still has to write is marked with ``DRAFT_MARK`` (✎), the
example picture is ``EXAMPLE_IMAGE`` and the example texts are ``WORDS``
(per language). ``draft_problems`` (run by ``check`` and before ``send``)
reports every mark left, every example text kept without its mark and the
example picture, as errors: nothing half-written is sent by accident. The
scaffold that writes them is ``scaffold.py``.

    draft_problems(edition, smap)   # [Problem(code="draft.marked" | "draft.example_text" | "draft.example_picture", ...)]

What a translation starts from is here too, for every way one is made:
``for_translation`` copies edition data with each text to translate marked
and every language-neutral value (dates, links, pictures, names, codes)
kept; "Add a language" (``scaffold``) copies the whole default edition with
it, the studio (``studio.alignment``) an item, a section or one value the
default edition gains (``translation_of``).

    for_translation(data)                        # the whole edition, texts marked
    translation_of(data, ("sections", 6, "items", 3, "date"), "2027-05-20")   # "2027-05-20"
    translation_of(data, ("sections", 6, "items", 3, "title"), "Obisk")       # "✎ Obisk"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadex_mail.content.model import Edition
from leadex_mail.content.walk import FieldPath, child_type, field_kinds, images, leaves, resolve
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

EXAMPLE_IMAGE = "images/example.png"
# Put before every text a person still has to write or translate. A pencil:
# visible in the editor and the preview, and never part of a real newsletter.
DRAFT_MARK = "✎"

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


def draft_problems(edition: Edition, smap: SourceMap) -> list[Problem]:
    """Errors for what the ``new`` scaffold left in ``edition``: marked text, kept example text, the example picture."""
    return draft_data_problems(edition.model_dump(), smap)


def draft_data_problems(data: dict[str, Any], smap: SourceMap) -> list[Problem]:
    """``draft_problems`` of an edition's plain data (also one that does not validate: what is there is looked at)."""
    hint = f"write the real text (or the translation) in its place and delete the {DRAFT_MARK}"
    problems = []
    for leaf in leaves(data, Edition):
        if getattr(leaf.value, "marked", False) is True:  # a date written "✎ 2026-09-01" (``WrittenDate``): a placeholder, never a date to send
            message = f"this date is still marked {DRAFT_MARK}: the example's date from `leadex-mail new`, not the event's"
            problems.append(smap.problem(leaf.path, message, f"write the real date in its place and delete the {DRAFT_MARK}, or remove the date", code="draft.marked"))
            continue
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


def marked(text: str) -> str:
    """``text`` marked as still to write (once: a text already marked stays as it is)."""
    return text if text.startswith(DRAFT_MARK) else f"{DRAFT_MARK} {text}"


# Text fields that stay as written in every language (codes, file names, a person's or the project's name, dates).
NOT_TRANSLATED = frozenset({"type", "style", "language", "src", "person", "name", "date", "end_date"})

# How a copied value is written: ``dress(copy, written, path)`` -> the value to put in the copy
# (``copy`` the value copied, marked or not; ``written`` the value it copies; ``path`` where it stands).
Dress = Callable[[Any, Any, FieldPath], Any]


def for_translation(node: Any, tp: Any = Edition, path: FieldPath = (), dress: Dress | None = None) -> Any:
    """A copy of edition data (``node``, of the model type ``tp``, standing at ``path``) to be translated.

    Every text to translate is marked (``marked``); what is the same in
    every language -- dates, links, pictures, names, codes, numbers and
    choices (``NOT_TRANSLATED``, the model's ``Url`` fields) -- is kept as
    it is, and an empty text stays empty. Plain dicts and lists come back
    (ruamel's round-trip nodes are dicts and lists too); a value not marked
    is the very object copied, so its class (how it was written) stays.
    ``dress`` decides how each copied value of a mapping is written.
    """
    tp = resolve(tp, node)
    if isinstance(node, dict):
        kinds = field_kinds(tp) if isinstance(tp, type) else {}
        out = {}
        for key, value in node.items():
            child = for_translation(value, child_type(tp, key), (*path, key), dress)
            if isinstance(child, str) and child and kinds.get(str(key)) != "url" and key not in NOT_TRANSLATED:
                child = marked(child)
            out[key] = dress(child, value, (*path, key)) if dress is not None else child
        return out
    if isinstance(node, list):
        return [for_translation(item, child_type(tp, index), (*path, index), dress) for index, item in enumerate(node)]
    return node


def translation_of(data: Any, path: FieldPath, value: Any, dress: Dress | None = None) -> Any:
    """What a translation holds at ``path`` where the default edition (``data``) holds ``value``: ``for_translation`` of it.

    ``path`` names a field (``(..., "title")``) or an item (``(..., "items", 3)``)
    of an edition whose groups and lists on the way are in ``data`` (the
    value itself need not be: ``value`` is what it is or was). None stays None.
    """
    *head, key = path
    tp, node = Edition, data
    for part in head:
        tp = child_type(resolve(tp, node), part)
        node = node[part] if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node) else None
    tp = resolve(tp, node)
    if isinstance(key, int):
        return for_translation(value, child_type(tp, key), path, dress)
    return for_translation({key: value}, tp, tuple(head), dress)[key]
