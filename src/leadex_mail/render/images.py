"""Images of an issue, made fit for email.

A local image is resized to at most twice its slot (a 600 px slot gets at
most 1200 px, sharp on high-density screens) and compressed: JPEG quality 82,
progressive and optimised; PNG optimised (kept for transparency and logos).
Results are cached on disk by the source's content hash under
``$XDG_CACHE_HOME/leadex-mail/images`` (default ``~/.cache/leadex-mail``),
and in memory per process by path and modification time, so a warm render
never touches Pillow.

How the HTML refers to an image: with ``images_url`` set,
``{images_url}/{slug}/{filename}``; without it, ``cid:<cid>`` and the bytes
travel in the message as inline parts.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadex_mail.content.checks import picture_trouble
from leadex_mail.errors import RenderError

MAX_WIDTH = 1200
BODY_WIDTH = 600
JPEG_QUALITY = 82
CACHE_VERSION = "2"  # bump when the processing changes, so stale files are not reused
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_EXT = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


@dataclass(frozen=True)
class ProcessedImage:
    """An image ready for email: its bytes, type, pixel size and names."""

    filename: str
    mime_type: str
    data: bytes
    width: int
    height: int
    cid: str


_memory: dict[tuple[str, int, int, int], ProcessedImage] = {}


def cache_dir() -> Path:
    """Where processed images are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leadex-mail" / "images"


def max_width_for(slot_px: int) -> int:
    """Largest pixel width worth sending for a slot of ``slot_px`` CSS pixels."""
    return max(1, min(MAX_WIDTH, round(MAX_WIDTH * slot_px / BODY_WIDTH)))


def process_image(path: Path, slot_px: int = BODY_WIDTH) -> ProcessedImage:
    """Resize and compress the image file at ``path`` for a slot of ``slot_px`` pixels."""
    try:
        stat = path.stat()
    except OSError:
        raise RenderError(f"image {path} does not exist", hint="put the file in the issue's images/ folder or fix its src") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size, slot_px)
    hit = _memory.get(key)
    if hit is None:
        hit = _memory[key] = _process_file(path, max_width_for(slot_px))
    return hit


def _process_file(path: Path, max_width: int) -> ProcessedImage:
    source = path.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    cached = _from_disk(path, digest, max_width)
    if cached is not None:
        return cached
    data, fmt = _compress(source, max_width, path)
    width, height = _size(data)
    _to_disk(digest, max_width, fmt, data, width, height)
    return _describe(path, digest, max_width, data, fmt, width, height)


def _compress(source: bytes, max_width: int, path: Path) -> tuple[bytes, str]:
    """Return the smaller of (processed, original) bytes and the format."""
    from PIL import Image as PILImage  # imported here: a render from the disk cache never needs Pillow
    from PIL import UnidentifiedImageError

    trouble = picture_trouble(path)  # the loader refused it already; the file may have changed since
    if trouble:
        raise RenderError(f"image {path} {trouble[0]}", hint=trouble[1])
    try:
        with PILImage.open(io.BytesIO(source)) as img:
            fmt = img.format or "PNG"
            if fmt not in _MIME:
                return source, "PNG"
            if getattr(img, "is_animated", False):
                return _animation(img, source, max_width), fmt
            resized = img.width > max_width
            if resized:
                height = max(1, round(img.height * max_width / img.width))
                img = img.resize((max_width, height), PILImage.Resampling.LANCZOS)
            out = io.BytesIO()
            if fmt == "JPEG":
                img.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
            else:
                fmt = "PNG"
                img.save(out, "PNG", optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, PILImage.DecompressionBombError) as exc:
        raise RenderError(f"image {path} cannot be read: {exc}", hint="save it as JPEG or PNG") from None
    data = out.getvalue()
    if not resized and len(data) >= len(source) and fmt in {"JPEG", "PNG"}:
        return source, fmt  # already small: recompressing would only lose quality
    return data, fmt


def _animation(img: Any, source: bytes, max_width: int) -> bytes:
    """An animated GIF with every frame resized to ``max_width`` (timing, looping and disposal kept); ``source`` when narrow enough.

    The check bounds frames x pixels (``MAX_ANIMATION_PIXELS``, 50
    megapixels in all), so the resized frames held here take at most
    200 MB (RGBA), and usually a few MB.
    """
    from PIL import Image as PILImage
    from PIL import ImageSequence

    if img.width <= max_width:
        return source
    size = (max_width, max(1, round(img.height * max_width / img.width)))
    frames = [frame.convert("RGBA").resize(size, PILImage.Resampling.LANCZOS) for frame in ImageSequence.Iterator(img)]
    durations = []
    for index in range(len(frames)):
        img.seek(index)
        durations.append(img.info.get("duration", 100))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=durations, loop=img.info.get("loop", 0), disposal=2, optimize=True)
    return out.getvalue()


def _size(data: bytes) -> tuple[int, int]:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as img:
        return img.size


def _describe(path: Path, digest: str, max_width: int, data: bytes, fmt: str, width: int, height: int) -> ProcessedImage:
    suffix = "" if max_width == MAX_WIDTH else f"-{max_width}w"
    filename = f"{path.stem}{suffix}.{_EXT[fmt]}"
    return ProcessedImage(filename, _MIME[fmt], data, width, height, f"{path.stem}-{digest[:12]}@leadex-mail")


def _disk_stem(digest: str, max_width: int) -> str:
    return f"{digest[:32]}-{max_width}-v{CACHE_VERSION}"


def _from_disk(path: Path, digest: str, max_width: int) -> ProcessedImage | None:
    """A processed image from the disk cache; its pixel size is in the file name."""
    folder = cache_dir()
    if not folder.is_dir():
        return None
    for cached in folder.glob(_disk_stem(digest, max_width) + "-*"):
        size, _, ext = cached.name.rsplit("-", 1)[-1].partition(".")
        fmt = next((f for f, e in _EXT.items() if e == ext), None)
        width, _, height = size.partition("x")
        if fmt and width.isdigit() and height.isdigit():
            return _describe(path, digest, max_width, cached.read_bytes(), fmt, int(width), int(height))
    return None


def _to_disk(digest: str, max_width: int, fmt: str, data: bytes, width: int, height: int) -> None:
    target = cache_dir() / f"{_disk_stem(digest, max_width)}-{width}x{height}.{_EXT[fmt]}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(target)  # atomic: a parallel render never reads half a file
        finally:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written temporary file
    except OSError:
        pass  # a read-only home only costs speed; the image is still returned


def clear_memory_cache() -> None:
    """Forget processed images kept in this process (tests, benchmarks)."""
    _memory.clear()
