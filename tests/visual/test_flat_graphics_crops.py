"""Crops and small rotations of flat graphics join their original (the query's other readings of its parts,
`structure.structure_variants`), and those extra readings never pull two siblings of one template together."""

from __future__ import annotations

import dataclasses
import io

from PIL import Image

from pinhaven.search.visual.builtin import BuiltinEmbedder
from pinhaven.search.visual.dedup import DuplicateFinder
from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.graphics import graphic_family
from pinhaven.search.visual.hashes import HammingIndex, ImageHashes, image_hashes
from pinhaven.search.visual.index import VectorIndex
from pinhaven.search.visual.synthetic import apply_transform, jpeg_bytes

TEMPLATES = (21, 22, 23, 24, 25, 26, 27, 28)  # generator seeds not used to tune the rule (bench: seed 1)
FAMILY = 3
HARD = ("crop10", "rotate5")


def _stored(img: Image.Image) -> Image.Image:
    return prepare_image(Image.open(io.BytesIO(jpeg_bytes(img))))


def _finder(embedder: BuiltinEmbedder, stored: list[Image.Image]) -> DuplicateFinder:
    ids = list(range(len(stored)))
    vectors = VectorIndex(embedder.dim, model_id=embedder.model_id)
    vectors.add(ids, embedder.embed_images(stored))
    finder = DuplicateFinder(hashes=HammingIndex(), vectors=vectors)
    finder.add(ids, [image_hashes(im) for im in stored])
    return finder


def _plain(h: ImageHashes) -> ImageHashes:
    return dataclasses.replace(h, layout_variants=())


def test_crops_and_rotations_join_and_siblings_stay_apart(embedder: BuiltinEmbedder) -> None:
    graphics = [g for seed in TEMPLATES for g in graphic_family(seed, FAMILY, width=480)]
    stored = [_stored(g) for g in graphics]
    finder = _finder(embedder, stored)
    vectors = embedder.embed_images(stored)
    for i, im in enumerate(stored):  # every reading of a graphic against its siblings: nothing
        h = image_hashes(im)
        assert h.layout_variants, i  # flat graphics carry their other readings
        got = {m.id for m in finder.find(h, vectors[i], query_id=i)}
        assert got == set(), (i, got)
    found = {"with": 0, "plain": 0}
    total = 0
    for name in HARD:
        copies = [_stored(apply_transform(name, g, seed=i)) for i, g in enumerate(graphics)]
        for i, (im, v) in enumerate(zip(copies, embedder.embed_images(copies), strict=True)):
            h = image_hashes(im)
            got = {m.id for m in finder.find(h, v)}
            assert got <= {i}, (name, i, got)  # never a sibling
            found["with"] += i in got
            found["plain"] += i in {m.id for m in finder.find(_plain(h), v)}
            total += 1
    # measured at 480 px: 47 of 48 with the other readings, 42 of 48 with the plain reading alone
    assert found["with"] >= 0.9 * total, found
    assert found["with"] > found["plain"], found
