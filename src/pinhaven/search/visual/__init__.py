"""Visual discovery core: embedders (builtin, CLIP), the vector index, perceptual hashes, duplicates.

Library code only: jobs, endpoints and pages call these. Typical indexing of one image:

    img = Image.open(io.BytesIO(data))            # not loaded yet, so draft() can shrink the decode
    small = prepare_image(img)                    # shared, cheap downscale
    vec = embedder.embed_images([small])[0]       # BuiltinEmbedder(whitening) or load_clip(...)
    h = image_hashes(small)
    index.add([pin_id], vec[None]); finder.add([pin_id], [h])
"""

from pinhaven.search.visual.builtin import BUILTIN_MODEL_ID, BuiltinEmbedder, colour_histogram
from pinhaven.search.visual.clip import ClipEmbedder, clip_available, fetch_clip_weights, load_clip
from pinhaven.search.visual.dedup import (
    DuplicateFinder,
    DuplicateMatch,
    DuplicatePolicy,
    UnionFind,
    canonical_groups,
)
from pinhaven.search.visual.embedder import (
    Embedder,
    ModelUnavailable,
    Whitening,
    fit_whitening,
    l2_normalize,
    prepare_image,
)
from pinhaven.search.visual.hashes import (
    HammingIndex,
    ImageHashes,
    dhash,
    hamming,
    hamming_scan,
    image_hashes,
    phash,
    to_signed,
    to_unsigned,
)
from pinhaven.search.visual.index import VectorIndex, VisibleFn

__all__ = [
    "BUILTIN_MODEL_ID",
    "BuiltinEmbedder",
    "ClipEmbedder",
    "DuplicateFinder",
    "DuplicateMatch",
    "DuplicatePolicy",
    "Embedder",
    "HammingIndex",
    "ImageHashes",
    "ModelUnavailable",
    "UnionFind",
    "VectorIndex",
    "VisibleFn",
    "Whitening",
    "canonical_groups",
    "clip_available",
    "colour_histogram",
    "dhash",
    "fetch_clip_weights",
    "fit_whitening",
    "hamming",
    "hamming_scan",
    "image_hashes",
    "l2_normalize",
    "load_clip",
    "phash",
    "prepare_image",
    "to_signed",
    "to_unsigned",
]
