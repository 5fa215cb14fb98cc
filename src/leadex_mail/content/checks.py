"""Checks a valid-looking edition must still pass before it can be rendered.

Pydantic checks shapes and types; these check meaning: no raw HTML in
Markdown (it would reach the mail unsanitised), no per-recipient
placeholders (they would be filled with someone's address), absolute link
addresses, and image files that exist inside the issue folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel

from leadex_mail.content.urls import TROUBLES, link_trouble, with_scheme
from leadex_mail.content.walk import images, leaves
from leadex_mail.content.yamlsource import SourceMap
from leadex_mail.errors import Problem

# Every per-recipient placeholder of render/result.py starts so (a test checks);
# render is not imported here because render imports content.
PLACEHOLDER_MARK = "[[LX:"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")
PICTURE_FORMATS = ("PNG", "JPEG", "GIF")
# What a picture may be before its pixels are decoded: a 50-megapixel phone
# photo (~200 MB decoded) is fine, 400 megapixels from 48 KB of PNG is not.
MAX_PICTURE_PIXELS = 50_000_000
MAX_PICTURE_SIDE = 20_000
# An animation's frames all travel in every mail and are each resized: 600 x 400 x 200 frames fit.
MAX_ANIMATION_PIXELS = 50_000_000
# Lists and quotes within each other: an edition needs 2 or 3; markdown-it itself
# stops at ~9 list levels and drops the deeper text silently, so the check stops first.
MAX_MARKDOWN_NESTING = 6
# One Markdown text (a body, a summary): issue No. 1's longest is under 1 000 characters, a planted 120 KB issue 45 000. Longer
# ones are refused unparsed: markdown-it is quadratic on some inputs ("![[" x 60 000 took 27 s).
MAX_MARKDOWN_CHARS = 50_000
# '#' and '' are allowed to load (a draft) but `check` flags them (lint.py).
UNFINISHED_URLS = ("#", "")

_MD = MarkdownIt("commonmark")


def markdown_tokens(text: str) -> Iterator[Token]:
    """Every token of ``text`` parsed as CommonMark, inline children included (parsed once per text)."""
    return iter(_tokens(text))


@lru_cache(maxsize=256)
def _tokens(text: str) -> tuple[Token, ...]:
    return tuple(t for token in _MD.parse(text) for t in (token, *(token.children or ())))


def is_remote(src: str) -> bool:
    """True when an image ``src`` is an address, not a file in the issue folder."""
    return src.startswith(("https://", "http://"))


def check_data(data: dict[str, Any], model: type[BaseModel], smap: SourceMap, base: Path) -> list[Problem]:
    """All meaning problems in ``data`` (plain, shaped like ``model``); images resolve under ``base``.

    Runs on plain data, not on a validated model, so a file with a type
    error still gets its other problems reported in the same run. The two
    halves: ``text_problems`` (the data alone) then ``image_problems`` (the files on disk).
    """
    return text_problems(data, model, smap) + image_problems(data, model, smap, base)


def text_problems(data: dict[str, Any], model: type[BaseModel], smap: SourceMap) -> list[Problem]:
    """The problems ``data`` has by itself: texts, placeholders, link addresses (the same for the same data)."""
    problems: list[Problem] = []
    for leaf in leaves(data, model):
        if leaf.kind == "markdown" and isinstance(leaf.value, str) and len(leaf.value) > MAX_MARKDOWN_CHARS:
            problems.append(_too_long(leaf.value, leaf.path, smap))
            continue  # never parsed: some texts of this size take markdown-it minutes (a9 finding 15)
        if isinstance(leaf.value, str) and (PLACEHOLDER_MARK in leaf.value or (leaf.kind == "markdown" and PLACEHOLDER_MARK in _decoded(leaf.value))):
            problems.append(
                smap.problem(
                    leaf.path,
                    "contains a placeholder reserved for per-recipient values ([[LX:...]])",
                    "remove it; leadex-mail fills in names, unsubscribe and view links itself",
                    code="text.placeholder",
                )
            )
        if leaf.kind == "markdown" and isinstance(leaf.value, str):
            problems.extend(_markdown_problems(leaf.value, leaf.path, smap))
        elif leaf.kind == "url" and isinstance(leaf.value, str) and (why := link_trouble(leaf.value)):
            problems.append(_bad_url(leaf.value, why, leaf.path, smap))
    return problems


def image_problems(data: dict[str, Any], model: type[BaseModel], smap: SourceMap, base: Path) -> list[Problem]:
    """The problems of the pictures ``data`` names, as the files under ``base`` are now."""
    problems: list[Problem] = []
    root = base.resolve()
    for path, image in images(data, model):
        src = image.get("src")
        problem = _image_problem(src, base, root, smap, (*path, "src")) if isinstance(src, str) else None
        if problem:
            problems.append(problem)
    return problems


def _decoded(text: str) -> str:
    """The words Markdown makes of ``text`` (entities and ``\\`` escapes decoded, emphasis dropped, link titles in).

    A placeholder spelt ``[[LX&#58;NAME]]`` or ``[[L*X*:NAME]]`` is one in the
    sent mail; this is what the check must look at.
    """
    return "".join(t.content + "".join(str(v) for v in (t.attrs or {}).values()) for t in markdown_tokens(text) if t.type in ("text", "code_inline", "link_open"))


def _too_long(text: str, path: tuple, smap: SourceMap) -> Problem:
    hint = "split it over several sections, or link to the full text on the website"
    return smap.problem(path, f"the text is {len(text):,} characters long; a text may be at most {MAX_MARKDOWN_CHARS:,}", hint, code="text.too_long", args={"n": len(text), "max": MAX_MARKDOWN_CHARS})


def _nesting(text: str) -> int:
    """How deep lists and block quotes nest in ``text`` (1 for a plain list)."""
    depth = deepest = 0
    for token in _tokens(text):
        if token.type in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            depth -= 1
    return deepest


def _bad_url_words(url: str, why: str) -> tuple[str, str, str]:
    """``(message, hint, code)`` of an address ``link_trouble`` refuses for ``why``."""
    if why in ("no_scheme", "scheme"):
        hint = ("only web and e-mail addresses can be links: " if why == "scheme" else "") + "write the whole address starting with https:// (or mailto:)"
        hint += f", e.g. {suggested}" if (suggested := with_scheme(url)) else ""
        return f"{url!r} is not a complete address", hint, "link.incomplete"
    hint = "check the address for spaces and typing errors; copy it from the browser's address bar"
    return f"{url!r} is not an address a mail program can open: {TROUBLES[why]}", hint, "link.malformed"


def _bad_url(url: str, why: str, path: tuple, smap: SourceMap) -> Problem:
    message, hint, code = _bad_url_words(url, why)
    return smap.problem(path, message, hint, code=code, args={"url": url})


def _markdown_problems(text: str, path: tuple, smap: SourceMap) -> list[Problem]:
    problems = []
    tags: list[str] = []
    if _nesting(text) > MAX_MARKDOWN_NESTING:  # markdown-it stops at 20 token levels and drops the rest silently
        hint = "an edition needs 2 or 3 levels; check the indentation of the list items and the > at the start of the lines"
        problems.append(smap.problem(path, f"lists or quotes are nested more than {MAX_MARKDOWN_NESTING} levels deep: the deeper text would be lost", hint, code="text.nested_too_deep"))
    for token in markdown_tokens(text):
        if token.type in ("html_inline", "html_block"):
            tags.append(token.content.strip().splitlines()[0][:40])
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if why := link_trouble(href):
                message, hint, code = _bad_url_words(href, why)
                problems.append(smap.problem_in(path, text, f"]({href}", message, hint, code=code, args={"url": href}))
    if tags:
        shown = ", ".join(dict.fromkeys(tags))
        hint = "use Markdown instead: **bold**, *italic*, [label](https://...)"
        problems.insert(0, smap.problem_in(path, text, tags[0], f"raw HTML is not allowed in text: {shown}", hint, code="text.raw_html"))
    return problems


def _image_problem(src: str, base: Path, root: Path, smap: SourceMap, path: tuple) -> Problem | None:
    """``root``: ``base`` resolved (once for all the pictures of a file)."""
    if is_remote(src):
        return None
    if not src:
        return smap.problem(path, "the image has no file", "write the file name, e.g. images/photo.jpg", code="picture.no_file")
    if Path(src).suffix.lower() not in IMAGE_SUFFIXES:
        return smap.problem(path, f"image {src!r} is not PNG, JPEG or GIF", "email programs show only PNG, JPEG and GIF; convert it", code="picture.wrong_type")
    target = (base / src).resolve()
    if not target.is_relative_to(root):
        return smap.problem(path, f"image {src!r} is outside the folder {base}", "copy the picture into the images/ folder", code="picture.outside_folder")
    if not target.is_file():
        return smap.problem(path, f"image file {src!r} does not exist", f"put the file at {base / src} or correct the name", code="picture.missing")
    trouble = picture_trouble(target)
    return smap.problem(path, f"image {src!r} {trouble[0]}", trouble[1], code="picture.unusable") if trouble else None


def picture_trouble(file: Path) -> tuple[str, str] | None:
    """``(what is wrong, hint)`` when the picture cannot safely be decoded; None when it can.

    Reads only the file's header (Pillow's ``open`` decodes no pixels), so a
    decompression bomb -- 48 KB of PNG that inflates to 400 megapixels, or a
    16 000 000 x 1 strip -- is refused before any memory is spent on it.
    Remembered per file version: ``preview`` loads the same files on every save.
    """
    try:
        stat = file.stat()
    except OSError as exc:
        return f"cannot be read: {exc.strerror}", "check the file"
    return _trouble(str(file), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _trouble(file: str, mtime_ns: int, size: int) -> tuple[str, str] | None:
    from PIL import Image as PILImage  # imported on use: content without pictures never pays for Pillow

    resize = "resize it to at most 1200 px wide (email shows pictures at most 600 px wide) and save it again"
    try:
        with PILImage.open(file) as img:
            width, height = img.size
            kind = img.format
            frames = getattr(img, "n_frames", 1) if kind == "GIF" else 1  # counts frames without decoding them
    except PILImage.DecompressionBombError as exc:  # over twice Pillow's own limit: it refuses even the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else f"over {2 * (PILImage.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} megapixels"
        return f"is {size}; the limit is {MAX_PICTURE_PIXELS // 1_000_000} megapixels", resize
    except PILImage.UnidentifiedImageError:  # its words name the file's path (a temporary one, for the studio's uploads)
        return "cannot be read as a picture", "save it again as JPEG or PNG"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # Pillow's words for a damaged picture, without the path
        reason = str(exc).replace(repr(file), "").replace(file, Path(file).name).strip(" :")
        return f"cannot be read as a picture ({reason})" if reason else "cannot be read as a picture", "save it again as JPEG or PNG"
    if kind not in PICTURE_FORMATS:
        return f"is a {kind} file, not PNG, JPEG or GIF", "email programs show only PNG, JPEG and GIF; convert it"
    if max(width, height) > MAX_PICTURE_SIDE:
        return f"is {width} x {height} pixels; a side may be at most {MAX_PICTURE_SIDE} pixels", resize
    if frames > 1 and width * height * frames > MAX_ANIMATION_PIXELS:
        all_pixels = width * height * frames / 1e6
        return (
            f"is an animation of {frames} frames of {width} x {height} pixels ({all_pixels:.0f} megapixels in all); the limit is {MAX_ANIMATION_PIXELS // 1_000_000} megapixels in all",
            "make it smaller (at most 1200 px wide) or shorter, or use a still picture: every frame travels in every mail",
        )
    if width * height > MAX_PICTURE_PIXELS:
        return f"is {width} x {height} pixels ({width * height / 1e6:.0f} megapixels); the limit is {MAX_PICTURE_PIXELS // 1_000_000} megapixels", resize
    return None
