"""The flat-graphics duplicate rule on a small generated corpus: siblings of one template (same background
and layout, other words/shapes/colours) never match; their true copies do."""

from __future__ import annotations

import io

from PIL import Image

from pinhaven.search.visual.builtin import BuiltinEmbedder
from pinhaven.search.visual.dedup import DuplicateFinder
from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.graphics import graphic_family
from pinhaven.search.visual.hashes import HammingIndex, image_hashes
from pinhaven.search.visual.index import VectorIndex
from pinhaven.search.visual.synthetic import apply_transform, jpeg_bytes

FAMILY = 3
# copies kept apart from crops and rotations, whose recall is lower (bench/visual.py part `graphics`)
RELIABLE = ("resize50", "jpeg30", "bright20", "hflip")


def _stored(img: Image.Image) -> Image.Image:
    return prepare_image(Image.open(io.BytesIO(jpeg_bytes(img))))


def test_siblings_of_one_template_never_match_and_their_copies_do(embedder: BuiltinEmbedder) -> None:
    graphics = [g for seed in (11, 12, 13, 14, 15, 16) for g in graphic_family(seed, FAMILY, width=480)]
    stored = [_stored(g) for g in graphics]
    ids = list(range(len(stored)))
    vectors = VectorIndex(embedder.dim, model_id=embedder.model_id)
    vectors.add(ids, embedder.embed_images(stored))
    finder = DuplicateFinder(hashes=HammingIndex(), vectors=vectors)
    finder.add(ids, [image_hashes(im) for im in stored])
    for i, im in enumerate(stored):  # each graphic against its siblings: only itself
        got = {m.id for m in finder.find(image_hashes(im), embedder.embed_images([im])[0], query_id=i)}
        assert got == set(), (i, got)
    missed = []
    for name in RELIABLE:
        copies = [_stored(apply_transform(name, g, seed=i)) for i, g in enumerate(graphics)]
        for i, (im, v) in enumerate(zip(copies, embedder.embed_images(copies), strict=True)):
            got = {m.id for m in finder.find(image_hashes(im), v)}
            assert got <= {i}, (name, i, got)  # never a sibling
            if i not in got:
                missed.append((name, i))
    # measured: 62 of 72 found at this size (the bench's 736 px copies: ≈ 0.94-0.99 for these transforms)
    assert len(missed) <= 0.2 * len(RELIABLE) * len(graphics), missed
