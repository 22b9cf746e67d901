from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from pinhaven.errors import InvalidInput
from pinhaven.search.visual.index import VectorIndex

DIM = 16


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = (np.arange(n, dtype=np.int64) + 1) * 1_000_003 + (1 << 40)  # large, sparse, like snowflakes
    return ids, x


def _exact(ids: np.ndarray, x: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return [int(ids[i]) for i in np.argsort(-(x @ q), kind="stable")[:k]]


def test_brute_force_search_is_exact():
    ids, x = _data(300)
    index = VectorIndex(DIM, model_id="t")
    index.add(ids, x)
    assert not index.uses_hnsw and len(index) == 300
    for q in x[:10]:
        got = index.search(q, 5)
        assert [i for i, _ in got] == _exact(ids, x, q, 5)
        assert got[0][1] == pytest.approx(1.0, abs=1e-5)


def test_hnsw_path_after_threshold_has_high_recall():
    ids, x = _data(2000)
    index = VectorIndex(DIM, model_id="t", brute_force_below=500)
    index.add(ids[:400], x[:400])
    assert not index.uses_hnsw
    index.add(ids[400:], x[400:])  # crosses the threshold: HNSW built with everything
    assert index.uses_hnsw and len(index) == 2000
    hits = sum(len({i for i, _ in index.search(q, 10)} & set(_exact(ids, x, q, 10))) for q in x[::20])
    assert hits / (10 * 100) >= 0.95


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_delete_upsert_and_tombstone_compaction(threshold):
    ids, x = _data(400)
    index = VectorIndex(DIM, model_id="t", brute_force_below=threshold, max_tombstone_ratio=0.2)
    index.add(ids, x)
    assert index.remove(ids[:50].tolist()) == 50 and index.remove([12345]) == 0
    assert index.tombstones == 50 and len(index) == 350
    assert all(i not in set(ids[:50].tolist()) for i, _ in index.search(x[0], 20))
    index.add(ids[60:61], -x[60:61])  # upsert: the old vector must not be found any more
    assert index.search(-x[60], 1)[0][0] == int(ids[60])
    assert int(ids[60]) not in [i for i, _ in index.search(x[60], 5)]
    index.remove(ids[100:140].tolist())  # 91 tombstones > 20% of 401 positions: compacts
    assert index.tombstones == 0 and len(index) == 310
    assert index.uses_hnsw == (threshold == 50)
    np.testing.assert_allclose(index.vectors([int(ids[200])])[int(ids[200])], x[200], atol=1e-6)


def test_oversampling_returns_k_visible_and_never_a_hidden_id():
    ids, x = _data(3000)
    index = VectorIndex(DIM, model_id="t", brute_force_below=1000)
    index.add(ids, x)
    allowed = set(ids[::23].tolist())  # ~4% visible
    calls: list[list[int]] = []

    def visible(batch):
        calls.append(list(batch))
        return {i for i in batch if i in allowed}

    q = x[5]  # its exact match ids[5] is hidden
    got = index.search(q, 10, visible=visible)
    assert len(got) == 10 and all(i in allowed for i, _ in got)
    assert int(ids[5]) not in [i for i, _ in got]
    assert len(calls) >= 2  # had to widen the fetch
    flat = [i for c in calls for i in c]
    assert len(flat) == len(set(flat))  # each id is checked once
    exact_visible = [i for i in _exact(ids, x, q, 3000) if i in allowed][:10]
    assert len({i for i, _ in got} & set(exact_visible)) >= 8


def test_search_stops_when_the_index_is_exhausted():
    ids, x = _data(50)
    index = VectorIndex(DIM, model_id="t")
    index.add(ids, x)
    got = index.search(x[0], 10, visible=lambda b: {int(ids[3])} & set(b))
    assert [i for i, _ in got] == [int(ids[3])]
    assert index.search(x[0], 5, exclude=[int(ids[0])])[0][0] != int(ids[0])


@pytest.mark.parametrize("threshold", [10_000, 100])
def test_save_and_reload(tmp_path, threshold):
    ids, x = _data(500)
    index = VectorIndex(DIM, model_id="m1", directory=tmp_path, brute_force_below=threshold)
    index.add(ids, x)
    index.remove(ids[:10].tolist())
    index.save(watermark="job-42")
    index.add(ids[:1], x[:1])
    index.save()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "meta.json" in names and not [n for n in names if n.startswith(".tmp")]
    assert all(n.endswith(("-2.npz", "-2.faiss", ".json")) for n in names), names  # old generation gone
    again = VectorIndex.open(tmp_path, dim=DIM, model_id="m1", brute_force_below=threshold)
    assert len(again) == 491 and again.watermark == "job-42" and again.uses_hnsw == index.uses_hnsw
    for q in x[20:25]:
        assert again.search(q, 5) == index.search(q, 5)


def test_open_rebuilds_when_missing_stale_or_of_another_model(tmp_path):
    ids, x = _data(200)
    calls = []

    def source():
        calls.append(1)
        return zip(ids.tolist(), x, strict=True)

    a = VectorIndex.open(tmp_path, dim=DIM, model_id="m1", rebuild_from=source)
    assert len(a) == 200 and len(calls) == 1 and (tmp_path / "meta.json").exists()
    VectorIndex.open(tmp_path, dim=DIM, model_id="m1", rebuild_from=source, expected_count=200)
    assert len(calls) == 1  # fresh: loaded, not rebuilt
    VectorIndex.open(tmp_path, dim=DIM, model_id="m1", rebuild_from=source, expected_count=201)
    assert len(calls) == 2  # stale count
    b = VectorIndex.open(tmp_path, dim=DIM, model_id="m2", rebuild_from=source)
    assert len(calls) == 3 and json.loads((tmp_path / "meta.json").read_text())["model_id"] == "m2"
    (tmp_path / "meta.json").write_text("{broken")
    VectorIndex.open(tmp_path, dim=DIM, model_id="m2", rebuild_from=source)
    assert len(calls) == 4 and len(b) == 200
    empty = VectorIndex.open(tmp_path / "none", dim=DIM, model_id="m2")
    assert len(empty) == 0 and empty.search(x[0], 3) == []


def test_bad_vectors_are_rejected():
    index = VectorIndex(DIM, model_id="t")
    with pytest.raises(InvalidInput, match="width"):
        index.add([1], np.zeros((1, DIM + 1), np.float32))
    with pytest.raises(InvalidInput, match="NaN"):
        index.add([1], np.full((1, DIM), np.nan, np.float32))
    with pytest.raises(InvalidInput, match="unique"):
        index.add([1, 1], np.ones((2, DIM), np.float32))
    with pytest.raises(InvalidInput):
        index.save()


def test_one_writer_many_readers(tmp_path):
    ids, x = _data(1500)
    index = VectorIndex(DIM, model_id="t", brute_force_below=600, max_tombstone_ratio=0.1)
    index.add(ids[:100], x[:100])
    errors: list[BaseException] = []
    done = threading.Event()

    def reader():
        try:
            while not done.is_set():
                for i, s in index.search(x[7], 5, visible=lambda b: set(b)):
                    assert isinstance(i, int) and -1.01 <= s <= 1.01
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for start in range(100, 1500, 50):
        index.add(ids[start : start + 50], x[start : start + 50])
        index.remove(ids[start - 100 : start - 90].tolist())
    done.set()
    for t in threads:
        t.join()
    assert not errors and index.uses_hnsw
    assert len(index) == 1500 - 10 * len(range(100, 1500, 50))
