"""Generated pictures with known text, for the OCR benchmark and tests (no files, no network).

Fonts: DejaVu from the system when present (Debian's fonts-dejavu-core), else Pillow's built-in scalable
font. Conditions: `clear` (dark text on a plain light ground, upright), `inverse` (light on dark), `rotated`
(±2..5°), `gradient` (text over a colour gradient), `photo` (a text banner over a painted demo scene), and
`notext` (painted scenes and shapes with no text at all, for the skip rate).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["CONDITIONS", "Sample", "font_files", "generate", "sample"]

CONDITIONS = ("clear", "inverse", "rotated", "gradient", "photo", "notext")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_NAMES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")
_WORD_TEXT = (
    "quick easy dinner recipe chocolate cake bake minutes oven garden spring flowers summer travel guide "
    "paris rome city weekend workout plan daily habits quote inspire believe yourself dream big kitchen "
    "tips budget wedding ideas outfit autumn cozy living room decor plants water sunlight healthy smoothie "
    "breakfast lunch salad pasta bread coffee morning routine study notes history science art painting "
    "watercolor sketch hiking trail mountain beach sunset family photo home office storage small space"
)
WORDS = tuple(_WORD_TEXT.split())
FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Sample:
    condition: str
    image: Image.Image
    text: str  # lines joined by "\n"; empty for `notext`
    font: str
    size: int


def font_files() -> list[str]:
    """The DejaVu fonts found here ([] when absent: the built-in font is used)."""
    return [str(FONT_DIR / name) for name in FONT_NAMES if (FONT_DIR / name).exists()]


def _font(name: str, size: int) -> FontType:
    return ImageFont.truetype(name, size) if name != "builtin" else ImageFont.load_default(size=size)


def _phrase(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4))).capitalize()


def _gradient(size: tuple[int, int], rng: random.Random) -> Image.Image:
    top = tuple(rng.randrange(150, 256) for _ in range(3))
    bottom = tuple(rng.randrange(120, 230) for _ in range(3))
    strip = Image.new("RGB", (1, 2))
    strip.putpixel((0, 0), top)
    strip.putpixel((0, 1), bottom)
    return strip.resize(size, Image.Resampling.BILINEAR)


def _scene(size: tuple[int, int], rng: random.Random) -> Image.Image:
    from pinhaven.demo.images import THEMES, render_image

    theme = rng.choice(sorted(THEMES))
    image, _, _ = render_image(theme, rng, size, supersample=1)
    return image.convert("RGB")


def sample(condition: str, rng: random.Random, *, width: int = 736, height: int = 920) -> Sample:
    """One picture of `condition` with the text drawn on it."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; known: {', '.join(CONDITIONS)}")
    fonts = font_files() or ["builtin"]
    font_name = rng.choice(fonts)
    size = rng.choice((22, 28, 36, 48, 60))
    if condition == "notext":
        return Sample(condition, _scene((width, height), rng), "", font_name, 0)
    lines = [_phrase(rng) for _ in range(rng.randint(1, 3))]
    font = _font(font_name, size)
    while max(font.getlength(line) for line in lines) > width - 60 and size > 16:
        size -= 4
        font = _font(font_name, size)
    ink: tuple[int, int, int] = (20, 20, 20)
    if condition == "inverse":
        ground = Image.new("RGB", (width, height), (rng.randrange(0, 60),) * 3)
        ink = (245, 245, 240)
    elif condition == "gradient":
        ground = _gradient((width, height), rng)
    elif condition == "photo":
        ground = _scene((width, height), rng)
    else:
        ground = Image.new("RGB", (width, height), tuple(rng.randrange(225, 256) for _ in range(3)))
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    line_height = round(size * 1.5)
    y = rng.randrange(40, max(41, height - 40 - line_height * len(lines)))
    if condition == "photo":  # a banner, as quote and recipe pins put their words on
        pen.rectangle(
            (0, y - size // 2, width, y + line_height * len(lines) + size // 2), fill=(250, 247, 240, 235)
        )
    for line in lines:
        x = rng.randrange(30, max(31, width - 30 - round(font.getlength(line))))
        pen.text((x, y), line, font=font, fill=(*ink, 255))
        y += line_height
    if condition == "rotated":
        angle = rng.choice((-1, 1)) * rng.uniform(2.0, 5.0)
        layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, center=(width / 2, height / 2))
    ground.paste(layer, (0, 0), layer)
    return Sample(condition, ground, "\n".join(lines), font_name, size)


def generate(count_per_condition: int, *, seed: int = 17) -> list[Sample]:
    rng = random.Random(seed)
    return [sample(c, rng) for c in CONDITIONS for _ in range(count_per_condition)]
