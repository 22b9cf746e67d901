"""Pixie walks: neighbours, determinism, multi-hit boosting, early stopping, masks, budgets, quality."""

from __future__ import annotations

import numpy as np
import pytest

from pinhaven.discovery.evaluation import community_precision
from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.synthetic import SyntheticWorld
from pinhaven.discovery.walks import related, step_budgets, walk
from pinhaven.errors import InvalidInput

BACKENDS = ["numba", "numpy"]


def two_boards() -> PinBoardGraph:
    """Board 100 holds 1, 11, 12, 13, 5; board 200 holds 2, 21, 22, 23, 5: pin 5 is on both."""
    return PinBoardGraph.from_edges([1, 11, 12, 13, 5, 2, 21, 22, 23, 5], [100] * 5 + [200] * 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_neighbour_of_a_two_pin_board(backend):
    g = PinBoardGraph.from_edges([1, 2, 3, 4], [10, 10, 20, 20])
    result = related(g, 1, steps=1_000, backend=backend)
    assert [pin for pin, _ in result] == [2]
    assert 300 < result[0][1] <= 1_000  # half the steps land back on the query pin


@pytest.mark.parametrize("backend", BACKENDS)
def test_walk_reaches_two_hops_and_ranks_one_hop_first(backend):
    g = PinBoardGraph.from_edges([1, 2, 2, 3], [10, 10, 11, 11])  # 1 -10- 2 -11- 3
    result = related(g, 1, steps=5_000, backend=backend)
    assert [pin for pin, _ in result] == [2, 3]
    walked = walk(g, 1, steps=5_000, backend=backend)
    assert set(walked.pin_ids.tolist()) == {1, 2, 3}  # the query itself is visited, then excluded


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_result(backend, world_graph: PinBoardGraph):
    query = int(world_graph.pin_ids([int(np.argmax(world_graph.pin_degrees()))])[0])
    first = related(world_graph, query, steps=20_000, seed=3, backend=backend)
    assert first == related(world_graph, query, steps=20_000, seed=3, backend=backend)
    assert first != related(world_graph, query, steps=20_000, seed=4, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_hit_boosting_favours_pins_reached_from_several_queries(backend):
    g = two_boards()
    combined = related(g, {1: 1.0, 2: 1.0}, steps=20_000, n_p=0, backend=backend)
    assert combined[0][0] == 5
    # Summing visit counts would give pin 5 about twice the score of the others;
    # (sqrt V1 + sqrt V2)^2 gives it about 2.6 times.
    assert combined[0][1] > 2.3 * combined[1][1]
    single = related(g, 1, steps=10_000, n_p=0, backend=backend)
    assert single[0][1] < 1.3 * single[1][1]  # from one query pin 5 is barely ahead


@pytest.mark.parametrize("backend", BACKENDS)
def test_early_stopping_cuts_the_walk_short(backend):
    g = PinBoardGraph.from_edges(list(range(1, 11)), [100] * 10)
    stopped = walk(g, 1, steps=100_000, n_p=5, n_v=4, backend=backend)
    assert stopped.steps <= 5_000  # checked after each batch of walkers
    full = walk(g, 1, steps=100_000, n_p=0, backend=backend)
    assert full.steps == 100_000


@pytest.mark.parametrize("backend", BACKENDS)
def test_masked_pins_are_never_returned(backend, world_graph: PinBoardGraph):
    rng = np.random.default_rng(0)
    allowed = (rng.random(world_graph.n_pins) < 0.5).astype(np.uint8)
    degrees = world_graph.pin_degrees()
    queries = world_graph.pin_ids(np.argsort(-degrees)[:5])
    for query in queries.tolist():
        result = related(world_graph, query, steps=20_000, allowed=allowed, backend=backend)
        assert result
        returned = world_graph.pin_indices([pin for pin, _ in result])
        assert allowed[returned].all()


def test_blocking_the_only_neighbour_leaves_nothing():
    g = PinBoardGraph.from_edges([1, 2], [10, 10])
    assert related(g, 1, allowed=g.pin_mask([2], allow=False), steps=500) == []


def test_exclude_and_exclude_queries():
    g = PinBoardGraph.from_edges([1, 2, 3], [10, 10, 10])
    assert [pin for pin, _ in related(g, 1, exclude=[2], steps=2_000)] == [3]
    assert 1 in {pin for pin, _ in related(g, 1, exclude_queries=False, steps=2_000)}


def test_unknown_or_zero_weight_queries_give_nothing():
    g = PinBoardGraph.from_edges([1, 2], [10, 10])
    assert related(g, 999) == []
    assert related(g, {1: 0.0}) == []
    assert walk(g, [999, 1]).queries == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"n_v": 0}, "n_v"),
        ({"top_k": 0}, "top_k"),
        ({"backend": "gpu"}, "backend"),
        ({"allowed": np.ones(1, dtype=np.uint8)}, "allowed"),
    ],
)
def test_bad_parameters_raise_invalid_input(kwargs, field):
    g = PinBoardGraph.from_edges([1, 2], [10, 10])
    with pytest.raises(InvalidInput) as err:
        related(g, 1, **kwargs)
    assert err.value.field == field


def test_negative_weight_is_rejected():
    g = PinBoardGraph.from_edges([1, 2], [10, 10])
    with pytest.raises(InvalidInput, match="weight"):
        related(g, {1: -1.0})


def test_step_budgets_grow_sublinearly_with_degree_and_follow_weights():
    budgets = step_budgets([10, 1_000], [1.0, 1.0], 100_000, max_degree=1_000)
    assert budgets[1] > budgets[0]
    assert budgets[1] / budgets[0] < 100 / 2  # far less than the degree ratio
    weighted = step_budgets([10, 10], [3.0, 1.0], 100_000, max_degree=1_000)
    assert weighted[0] == pytest.approx(3 * weighted[1], rel=0.01)
    assert step_budgets([1, 100_000], [1.0, 1.0], 1_000, max_degree=100_000)[0] >= 100  # floor


def test_backends_agree_on_the_strongest_related_pins(world_graph: PinBoardGraph):
    degrees = world_graph.pin_degrees()
    query = int(world_graph.pin_ids([int(np.argsort(-degrees)[10])])[0])
    a = {pin for pin, _ in related(world_graph, query, top_k=20, steps=50_000, n_p=0, backend="numba")}
    b = {pin for pin, _ in related(world_graph, query, top_k=20, steps=50_000, n_p=0, backend="numpy")}
    assert len(a & b) >= 10


def test_related_pins_stay_in_the_query_community(world: SyntheticWorld, world_graph: PinBoardGraph):
    rng = np.random.default_rng(1)
    degrees = world_graph.pin_degrees()
    queries = rng.choice(np.flatnonzero(degrees >= 2), 100, replace=False)
    dense_of = {int(pid): i for i, pid in enumerate(world.pin_ids)}
    results, communities = [], []
    for q in world_graph.pin_ids(queries).tolist():
        found = related(world_graph, q, top_k=50, steps=20_000)
        results.append([dense_of[pin] for pin, _ in found])
        communities.append(int(world.pin_community[dense_of[q]]))
    precision = community_precision(results, communities, world.pin_community)
    assert precision >= 0.8  # measured: 0.90


def test_query_pins_may_be_a_one_shot_iterator():
    g = PinBoardGraph.from_edges([1, 2, 3], [10, 10, 10])
    assert {pin for pin, _ in related(g, iter([1, 2]), steps=2_000)} == {3}
