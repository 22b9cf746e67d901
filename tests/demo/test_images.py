"""The demo's generated pictures: every theme renders, deterministically, at Pinterest-like shapes."""

from __future__ import annotations

import hashlib
import io
import random

import numpy as np
import pytest
from PIL import Image

from pinhaven.demo.images import MOTIFS, THEMES, pick_size, render
from pinhaven.demo.texts import TITLES, pin_text


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_theme_renders_a_jpeg_of_the_size_it_reports(theme: str) -> None:
    art = render(theme, 1)
    image = Image.open(io.BytesIO(art.jpeg))
    assert image.format == "JPEG"
    assert image.size == (art.width, art.height)
    assert 600 <= art.width <= 900
    assert art.motif in MOTIFS[theme]
    assert set(MOTIFS[theme]) == set(TITLES[theme])  # every motif has words


@pytest.mark.parametrize("theme", list(THEMES))
def test_same_seed_gives_same_bytes_and_other_seeds_differ(theme: str) -> None:
    assert render(theme, 3).jpeg == render(theme, 3).jpeg
    hashes = {hashlib.sha256(render(theme, seed).jpeg).hexdigest() for seed in range(6)}
    assert len(hashes) == 6


@pytest.mark.parametrize("theme", list(THEMES))
def test_pictures_are_not_flat(theme: str) -> None:
    """A blank or single-colour canvas would mean a painter drew nothing."""
    image = Image.open(io.BytesIO(render(theme, 5).jpeg)).convert("RGB").resize((64, 64))
    pixels = np.asarray(image).reshape(-1, 3) // 8  # ignore JPEG noise
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert counts.max() / len(pixels) < 0.9
    assert len(colours) > 20


def test_themes_are_told_apart_by_colour() -> None:
    """Food is warm, gardens are green: mean colours of each theme's pictures differ."""

    def mean_rgb(theme: str) -> tuple[float, float, float]:
        totals = [0.0, 0.0, 0.0]
        for seed in range(8):
            small = (
                Image.open(io.BytesIO(render(theme, seed).jpeg))
                .convert("RGB")
                .resize((1, 1), Image.Resampling.BOX)
            )
            pixel = small.getpixel((0, 0))
            assert isinstance(pixel, tuple)
            for k in range(3):
                totals[k] += pixel[k] / 8
        return totals[0], totals[1], totals[2]

    gardens = mean_rgb("gardens")
    assert gardens[1] > gardens[0] and gardens[1] > gardens[2]  # green dominates
    food = mean_rgb("food")
    assert food[0] > food[2]  # warm: more red than blue


def test_detail_does_not_depend_on_supersampling() -> None:
    """Resuming an interrupted demo re-derives titles from cheap renders; they must name the same palette."""
    for theme, motifs in MOTIFS.items():
        for seed in range(12):
            motif = motifs[seed % len(motifs)]
            fine, rough = render(theme, seed, motif=motif), render(theme, seed, motif=motif, supersample=1)
            assert fine.motif == rough.motif == motif
            assert (fine.detail, fine.width, fine.height) == (rough.detail, rough.width, rough.height)


def test_unknown_theme_or_motif_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        render("cars", 1)
    with pytest.raises(ValueError, match="no motif"):
        render("food", 1, motif="kitchen")


def test_sizes_are_mostly_portrait() -> None:
    rng = random.Random(0)
    sizes = [pick_size(rng) for _ in range(2000)]
    portrait = sum(h > w for w, h in sizes) / len(sizes)
    assert 0.7 < portrait < 0.95
    ratios = {round(h / w, 2) for w, h in sizes}
    assert {1.5, 1.25, 1.33, 1.0, 2.0} <= ratios


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_motif_has_text_and_a_plausible_link(theme: str) -> None:
    rng = random.Random(1)
    for motif in TITLES[theme]:
        seen_link = False
        for _ in range(20):
            text = pin_text(rng, theme, motif, "sage")
            assert text.title and len(text.title) <= 100
            assert text.description.startswith(text.title)
            assert motif in text.alt_text or theme == "architecture"
            if text.link is not None:
                seen_link = True
                assert text.link.startswith("https://") and ".example." in text.link
        assert seen_link
