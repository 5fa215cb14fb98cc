"""Pictures dropped or picked in the studio, stored in the issue's ``images/`` as render wants them.

``store_picture`` checks the file's header before decoding anything (the
loader's ``picture_trouble``: decompression bombs, absurd sizes, formats
mail cannot show), then resizes it to at most ``MAX_WIDTH`` pixels wide and
compresses it the way ``render`` does (JPEG quality 82, progressive; PNG
optimised), so what is stored is what will be sent. The kinds taken are
``ACCEPTED`` (JPEG, PNG and GIF kept; WebP converted: PNG when it has
transparency, else JPEG); any other (TIFF, BMP, HEIC, ...) gets a clear
error naming them. The name is made safe and
unique (``images/kick-off-murcia.jpg``, ``images/kick-off-murcia-2.jpg``).
A picture is stored when it is picked (the preview shows it); the ones the
session stored that no edition or draft names are deleted again at Save
and "Discard my changes" (``forget_unused``).
"""

from __future__ import annotations

import io
import re
import tempfile
import unicodedata
from pathlib import Path

from leadex_mail.content.checks import picture_trouble
from leadex_mail.errors import ContentError, Problem
from leadex_mail.render.images import JPEG_QUALITY, MAX_WIDTH

MAX_UPLOAD_BYTES = 30 * 1024 * 1024
KEPT = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}
# The kinds of picture file the studio takes (Pillow's format name -> the name people know it by): JPEG, PNG
# and GIF are kept, WebP is converted (PNG when it has transparency, else JPEG). The one list: the check in
# ``store_picture``, every sentence that names them ("Drop a picture here (JPEG, PNG, GIF or WebP)",
# ``studio.i18n``'s ``{picture_kinds}``) and the file picker's ``accept`` list (``accept_attribute``) read it.
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WebP"}


def accepted_names() -> list[str]:
    """The names of the picture kinds the studio takes, in the order people are told them."""
    return list(ACCEPTED.values())


def accept_attribute() -> str:
    """The file picker's ``accept`` list (HTML ``<input type=file accept>``): the media type of each kind in ``ACCEPTED``.

    ``"image/jpeg,image/png,image/gif,image/webp"``, as Pillow registers each
    format's type (RFC 6838 names), so the picker offers what
    ``store_picture`` takes and nothing it refuses.
    """
    from PIL import Image as PILImage

    PILImage.init()  # every format plugin registered (WebP's type among them)
    return ",".join(PILImage.MIME[kind] for kind in ACCEPTED)


_FORM_ESCAPES = re.compile(r"%(22|0D|0A)", re.IGNORECASE)


def upload_name(raw: str) -> str:
    """The name the person's file has, from a form upload's ``filename`` (HTML's multipart/form-data escapes ``"`` CR LF as %22 %0D %0A).

    ``'Slika "dq".png'`` arrives as ``'Slika %22dq%22.png'``; names made
    from it (``safe_name``) come from the decoded name (a13d minor 12).
    """
    return _FORM_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), raw)


def forget_unused(folder: Path, added: set[str], in_use: list[object]) -> set[str]:
    """Delete the pictures ``added`` (``images/x.jpg``, stored by this studio session) that nothing in ``in_use`` names; those deleted.

    ``in_use``: the plain data of every edition as saved and of every draft.
    Only pictures the studio itself stored are ever deleted, never one a
    person put in ``images/`` by hand (it is not in ``added``).
    """
    import json

    texts = [json.dumps(data, ensure_ascii=False, default=str) for data in in_use if data is not None]
    images = (folder / "images").resolve()
    gone: set[str] = set()
    for src in sorted(added):
        if any(json.dumps(src, ensure_ascii=False) in text for text in texts):
            continue
        path = (folder / src).resolve()
        if path.parent != images:
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError:
            continue  # (left for a person to remove; nothing depends on it)
        gone.add(src)
    return gone


def safe_name(name: str) -> str:
    """A file name stem of ASCII letters, digits and dashes ("Uvodni sestanek (1)" -> "uvodni-sestanek-1")."""
    stem = Path(name).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return cleaned[:60] or "picture"


def store_picture(folder: Path, name: str, data: bytes) -> str:
    """Save ``data`` (a picture file named ``name``) under ``folder/images``; the ``src`` to write, e.g. ``images/x.jpg``.

    Raises ``ContentError`` (with a hint) for a file that is too big, not a
    picture, or one mail cannot carry safely.
    """
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise _refused(name, f"the file is {len(data) // (1024 * 1024)} MB; pictures may be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", "save a smaller copy (1200 pixels wide is plenty)")
    try:
        with tempfile.NamedTemporaryFile(suffix=Path(name).suffix or ".bin") as tmp:
            tmp.write(data)
            tmp.flush()
            trouble = _header_trouble(Path(tmp.name))
    except OSError as exc:  # a full disk or a size limit: name the picture, not the temporary file
        raise OSError(exc.errno, exc.strerror, name) from exc
    if trouble:
        raise _refused(name, f"{name} {trouble[0]}", trouble[1])
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            if img.format not in ACCEPTED:
                raise _refused(name, f"{name} is a {img.format or 'an unknown'} picture; the studio takes {_or(accepted_names())}", "save it as JPEG or PNG and try again")
            img.load()
            out, ext = _fit(img)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):  # Pillow's words would name an in-memory object
        raise _refused(name, f"{name} cannot be read as a picture", "save it as JPEG or PNG and try again") from None
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    target = _unique(images, safe_name(name), ext)
    try:
        target.write_bytes(out)
    except OSError:
        target.unlink(missing_ok=True)  # no half-written picture left behind (the caller says why it failed)
        raise
    return f"images/{target.name}"


def _or(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def _refused(name: str, message: str, hint: str) -> ContentError:
    """A picture the studio will not keep: the core's words, and the finding the studio says in the officer's."""
    return ContentError(message, [Problem(name, None, None, "", message, hint, code="picture.unusable")], hint=hint)


def _header_trouble(path: Path) -> tuple[str, str] | None:
    """The loader's header check, except that formats we convert are welcome here."""
    trouble = picture_trouble(path)
    if trouble and "not PNG, JPEG or GIF" in trouble[0]:
        return None
    return trouble


def _fit(img: object) -> tuple[bytes, str]:
    from PIL import Image as PILImage

    assert isinstance(img, PILImage.Image)
    fmt = img.format or ""
    if fmt == "GIF" and getattr(img, "is_animated", False):
        raise ContentError("animated pictures are not supported", [Problem("", None, None, "", "animated pictures are not supported", "save one frame as PNG or JPEG", code="picture.unusable")], hint="save one frame as PNG or JPEG")
    picture = img
    if picture.width > MAX_WIDTH:
        height = max(1, round(picture.height * MAX_WIDTH / picture.width))
        picture = picture.resize((MAX_WIDTH, height), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    alpha = picture.mode in ("RGBA", "LA", "P") and ("transparency" in picture.info or picture.mode != "P")
    if fmt == "PNG" or (fmt not in KEPT and alpha):
        picture.save(out, "PNG", optimize=True)
        return out.getvalue(), "png"
    if fmt == "GIF":
        picture.save(out, "GIF", optimize=True)
        return out.getvalue(), "gif"
    picture.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return out.getvalue(), "jpg"


def _unique(folder: Path, stem: str, ext: str) -> Path:
    candidate = folder / f"{stem}.{ext}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}.{ext}"
        number += 1
    return candidate
