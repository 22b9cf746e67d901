"""Fixtures for the visual tests: small procedural images, their transformed copies, a fitted embedder."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pinhaven.search.visual.builtin import BuiltinEmbedder
from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.synthetic import TRANSFORMS, apply_transform, base_images, jpeg_bytes

WIDTH = 320  # small images keep the suite fast; the benchmark uses 736 px


def reopen(img: Image.Image, quality: int = 90) -> Image.Image:
    """Round-trip through JPEG, as stored media would be."""
    return Image.open(io.BytesIO(jpeg_bytes(img, quality)))


@pytest.fixture(scope="session")
def originals() -> list[Image.Image]:
    return [reopen(im).convert("RGB") for im in base_images(30, seed=101, width=WIDTH)]


@pytest.fixture(scope="session")
def copies(originals: list[Image.Image]) -> dict[str, list[Image.Image]]:
    return {
        name: [reopen(apply_transform(name, im, seed=i)).convert("RGB") for i, im in enumerate(originals)]
        for name in TRANSFORMS
    }


@pytest.fixture(scope="session")
def distinct() -> list[Image.Image]:
    """Images that are nobody's copy."""
    return [reopen(im).convert("RGB") for im in base_images(15, seed=202, width=WIDTH)]


@pytest.fixture(scope="session")
def embedder() -> BuiltinEmbedder:
    """builtin-v1 with a learned whitening fitted on a separate set of images."""
    train = [prepare_image(im, 256) for im in base_images(60, seed=303, width=WIDTH)]
    return BuiltinEmbedder(BuiltinEmbedder.fit(train, seed=1))
