"""Images resized and compressed for email, cached on disk by content."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from PIL import Image as PILImage

from leadex_mail.errors import RenderError
from leadex_mail.render import images


def _photo(path, width, height, fmt="JPEG"):
    img = PILImage.effect_noise((width, height), 60).convert("RGB")
    img.save(path, fmt, quality=98)
    return path


@pytest.fixture(autouse=True)
def _fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    images.clear_memory_cache()
    yield
    images.clear_memory_cache()


def test_big_photo_is_resized_to_1200_and_compressed(tmp_path):
    src = _photo(tmp_path / "big.jpg", 1800, 1200)
    out = images.process_image(src, 600)
    assert (out.width, out.height) == (1200, 800)
    assert out.mime_type == "image/jpeg" and out.filename == "big.jpg"
    assert len(out.data) < src.stat().st_size
    with PILImage.open(io.BytesIO(out.data)) as img:
        assert img.size == (1200, 800) and img.info.get("progressive") == 1


def test_smaller_slots_get_proportionally_smaller_images(tmp_path):
    src = _photo(tmp_path / "face.jpg", 800, 800)
    out = images.process_image(src, 180)
    assert out.width == 360 and out.filename == "face-360w.jpg"


def test_png_stays_png_and_small_images_are_not_enlarged(tmp_path):
    src = tmp_path / "logo.png"
    PILImage.new("RGBA", (300, 80), (11, 79, 138, 255)).save(src)
    out = images.process_image(src, 600)
    assert out.mime_type == "image/png" and (out.width, out.height) == (300, 80)


def test_disk_cache_is_used_by_the_next_process(tmp_path, monkeypatch):
    src = _photo(tmp_path / "p.jpg", 1600, 900)
    first = images.process_image(src, 600)
    cached = list((tmp_path / "cache" / "leadex-mail" / "images").iterdir())
    assert len(cached) == 1 and cached[0].name.endswith("-1200x675.jpg")
    images.clear_memory_cache()

    def no_pillow(*args, **kwargs):
        raise AssertionError("Pillow must not run on a cache hit")

    monkeypatch.setattr(images, "_compress", no_pillow)
    again = images.process_image(src, 600)
    assert again.data == first.data and (again.width, again.height) == (1200, 675)


def test_changed_file_is_processed_again(tmp_path):
    src = _photo(tmp_path / "p.jpg", 1600, 900)
    first = images.process_image(src, 600)
    _photo(src, 1300, 1300)
    os.utime(src, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    second = images.process_image(src, 600)
    assert (second.width, second.height) == (1200, 1200) and second.cid != first.cid


def test_missing_and_broken_files_are_render_errors(tmp_path):
    with pytest.raises(RenderError, match="does not exist"):
        images.process_image(tmp_path / "nope.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    with pytest.raises(RenderError, match="cannot be read"):
        images.process_image(broken)


def make_png(width: int, height: int) -> bytes:
    """A black 1-bit PNG of any size, compressed row slice by row slice (never held as pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = 1 + (width + 7) // 8
    per = max(1, 1_000_000 // row)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(bytes(row * min(per, height - y))) for y in range(0, height, per)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_bomb_that_appears_after_loading_is_a_render_error_naming_the_limit(tmp_path):
    # The loader refuses bombs with a location; a file swapped in after loading is still refused by the render layer.
    (tmp_path / "bomb.png").write_bytes(make_png(20_000, 20_000))
    with pytest.raises(RenderError, match=r"bomb\.png is 400 megapixels; the limit is 50 megapixels"):
        images.process_image(tmp_path / "bomb.png")
    (tmp_path / "strip.png").write_bytes(make_png(16_000_000, 1))
    with pytest.raises(RenderError, match=r"strip\.png is 16000000 x 1 pixels; a side may be at most 20000 pixels"):
        images.process_image(tmp_path / "strip.png")


def test_a_very_wide_strip_within_the_limits_keeps_a_height(tmp_path):
    # 20 000 x 1 resized to 1200 wide rounded its height to 0 (a Pillow ValueError) before.
    PILImage.new("1", (20_000, 1)).save(tmp_path / "line.png")
    out = images.process_image(tmp_path / "line.png")
    assert (out.width, out.height) == (1200, 1)


def _animation(path, width, height, frames):
    """An animated GIF of ``frames`` plain frames (small on disk whatever its size)."""
    shots = [PILImage.new("RGB", (width, height), (20 * n % 256, 90, 160)) for n in range(frames)]
    shots[0].save(path, "GIF", save_all=True, append_images=shots[1:], duration=[100 + 10 * n for n in range(frames)], loop=0)
    return path


def test_an_animated_gif_is_resized_frame_by_frame_keeping_its_timing(tmp_path):
    # a9 finding 11: animations were copied unchanged (4000 x 4000 stayed 4000 x 4000).
    out = images.process_image(_animation(tmp_path / "anim.gif", 2000, 1000, 8), 600)
    assert (out.width, out.height, out.mime_type) == (1200, 600, "image/gif")
    with PILImage.open(io.BytesIO(out.data)) as img:
        assert img.size == (1200, 600) and img.n_frames == 8 and img.info.get("loop") == 0
        timing = []
        for n in range(img.n_frames):
            img.seek(n)
            timing.append(img.info["duration"])
    assert timing == [100 + 10 * n for n in range(8)]
    narrow = images.process_image(_animation(tmp_path / "narrow.gif", 300, 200, 3), 600)
    assert narrow.data == (tmp_path / "narrow.gif").read_bytes()  # small enough: sent as made


def test_an_animation_too_big_in_all_its_frames_is_refused_before_decoding(tmp_path):
    from leadex_mail.content.checks import picture_trouble

    path = _animation(tmp_path / "long.gif", 2000, 2000, 14)  # 56 megapixels in all, each frame 4
    what, hint = picture_trouble(path)
    assert what == "is an animation of 14 frames of 2000 x 2000 pixels (56 megapixels in all); the limit is 50 megapixels in all"
    assert "still picture" in hint
    with pytest.raises(RenderError, match="megapixels in all"):
        images.process_image(path)
