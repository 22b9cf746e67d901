"""Reciprocal rank fusion, the in-process vector matrix, typo vocabulary and query builders (no database)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pinhaven.accounts.scopes import ANONYMOUS
from pinhaven.errors import InvalidInput
from pinhaven.search.text.backends import Filters
from pinhaven.search.text.fts_mysql import boolean_query
from pinhaven.search.text.fts_postgres import tsquery_text
from pinhaven.search.text.fts_sqlite import match_expression
from pinhaven.search.text.fusion import reciprocal_rank_fusion, rrf_scores
from pinhaven.search.text.query import parse_query
from pinhaven.search.text.semantic import Encoder
from pinhaven.search.text.typo import Vocabulary, edit_distance
from pinhaven.search.text.vectors import VectorMatrix, from_bytes, to_bytes


def test_rrf_scores_are_sums_of_reciprocal_ranks() -> None:
    scores = rrf_scores([["a", "b", "c"], ["c", "a"]], k=60)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)


def test_rrf_favours_items_both_lists_agree_on() -> None:
    keyword = [1, 2, 3, 4]
    semantic = [9, 3, 8, 1]
    fused = reciprocal_rank_fusion([keyword, semantic])
    assert fused[:2] == [1, 3]  # in both lists, near the top of each
    assert set(fused) == {1, 2, 3, 4, 8, 9}
    assert fused.index(2) < fused.index(8)  # rank 2 in one list beats rank 3 in one list


def test_rrf_of_one_list_keeps_its_order_and_ties_keep_first_appearance() -> None:
    assert reciprocal_rank_fusion([[5, 4, 3]]) == [5, 4, 3]
    assert reciprocal_rank_fusion([["x"], ["y"]]) == ["x", "y"]
    assert reciprocal_rank_fusion([]) == []


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_vector_matrix_masks_secret_rows_before_taking_the_top_k() -> None:
    matrix = VectorMatrix(dim=3, capacity=1)
    matrix.upsert(
        [
            (1, 10, 100, True, _unit(1, 0, 0)),  # secret board 10, the best match
            (2, 20, 200, False, _unit(0.9, 0.1, 0)),
            (3, 20, 200, False, _unit(0, 1, 0)),
        ]
    )
    query = _unit(1, 0, 0)
    assert [pid for pid, _ in matrix.search(query, k=1)] == [2]  # the hidden row takes no slot
    assert [pid for pid, _ in matrix.search(query, k=1, member_boards=[10])] == [1]
    assert [pid for pid, _ in matrix.search(query, k=5, min_score=0.5)] == [2]
    assert [pid for pid, _ in matrix.search(query, k=5, user_id=200)] == [2, 3]
    assert matrix.search(query, k=5, board_id=99) == []


def test_vector_matrix_equals_a_brute_force_ranking_under_filters() -> None:
    rng = np.random.default_rng(3)
    n, dim = 3000, 24
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    boards, creators = rng.integers(0, 40, n), rng.integers(0, 7, n)
    secret = boards % 5 == 0
    matrix = VectorMatrix(dim=dim, capacity=16)
    matrix.upsert((1000 + i, int(boards[i]), int(creators[i]), bool(secret[i]), vectors[i]) for i in range(n))
    query = vectors[7] + 0.5 * vectors[8]
    query /= np.linalg.norm(query)
    exact = vectors.astype(np.float64) @ query.astype(np.float64)
    cases = [
        ({}, ~secret),
        ({"member_boards": [5, 10]}, ~secret | np.isin(boards, [5, 10])),
        ({"board_id": 3}, boards == 3),
        ({"board_id": 5}, np.zeros(n, bool)),  # a secret board, and not the viewer's
        ({"user_id": 2, "member_boards": [15]}, (~secret | (boards == 15)) & (creators == 2)),
    ]
    for filters, allowed in cases:
        for k, floor in ((50, -1.0), (10, 0.1), (5000, 0.0)):
            expected = [1000 + int(i) for i in np.flatnonzero(allowed & (exact >= floor))]
            expected.sort(key=lambda pin_id: -exact[pin_id - 1000])
            found = matrix.search(query, k=k, min_score=floor, **filters)  # type: ignore[arg-type]
            assert [pin_id for pin_id, _ in found] == expected[:k]
            assert [score for _, score in found] == pytest.approx(
                [exact[p - 1000] for p in expected[:k]], abs=1e-6
            )


def test_vector_matrix_orders_equal_scores_newest_pin_first_whatever_the_row_order() -> None:
    same, other = _unit(1, 1, 0), _unit(1, 0, 0)
    matrix = VectorMatrix(dim=3)
    matrix.upsert([(pin_id, 1, 1, False, same) for pin_id in (4, 9, 2, 7)])
    matrix.upsert([(5, 1, 1, False, other)])
    query = _unit(1, 1, 0.2)
    assert [pid for pid, _ in matrix.search(query, k=5)] == [9, 7, 4, 2, 5]
    assert [pid for pid, _ in matrix.search(query, k=2)] == [9, 7]  # a cut among ties keeps the newest
    matrix.remove([9])  # moves the last row into the hole
    assert [pid for pid, _ in matrix.search(query, k=3)] == [7, 4, 2]


def test_vector_matrix_rejects_a_query_of_another_dimension() -> None:
    matrix = VectorMatrix(dim=3)
    matrix.upsert([(1, 1, 1, False, _unit(1, 0, 0))])
    with pytest.raises(ValueError):
        matrix.search(_unit(1, 0), k=1)


def test_vector_matrix_upsert_replaces_and_remove_compacts() -> None:
    matrix = VectorMatrix(dim=2, capacity=1)
    matrix.upsert(
        [(1, 1, 1, False, _unit(1, 0)), (2, 1, 1, False, _unit(0, 1)), (3, 1, 1, False, _unit(1, 1))]
    )
    matrix.upsert([(1, 1, 1, False, _unit(0, 1))])
    assert len(matrix) == 3
    matrix.remove([1, 42])
    assert len(matrix) == 2 and 1 not in matrix
    assert [pid for pid, _ in matrix.search(_unit(0, 1), k=2)] == [2, 3]


def test_vector_bytes_round_trip_and_reject_other_sizes() -> None:
    vector = _unit(3, 4)
    decoded = from_bytes(to_bytes(vector), dim=2)
    assert decoded is not None and np.allclose(decoded, vector)
    assert from_bytes(b"\x00" * 12, dim=2) is None


def test_vocabulary_corrects_to_the_most_frequent_close_word() -> None:
    vocabulary = Vocabulary.from_texts(["kitchen tiles", "kitchen sink", "kitten photos", "mosaic tiles"])
    assert vocabulary.correct("kitchem") == "kitchen"
    assert vocabulary.correct("kicthen") == "kitchen"  # transposition
    assert vocabulary.correct("mosiac") == "mosaic"
    assert vocabulary.correct("kitchen") is None  # known words stay
    assert vocabulary.correct("xyzzy") is None
    assert vocabulary.correct("sink") is None and vocabulary.correct("snk") is None  # too short to guess
    assert edit_distance("kitten", "sitting") == 3


def test_parse_query_normalises_and_rejects_empty_text() -> None:
    parsed = parse_query("  Blue   TILES, blue-tiles! ")
    assert parsed.words == ("blue", "tiles") and parsed.text == "Blue TILES, blue-tiles!"
    assert parse_query("Café Crème").words == ("café", "crème")
    for bad in (None, "", "   ", "!!!", "x" * 201):
        with pytest.raises(InvalidInput):
            parse_query(bad)


def test_query_builders_cannot_be_steered_by_operators() -> None:
    words = parse_query('tile" OR facets:sec NOT b1 -x +y *').words
    assert all(word.isalnum() for word in words)
    expression = match_expression(words, filters=Filters(viewer=ANONYMOUS), member_boards=[])
    assert expression.endswith('NOT facets : "sec"')
    assert '"tile"*' in expression
    assert tsquery_text(["blue", "ti"]) == "(blue | blue:*) & (ti | ti:*)"
    assert tsquery_text(["ti", "blue"]) == "ti & (blue | blue:*)"  # short words prefix-match only when last
    assert boolean_query(["the", "tiles"]) == "+(tiles tiles* tile tile*)"  # InnoDB stop word dropped
    assert boolean_query(["tv"]) == ""


def test_encoder_answers_none_until_loaded_then_caches_query_vectors() -> None:
    release = threading.Event()
    calls: list[list[str]] = []

    class FakeModel:
        def encode(self, texts: list[str], **_: object) -> np.ndarray:
            calls.append(texts)
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    def slow_loader() -> FakeModel:
        release.wait(10)
        return FakeModel()

    encoder = Encoder(loader=slow_loader)
    assert encoder.query_vector_nowait("puppy") is None  # loading started, caller does not wait
    assert not encoder.ready
    release.set()
    assert encoder.wait_ready(10)
    first = encoder.query_vector_nowait("Puppy ")
    again = encoder.query_vector_nowait("puppy")
    assert first is not None and again is first and calls == [["puppy"]]


def test_encoder_that_fails_to_load_stays_off() -> None:
    def broken() -> object:
        raise OSError("weights missing")

    encoder = Encoder(loader=broken)
    assert not encoder.wait_ready(10)
    assert encoder.error is not None and "weights missing" in encoder.error
    assert encoder.query_vector_nowait("anything") is None
