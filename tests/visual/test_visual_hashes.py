from __future__ import annotations

import imagehash
import numpy as np
import pytest

from pinhaven.errors import InvalidInput
from pinhaven.search.visual.hashes import (
    HammingIndex,
    dhash,
    hamming,
    hamming_scan,
    image_hashes,
    phash,
    to_signed,
    to_unsigned,
)


def test_phash_agrees_with_imagehash(originals):
    for im in originals[:5]:
        assert hamming(phash(im), int(str(imagehash.phash(im)), 16)) <= 4
        assert hamming(dhash(im), int(str(imagehash.dhash(im)), 16)) <= 6


def test_mirror_hash_equals_hash_of_the_flipped_image(copies, originals):
    for orig, flipped in zip(originals[:5], copies["hflip"][:5], strict=True):
        assert hamming(image_hashes(flipped).phash_mirror, image_hashes(orig).phash) <= 4


def test_signed_round_trip():
    for h in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        s = to_signed(h)
        assert -(1 << 63) <= s < (1 << 63) and to_unsigned(s) == h


def _random_hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    base = rng.integers(0, 1 << 62, size=n, dtype=np.int64).view(np.uint64) << np.uint64(2)
    # plant near neighbours of the first hashes so small radii have hits
    flips = rng.integers(0, 64, size=(n // 2, 6))
    for k in range(n // 2):
        for b in flips[k, : k % 7]:
            base[n // 2 + k] = base[k] ^ (np.uint64(1) << np.uint64(int(b)))
    return base


@pytest.mark.parametrize("substrings", [2, 4, 8])
def test_multi_index_hashing_equals_brute_force(substrings):
    rng = np.random.default_rng(substrings)
    hashes = _random_hashes(rng, 6000)
    ids = np.arange(hashes.size, dtype=np.int64) * 3 + 1
    index = HammingIndex(substrings=substrings)
    index.add(ids[:5000], hashes[:5000])  # built into the tables
    index.add(ids[5000:], hashes[5000:])  # stays in the unsorted tail
    removed = set(ids[::17].tolist())
    index.remove(removed)
    alive = np.array([i not in removed for i in ids.tolist()])
    for radius in (0, 3, 7, 12, 18):
        for qi in rng.integers(0, hashes.size, 25):
            q = int(hashes[qi]) ^ (1 << int(rng.integers(64)))
            pos, dist = hamming_scan(hashes, q, radius)
            expected = sorted((int(ids[p]), int(d)) for p, d in zip(pos, dist, strict=True) if alive[p])
            assert sorted(index.search(q, radius)) == expected


def test_hamming_index_replaces_and_validates():
    index = HammingIndex()
    index.add([7], [0b1011])
    index.add([7], [0])  # replace
    assert len(index) == 1 and index.search(0, 0) == [(7, 0)]
    with pytest.raises(InvalidInput):
        index.search(0, 65)
    with pytest.raises(InvalidInput):
        index.add([1, 2], [3])
    with pytest.raises(InvalidInput, match="unique"):
        index.add([1, 1], [3, 4])
