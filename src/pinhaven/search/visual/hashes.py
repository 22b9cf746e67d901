"""64-bit perceptual hashes (pHash, dHash) and a sub-linear Hamming-radius index (multi-index hashing).

Hashes are unsigned 64-bit integers; `to_signed`/`to_unsigned` convert for BIGINT columns. pHash follows
imagehash.phash (32×32 grey, 2-D DCT-II, low 8×8 block thresholded at its median), computed with a
precomputed DCT matrix so it costs microseconds on an already shrunk image.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np
from PIL import Image

from pinhaven.errors import InvalidInput
from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.layout import image_layout, keeps_layout
from pinhaven.search.visual.structure import structure_variants

__all__ = [
    "HammingIndex",
    "ImageHashes",
    "dhash",
    "hamming",
    "hamming_scan",
    "image_hashes",
    "phash",
    "to_signed",
    "to_unsigned",
]

_N = np.arange(32)
_DCT8 = np.cos(np.pi * np.arange(8)[:, None] * (2 * _N[None, :] + 1) / 64.0)  # rows 0..7 of DCT-II (32)
_MAX_PROBES = 8192  # substring keys probed per table before a linear scan is cheaper
_BITS = (np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def _pack(bits: np.ndarray) -> int:
    """64 booleans (row-major, first = most significant bit) to an unsigned int."""
    return int(np.bitwise_or.reduce(np.where(bits.ravel(), _BITS, np.uint64(0))))


def _phash_grey(grey32: np.ndarray) -> int:
    low = _DCT8 @ grey32 @ _DCT8.T
    return _pack(low > np.median(low))


def _dhash_grey(grey9x8: np.ndarray) -> int:
    return _pack(grey9x8[:, 1:] > grey9x8[:, :-1])


def _grey(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(img.convert("L").resize(size, Image.Resampling.LANCZOS), np.float64)


def phash(img: Image.Image) -> int:
    """DCT perceptual hash of an image (unsigned 64-bit)."""
    return _phash_grey(_grey(prepare_image(img, 64), (32, 32)))


def dhash(img: Image.Image) -> int:
    """Difference hash (horizontal gradients of a 9×8 thumbnail), unsigned 64-bit."""
    return _dhash_grey(_grey(prepare_image(img, 64), (9, 8)))


@dataclass(frozen=True)
class ImageHashes:
    """The hashes stored for an image, plus those of its mirror image (used only to query).

    `flatness` and `layout` (layout.py: the drawn-parts table) go with them: the flat-graphics duplicate
    rule needs both. They are None for rows stored before they existed. Every image has a layout (≤ 1.5 KiB):
    a copy of a flat graphic may itself be far less flat (JPEG noise), and the pair still needs both.
    `layout_variants` (query side only, never stored): the same parts measured at the scales and angles a
    crop or a small rotation moves a copy to (`structure.structure_variants`); flat-ish images only.
    """

    phash: int
    dhash: int
    phash_mirror: int
    dhash_mirror: int
    flatness: float | None = None
    layout: np.ndarray | None = field(default=None, compare=False, repr=False)
    layout_variants: tuple[np.ndarray, ...] = field(default=(), compare=False, repr=False)


def image_hashes(img: Image.Image) -> ImageHashes:
    """pHash and dHash of an image and of its horizontal mirror, its flatness and its drawn-parts layout,
    from one shrunk decode."""
    shrunk = prepare_image(img, 64)
    flat, layout = image_layout(shrunk)
    small = shrunk.convert("L")
    g32 = np.asarray(small.resize((32, 32), Image.Resampling.LANCZOS), np.float64)
    g98 = np.asarray(small.resize((9, 8), Image.Resampling.LANCZOS), np.float64)
    # LANCZOS is symmetric, so mirroring the thumbnail equals thumbnailing the mirror
    return ImageHashes(
        phash=_phash_grey(g32),
        dhash=_dhash_grey(g98),
        phash_mirror=_phash_grey(g32[:, ::-1]),
        dhash_mirror=_dhash_grey(g98[:, ::-1]),
        flatness=flat,
        layout=layout,
        layout_variants=structure_variants(shrunk, layout) if keeps_layout(flat) else (),
    )


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit hashes."""
    return (int(a) ^ int(b)).bit_count()


def to_signed(h: int) -> int:
    """Unsigned 64-bit hash to the signed value a BIGINT column stores."""
    return h - (1 << 64) if h >= 1 << 63 else h


def to_unsigned(h: int) -> int:
    """Inverse of `to_signed`."""
    return h + (1 << 64) if h < 0 else h


