"""The send gate's other rules a program can decide from the edition itself, reported at their field.

``gates.markup`` and axe judge the rendered mail; these are the ones whose
answer is already in the content (the link-text rule is ``linkpurpose``):

- a link in a text with no words (``[](https://...)``): axe's ``link-name``,
  a screen reader reads the bare address. Error.
- a text whose headings skip a level (``####`` before any ``###``): the
  section's heading is an ``h2``, a text's ``###`` an ``h3``; screen reader
  users move by level (``heading-order``). Warning.
- a picture marked decorative that looks like an image of text -- its file
  is named like one (logo, banner, napis, ...) or it is banner-shaped, at
  least 3:1 (``image-of-text``): most mail programs hide pictures until
  asked, and the words in it are lost. Warning, as a program cannot be sure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from markdown_it import MarkdownIt

from leadex_mail.content.mdsource import parse_source
from leadex_mail.content.model import Edition
from leadex_mail.content.walk import FieldPath, images, leaves
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

# The gate's own words for these (gates/markup.py), kept alike: a test compares them.
TEXT_IMAGE_RATIO = 3.0
TEXT_IMAGE_NAME = re.compile(r"(logo|banner|title|heading|header|button|btn|cta|text|napis|naslov|gumb|funding|headline)", re.IGNORECASE)
FIRST_TEXT_HEADING = 3  # a text's "###" is an h3 under the section's h2; "#" and "##" are not kept (render.markdown)
_MD = MarkdownIt("commonmark", {"html": False}).disable("image")


def mail_rule_problems(edition: Edition, folder: Path, smap: SourceMap) -> list[Problem]:
    """Every finding of this module in ``edition`` (pictures under ``folder``)."""
    data = edition.model_dump()
    problems: list[Problem] = []
    for leaf in leaves(data, Edition):
        if leaf.kind == "markdown" and isinstance(leaf.value, str):
            problems.extend(_text_problems(leaf.value, leaf.path, smap))
    for path, image in images(data, Edition):
        if image.get("decorative") and isinstance(image.get("src"), str) and _looks_like_text(folder, image["src"]):
            name = image["src"].rsplit("/", 1)[-1]
            problems.append(
                smap.problem(
                    (*path, "alt"), f"the picture {name!r} is marked decorative but looks like an image of text",
                    "if it has words in it, write them as its alt text (and untick decorative): most mail programs hide pictures until asked",
                    code="picture.maybe_text", severity="warning", args={"value": name},
                )
            )  # fmt: skip
    return problems


def _text_problems(text: str, path: FieldPath, smap: SourceMap) -> Iterator[Problem]:
    level = 2
    for token in _MD.parse(parse_source(text)):
        if token.type == "heading_open":
            found = int(token.tag[1:])
            if found >= FIRST_TEXT_HEADING and found > level + 1:
                hint = f"use {'#' * (level + 1)} for this heading, or add the heading above it"
                yield smap.problem(path, f"a heading of the text skips from level {level} to {found}", hint, code="text.heading_skips", severity="warning", args={"n": found, "min": level + 1})
            if found >= FIRST_TEXT_HEADING:
                level = found
        for index, child in enumerate(token.children or []):
            if child.type == "link_open" and _empty(token.children or [], index):
                href = str(child.attrs.get("href", ""))
                yield smap.problem_in(path, text, f"[](", f"a link in the text has no words (to {href[:80]}): a screen reader reads its bare address", "write what it leads to between the [ ]", code="link.no_text")


def _empty(children: list, start: int) -> bool:
    words = []
    for token in children[start + 1 :]:
        if token.type == "link_close":
            break
        words.append(token.content)
    return not "".join(words).strip()


def _looks_like_text(folder: Path, src: str) -> bool:
    if TEXT_IMAGE_NAME.search(src.rsplit("/", 1)[-1]):
        return True
    if src.startswith(("https://", "http://")):
        return False
    from PIL import Image as PILImage  # header only: no pixel is decoded

    try:
        with PILImage.open(folder / src) as img:
            width, height = img.size
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return False  # the loader's picture check reports it
    return bool(height) and width / height >= TEXT_IMAGE_RATIO
