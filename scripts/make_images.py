"""Make the stand-in pictures of issue No. 1 and the brand (the seed's pictures are lost).

    python scripts/make_images.py [NEWSLETTERS_DIR]

Each picture is small (well under the 200 KB lint limit), drawn with Pillow
only, and deterministic: running the script again gives the same files.
They are placeholders that look like what stood there (a banner, meeting
photos, video thumbnails, a campaign graphic) until the real ones are added.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BLUE = (11, 79, 138)
DARK = (31, 41, 51)
GOLD = (242, 169, 0)
EU_BLUE = (0, 51, 153)
EU_YELLOW = (255, 204, 0)
ISSUE = "2026-04-leadex-01"


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in scalable font (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def centred(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, size: int, fill: tuple[int, int, int]) -> None:
    """Draw ``text`` (may have line breaks) centred in ``box``."""
    f = font(size)
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=f, align="center")
    x = box[0] + (box[2] - box[0] - (right - left)) // 2
    y = box[1] + (box[3] - box[1] - (bottom - top)) // 2
    draw.multiline_text((x, y - top), text, font=f, fill=fill, align="center")


def banner(text: str, sub: str, size: tuple[int, int]) -> Image.Image:
    """A logo banner: the name large, a line under it."""
    img = Image.new("RGB", size, BLUE)
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle((0, h - 8, w, h), fill=GOLD)
    centred(draw, (0, 0, w, h - 34), text, h // 2, (255, 255, 255))
    centred(draw, (0, h - 44, w, h - 10), sub, 16, (230, 238, 246))
    return img


def photo(seed: int, caption: str, size: tuple[int, int] = (600, 320)) -> Image.Image:
    """A meeting-photo stand-in: a room, a screen, rows of people as simple shapes."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, (214, 222, 230))
    draw = ImageDraw.Draw(img)
    for y in range(h):  # a soft wall gradient
        shade = 236 - int(40 * y / h)
        draw.line((0, y, w, y), fill=(shade, shade - 6, shade - 14))
    draw.rectangle((w // 2 - 130, 30, w // 2 + 130, 150), fill=BLUE)
    centred(draw, (w // 2 - 130, 30, w // 2 + 130, 150), caption, 20, (255, 255, 255))
    for row in range(2):
        for i in range(9):
            x = 30 + i * (w - 60) // 8 + rnd.randint(-8, 8)
            y = h - 120 + row * 60
            colour = tuple(rnd.randint(40, 200) for _ in range(3))
            draw.ellipse((x - 14, y - 34, x + 14, y - 6), fill=(224, 184, 150))
            draw.rounded_rectangle((x - 24, y - 4, x + 24, y + 60), 12, fill=colour)
    return img


def thumbnail(seed: int, initials: str, size: tuple[int, int] = (280, 158)) -> Image.Image:
    """A video-interview thumbnail: a person, initials and a play button."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, tuple(rnd.randint(60, 120) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    draw.ellipse((w // 2 - 34, 22, w // 2 + 34, 90), fill=(224, 184, 150))
    draw.rounded_rectangle((w // 2 - 60, 92, w // 2 + 60, h + 20), 30, fill=DARK)
    draw.polygon([(w - 58, h - 52), (w - 58, h - 18), (w - 28, h - 35)], fill=(255, 255, 255))
    draw.text((12, 10), initials, font=font(22), fill=(255, 255, 255))
    return img


def cooperate() -> Image.Image:
    """The '#europecooperates' campaign graphic."""
    img = Image.new("RGB", (600, 300), (0, 94, 184))
    draw = ImageDraw.Draw(img)
    centred(draw, (0, 20, 600, 220), "Europe,\nlet's\ncooperate!", 44, (255, 255, 255))
    centred(draw, (0, 220, 600, 280), "#europecooperates", 26, GOLD)
    return img


def funding() -> Image.Image:
    """The co-funding mark: a flag of twelve stars beside the programme's words."""
    img = Image.new("RGB", (480, 120), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle((12, 12, 156, 108), fill=EU_BLUE)
    for k in range(12):
        angle = 2 * math.pi * k / 12
        x, y = 84 + 32 * math.cos(angle), 60 + 32 * math.sin(angle)
        draw.regular_polygon((x, y, 6), 5, fill=EU_YELLOW)
    draw.text((172, 22), "Interreg Europe", font=font(30), fill=EU_BLUE)
    draw.text((172, 66), "Co-funded by\nthe European Union", font=font(16), fill=DARK)
    return img


def save(img: Image.Image, path: Path) -> None:
    """Write PNG or JPEG by suffix, compressed for mail."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jpg":
        img.save(path, "JPEG", quality=82, optimize=True)
    else:
        img.save(path, "PNG", optimize=True)


def main(root: Path) -> None:
    """Write every stand-in picture under ``root`` (the newsletters folder)."""
    brand = root / "brand-images"
    save(banner("LeadEx", "Interreg Europe", (600, 140)), brand / "leadex-logo.png")
    save(funding(), brand / "interreg-europe-eu-funding.png")
    issue = root / ISSUE / "images"
    save(banner("LeadEx", "Learning about the Educational Approach to Develop Excellence", (600, 160)), issue / "leadex-project-logo.png")
    save(photo(1, "LeadEx\nMurcia 2025"), issue / "kickoff-murcia.jpg")
    save(photo(2, "LeadEx\nTallinn 2026"), issue / "study-visit-tallinn.jpg")
    save(photo(3, "Interreg Europe\nLille 2025"), issue / "event-lille.jpg")
    save(photo(4, "LeadEx\nPodkarpackie 2025"), issue / "event-podkarpackie.jpg")
    save(photo(5, "6th International\nConference on Giftedness"), issue / "event-giftedness-conference.jpg")
    save(cooperate(), issue / "europe-lets-cooperate.png")
    people = {
        "helen-arus": "HA",
        "juan-garcia-iborra": "JGI",
        "heli-mattisen-alesa-mihelic": "HM · AM",
        "maie-kitsing": "MK",
        "berta-lopez-lopez": "BLL",
    }
    for seed, (name, initials) in enumerate(people.items(), start=10):
        save(thumbnail(seed, initials), issue / f"interview-{name}.jpg")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "newsletters")
