"""The colours an edition is drawn with, derived from the brand, and their contrast.

The brand file gives four colours; the template needs a few more (text on
the primary colour, muted footer text, ...). They are derived here so that
every pair the template draws meets WCAG AA (4.5:1 for body text), whatever
the brand: when a brand colour would fail as text, the text colour is used.
``contrast_pairs`` lists every pair drawn; ``check`` reports those that fail.

Dark mode (``prefers-color-scheme: dark``, which Apple Mail, Outlook for
Mac/iOS and browsers honour once the message declares ``color-scheme``):
``DarkPalette`` puts light text on dark panels, lightening the brand colour
for links and headings until it reaches AA on them. The masthead, buttons
and spotlight label keep their brand colours, whose pairs are checked in
light mode already. ``dark_contrast_pairs`` lists the pairs it draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadex_mail.content.model import Brand

WHITE = "#ffffff"
AA_TEXT = 4.5
MUTED = "#4b5563"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _best_text_on(bg: str, dark: str) -> str:
    return WHITE if contrast_ratio(WHITE, bg) >= contrast_ratio(dark, bg) else dark


def _readable(preferred: str, bg: str, fallback: str) -> str:
    return preferred if contrast_ratio(preferred, bg) >= AA_TEXT else fallback


@dataclass(frozen=True)
class Palette:
    """Every colour the email template uses."""

    primary: str
    on_primary: str
    accent: str
    on_accent: str
    text: str
    link: str
    background: str
    muted: str
    footer_link: str
    panel: str = WHITE


def palette(brand: Brand) -> Palette:
    """The colours for ``brand``, adjusted so every text pair reaches WCAG AA."""
    text = brand.text_color
    bg = brand.background_color
    muted = _readable(MUTED, bg, text)
    return Palette(
        primary=brand.primary_color,
        on_primary=_best_text_on(brand.primary_color, text),
        accent=brand.accent_color,
        on_accent=_best_text_on(brand.accent_color, text),
        text=text,
        link=_readable(brand.primary_color, WHITE, text),
        background=bg,
        muted=muted,
        footer_link=_readable(brand.primary_color, bg, text),
    )


DARK_BACKGROUND = "#101418"
DARK_PANEL = "#1b2128"
DARK_TEXT = "#e6eaee"
DARK_MUTED = "#aeb8c2"


@dataclass(frozen=True)
class DarkPalette:
    """The colours that change in dark mode (the rest keep their light-mode values)."""

    background: str
    panel: str
    text: str
    link: str
    muted: str
    footer_link: str


def _mix(color: str, other: str, share: float) -> str:
    """``color`` moved ``share`` (0..1) of the way to ``other``, as ``#rrggbb``."""
    a = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def lighten_until(color: str, bg: str, minimum: float = AA_TEXT) -> str:
    """``color`` mixed with white in 5 % steps until it reaches ``minimum`` contrast on ``bg`` (white at worst)."""
    for step in range(21):
        candidate = _mix(color, WHITE, step / 20)
        if contrast_ratio(candidate, bg) >= minimum:
            return candidate
    return WHITE


def dark_palette(brand: Brand) -> DarkPalette:
    """Dark-mode colours for ``brand``: light text on dark panels, brand hues kept where they are readable."""
    return DarkPalette(
        background=DARK_BACKGROUND,
        panel=DARK_PANEL,
        text=DARK_TEXT,
        link=lighten_until(brand.primary_color, DARK_PANEL),
        muted=DARK_MUTED,
        footer_link=lighten_until(brand.primary_color, DARK_BACKGROUND),
    )


def dark_contrast_pairs(d: DarkPalette) -> list[tuple[str, str, str]]:
    """``(what, foreground, background)`` for every text dark mode recolours."""
    return [
        ("dark mode: body text on the panel", d.text, d.panel),
        ("dark mode: links and headings on the panel", d.link, d.panel),
        ("dark mode: dates and notes on the panel", d.muted, d.panel),
        ("dark mode: footer text on the background", d.muted, d.background),
        ("dark mode: footer links on the background", d.footer_link, d.background),
    ]


def contrast_pairs(p: Palette) -> list[tuple[str, str, str]]:
    """``(what, foreground, background)`` for every text the template draws."""
    return [
        ("body text on the white panel", p.text, p.panel),
        ("links and headings on the white panel", p.link, p.panel),
        ("masthead and button text on the primary colour", p.on_primary, p.primary),
        ("spotlight label on the accent colour", p.on_accent, p.accent),
        ("footer text on the background", p.muted, p.background),
        ("footer links on the background", p.footer_link, p.background),
        ("dates and notes on the white panel", p.muted, p.panel),
    ]


def failing_pairs(p: Palette, minimum: float = AA_TEXT) -> list[tuple[str, float]]:
    """Pairs under ``minimum`` contrast, with their ratio."""
    return [(what, round(contrast_ratio(fg, bg), 2)) for what, fg, bg in contrast_pairs(p) if contrast_ratio(fg, bg) < minimum]