def _as_u64(hashes: Iterable[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(hashes)
    if arr.dtype == np.uint64:
        return arr.ravel()
    if arr.dtype == np.int64:
        return arr.view(np.uint64).ravel()
    return np.array([to_unsigned(int(h)) for h in np.asarray(hashes, dtype=object).ravel()], np.uint64)


def hamming_scan(hashes: np.ndarray, query: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: positions and distances of hashes within `radius` of `query`."""
    d = np.bitwise_count(_as_u64(hashes) ^ np.uint64(to_unsigned(query)))
    pos = np.flatnonzero(d <= radius)
    return pos, d[pos].astype(np.int64)


class HammingIndex:
    """Multi-index hashing over 64-bit hashes: m exact-match tables of 64/m-bit substrings.

    By pigeonhole, two hashes within distance r agree within r // m bits on at least one substring, so
    probing every substring key within that distance finds all matches exactly (no misses). Tables are
    sorted arrays searched with `searchsorted`; new hashes go to a small unsorted tail that is scanned linearly
    and merged into the tables when it grows. Deletes are tombstones, dropped at the next merge.
    """

    def __init__(self, substrings: int = 4) -> None:
        if substrings not in (2, 4, 8):
            raise InvalidInput("substrings must be 2, 4 or 8")
        self._m = substrings
        self._bits = 64 // substrings
        self._ids = np.zeros(0, np.int64)
        self._hashes = np.zeros(0, np.uint64)
        self._alive = np.zeros(0, bool)
        self._pos: dict[int, int] = {}
        self._built = 0  # positions [0, _built) are in the tables
        self._keys: list[np.ndarray] = []  # per table: substring values, sorted
        self._order: list[np.ndarray] = []  # per table: positions in that sorted order
        self._masks: dict[int, np.ndarray] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._pos)

    def __contains__(self, item_id: int) -> bool:
        return int(item_id) in self._pos

    def add(self, ids: Iterable[int], hashes: Iterable[int] | np.ndarray) -> None:
        """Insert or replace hashes for ids."""
        id_arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, np.int64).ravel()
        h_arr = _as_u64(hashes)
        if id_arr.shape != h_arr.shape:
            raise InvalidInput(f"{id_arr.size} ids but {h_arr.size} hashes")
        if np.unique(id_arr).size != id_arr.size:
            raise InvalidInput("ids in one add must be unique")
        with self._lock:
            self.remove(int(i) for i in id_arr if int(i) in self._pos)
            start = self._ids.size
            self._ids = np.concatenate([self._ids, id_arr])
            self._hashes = np.concatenate([self._hashes, h_arr])
            self._alive = np.concatenate([self._alive, np.ones(id_arr.size, bool)])
            for k, i in enumerate(id_arr.tolist()):
                self._pos[i] = start + k
            if self._ids.size - self._built > max(4096, self._built // 8):
                self._rebuild()

    def remove(self, ids: Iterable[int]) -> int:
        """Tombstone ids; returns how many were present."""
        n = 0
        with self._lock:
            for i in ids:
                p = self._pos.pop(int(i), None)
                if p is not None:
                    self._alive[p] = False
                    n += 1
            if self._alive.size and (self._alive.size - len(self._pos)) > max(4096, self._alive.size // 4):
                self._rebuild()
        return n

    def _rebuild(self) -> None:
        keep = np.flatnonzero(self._alive)
        self._ids, self._hashes = self._ids[keep], self._hashes[keep]
        self._alive = np.ones(keep.size, bool)
        self._pos = {i: p for p, i in enumerate(self._ids.tolist())}
        self._keys, self._order = [], []
        for j in range(self._m):
            keys = self._substring(self._hashes, j)
            order = np.argsort(keys, kind="stable")
            self._keys.append(keys[order])
            self._order.append(order)
        self._built = self._ids.size

    def _substring(self, h: np.ndarray, j: int) -> np.ndarray:
        shift = np.uint64(64 - self._bits * (j + 1))
        return ((h >> shift) & np.uint64((1 << self._bits) - 1)).astype(np.int64)

    def _probe_masks(self, s: int) -> np.ndarray:
        if s not in self._masks:
            masks = [0]
            for w in range(1, s + 1):
                masks += [sum(1 << b for b in c) for c in combinations(range(self._bits), w)]
            self._masks[s] = np.array(masks, np.int64)
        return self._masks[s]

    def search(self, query: int, radius: int) -> list[tuple[int, int]]:
        """(id, distance) of every stored hash within `radius` bits of `query`, nearest first."""
        if not 0 <= radius <= 64:
            raise InvalidInput("radius must be between 0 and 64")
        q = np.uint64(to_unsigned(int(query)))
        with self._lock:
            s = radius // self._m
            if sum(comb(self._bits, w) for w in range(s + 1)) > _MAX_PROBES:
                cand = np.arange(self._ids.size)  # probing would cost more than a linear scan
            else:
                masks = self._probe_masks(s)
                parts = [np.arange(self._built, self._ids.size)]
                for j in range(self._m if self._built else 0):
                    keys = int(self._substring(np.array([q]), j)[0]) ^ masks
                    table = self._keys[j]
                    starts = np.searchsorted(table, keys, "left")
                    ends = np.searchsorted(table, keys, "right")
                    parts.append(_ranges(self._order[j], starts, ends))
                cand = np.unique(np.concatenate(parts))
            d = np.bitwise_count(self._hashes[cand] ^ q)
            ok = (d <= radius) & self._alive[cand]
            cand, d = cand[ok], d[ok]
            ids = self._ids[cand]
        order = np.lexsort((ids, d))
        return [(int(ids[k]), int(d[k])) for k in order]


def _ranges(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate values[starts[i]:ends[i]] for all i without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return values[offsets + np.arange(total)]
