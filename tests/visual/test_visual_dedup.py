from __future__ import annotations

import numpy as np

from pinhaven.search.visual.dedup import DuplicateFinder, DuplicatePolicy, UnionFind, canonical_groups
from pinhaven.search.visual.hashes import HammingIndex, image_hashes
from pinhaven.search.visual.index import VectorIndex


def _finder(embedder, originals, ids):
    vindex = VectorIndex(embedder.dim, model_id=embedder.model_id)
    vindex.add(ids, embedder.embed_images(originals))
    finder = DuplicateFinder(hashes=HammingIndex(), vectors=vindex)
    finder.add(ids, [image_hashes(im) for im in originals])
    return finder


def test_dedup_finds_transformed_copies_and_rejects_distinct_images(embedder, originals, copies, distinct):
    ids = [1000 + i for i in range(len(originals))]
    finder = _finder(embedder, originals, ids)
    assert finder.policy == DuplicatePolicy.for_model(embedder.model_id)
    found = total = wrong = 0
    for imgs in copies.values():
        vecs = embedder.embed_images(imgs)
        for i, (im, v) in enumerate(zip(imgs, vecs, strict=True)):
            got = [m.id for m in finder.find(image_hashes(im), v)]
            found += ids[i] in got
            wrong += sum(g != ids[i] for g in got)
            total += 1
    assert found / total >= 0.95 and wrong == 0, (found, total, wrong)
    for im, v in zip(distinct, embedder.embed_images(distinct), strict=True):
        assert finder.find(image_hashes(im), v) == []


def test_dedup_respects_visibility_and_exclusions(embedder, originals, copies):
    ids = list(range(1, len(originals) + 1))
    finder = _finder(embedder, originals, ids)
    im = copies["jpeg30"][0]
    v = embedder.embed_images([im])[0]
    assert [m.id for m in finder.find(image_hashes(im), v)] == [1]
    assert finder.find(image_hashes(im), v, visible=lambda got: set()) == []
    assert finder.find(image_hashes(im), v, exclude=[1]) == []


def test_hash_only_mode_matches_only_near_identical_images(originals, copies):
    finder = DuplicateFinder(hashes=HammingIndex())
    finder.add(list(range(len(originals))), [image_hashes(im) for im in originals])
    hits = [m.id for m in finder.find(image_hashes(copies["resize50"][3]))]
    assert hits == [3]
    assert [m.id for m in finder.find(image_hashes(copies["hflip"][4]))] == [4]
    assert all(m.cosine is None for m in finder.find(image_hashes(copies["resize50"][3])))
    finder.remove([3])
    assert finder.find(image_hashes(copies["resize50"][3])) == []


def test_canonical_is_the_oldest_member_of_each_group():
    groups = canonical_groups([(30, 20), (20, 50), (7, 9)], ids=[99])
    assert groups == {30: 20, 20: 20, 50: 20, 7: 7, 9: 7, 99: 99}
    uf = UnionFind()
    assert uf.union(5, 3) == 3 and uf.union(3, 1) == 1 and uf.find(5) == 1


def test_policy_depends_on_the_vector_space():
    assert DuplicatePolicy.for_model("builtin-v1").min_cosine_alone > DuplicatePolicy().min_cosine_alone
    assert DuplicatePolicy.for_model("builtin-v1-P1234").min_cosine_alone < DuplicatePolicy().min_cosine_alone
    assert np.isclose(DuplicatePolicy.for_model("builtin-v1-Labc").min_cosine_hashed, 0.65)
