"""PinBoardGraph: building, id maps, incremental updates, removals, compaction, pruning, memory."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pinhaven.discovery.graph import PinBoardGraph, PruneOptions
from pinhaven.discovery.synthetic import SyntheticWorld
from pinhaven.discovery.walks import related
from pinhaven.errors import InvalidInput

BIG = 1 << 60  # snowflake-sized ids exercise the 64-bit id maps


def small_graph() -> PinBoardGraph:
    # pin 1 on board 10; pin 2 on 10 and 11; pin 3 on 11; pins 4, 5 on board 12
    return PinBoardGraph.from_edges(
        [BIG + 1, BIG + 2, BIG + 2, BIG + 3, BIG + 4, BIG + 5, BIG + 2],
        [BIG + 10, BIG + 10, BIG + 11, BIG + 11, BIG + 12, BIG + 12, BIG + 10],
    )


def edge_set(graph: PinBoardGraph) -> set[tuple[int, int]]:
    pins, boards = graph.edges()
    return set(zip(pins.tolist(), boards.tolist(), strict=True))


def test_build_collapses_duplicate_edges_and_maps_ids():
    g = small_graph()
    assert (g.n_pins, g.n_boards, g.n_edges) == (5, 3, 6)
    assert g.boards_of(BIG + 2) == [BIG + 10, BIG + 11]
    assert g.pins_of(BIG + 10) == [BIG + 1, BIG + 2]
    assert g.pin_degree(BIG + 2) == 2
    assert g.pin_index(BIG + 99) == -1
    idx = g.pin_indices([BIG + 3, BIG + 99, BIG + 1])
    assert idx[1] == -1 and g.pin_ids(idx[[0, 2]]).tolist() == [BIG + 3, BIG + 1]


def test_mismatched_edge_arrays_are_rejected():
    with pytest.raises(InvalidInput, match="edges"):
        PinBoardGraph.from_edges([1, 2], [10])


def test_empty_graph_builds_and_walks_to_nothing():
    g = PinBoardGraph.from_edges([], [])
    assert g.n_edges == 0
    assert related(g, 1) == []


def test_added_edge_is_walked_at_once():
    g = small_graph()
    assert g.add_edge(BIG + 6, BIG + 12)  # a new pin saved to an existing board
    assert not g.add_edge(BIG + 6, BIG + 12)  # already there
    assert not g.add_edge(BIG + 1, BIG + 10)  # already in the base CSR
    assert g.add_edge(BIG + 1, BIG + 12)  # links pin 1 to pins 4, 5, 6
    assert g.n_edges == 8
    got = {pin for pin, _ in related(g, BIG + 1, steps=4_000)}
    assert {BIG + 4, BIG + 5, BIG + 6} <= got


def test_new_board_and_pin_in_the_delta_only():
    g = small_graph()
    g.add_edge(BIG + 7, BIG + 13)
    g.add_edge(BIG + 8, BIG + 13)
    assert [pin for pin, _ in related(g, BIG + 7, steps=1_000)] == [BIG + 8]


def test_removed_edge_is_no_longer_walked():
    g = small_graph()
    assert g.remove_edge(BIG + 2, BIG + 11)  # pin 3 now only reachable... not at all from pin 1
    assert not g.remove_edge(BIG + 2, BIG + 11)
    assert not g.remove_edge(BIG + 99, BIG + 11)
    assert [pin for pin, _ in related(g, BIG + 1, steps=2_000)] == [BIG + 2]
    assert g.boards_of(BIG + 2) == [BIG + 10]
    assert g.add_edge(BIG + 2, BIG + 11)  # restoring a dead base edge revives it
    assert BIG + 3 in {pin for pin, _ in related(g, BIG + 1, steps=4_000)}


def test_removing_a_delta_edge():
    g = small_graph()
    g.add_edge(BIG + 1, BIG + 12)
    assert g.remove_edge(BIG + 1, BIG + 12)
    assert g.n_edges == 6
    assert {pin for pin, _ in related(g, BIG + 1, steps=2_000)} <= {BIG + 2, BIG + 3}


def test_removed_pin_never_comes_out_and_can_come_back():
    g = small_graph()
    assert g.remove_pin(BIG + 2)
    assert not g.remove_pin(BIG + 2)
    assert g.pin_index(BIG + 2) == -1
    assert related(g, BIG + 1, steps=2_000) == []  # pin 2 was its only neighbour
    assert related(g, BIG + 2, steps=100) == []  # a removed pin is not a query either
    g.add_edge(BIG + 2, BIG + 11)  # comes back with only the new edge
    assert g.boards_of(BIG + 2) == [BIG + 11]
    assert [pin for pin, _ in related(g, BIG + 3, steps=1_000)] == [BIG + 2]


def test_removed_board_hides_all_its_edges():
    g = small_graph()
    g.add_edge(BIG + 9, BIG + 12)
    assert g.remove_board(BIG + 12)  # e.g. made secret
    assert g.pins_of(BIG + 12) == []
    assert related(g, BIG + 4, steps=500) == []
    assert g.n_edges == 4
    for pin in (BIG + 4, BIG + 5, BIG + 9):
        g.add_edge(pin, BIG + 12)  # made public again: the caller re-adds its current pins
    assert {pin for pin, _ in related(g, BIG + 4, steps=1_000)} == {BIG + 5, BIG + 9}


def test_compaction_keeps_exactly_the_live_edges():
    g = small_graph()
    g.add_edge(BIG + 6, BIG + 13)
    g.add_edge(BIG + 1, BIG + 11)
    g.remove_edge(BIG + 4, BIG + 12)
    g.remove_pin(BIG + 3)
    before = edge_set(g)
    g.compact()
    assert edge_set(g) == before
    assert g.n_edges == len(before) == 6
    assert g.pin_index(BIG + 3) == -1 and g.pin_index(BIG + 6) >= 0


def test_view_compacts_once_churn_passes_the_threshold():
    g = PinBoardGraph.from_edges(np.arange(100), np.arange(100) // 10, compact_fraction=0.05, compact_min=3)
    for pin in range(100, 105):
        g.add_edge(pin, 0)
    assert not g.needs_compaction()  # 5 changes: not more than 5% of 100 edges
    g.add_edge(105, 0)
    assert g.needs_compaction()
    view = g.view()
    assert not g.needs_compaction() and view.dpin_adj.size == 0
    assert g.n_edges == 106 and len(g.pins_of(0)) == 16


def test_old_views_stay_usable_after_updates():
    g = small_graph()
    old = g.view()
    g.add_edge(BIG + 6, BIG + 10)
    new = g.view()
    # A walk still running on the old view must not see slots pointing past its delta arrays.
    assert new.dpin_slot is not old.dpin_slot and (old.dpin_slot == -1).all()
    assert new.dpin_adj.size == 1 and new.n_pins == old.n_pins + 1


def test_memory_is_within_budget(world: SyntheticWorld, world_graph: PinBoardGraph):
    assert world_graph.n_edges > 100_000
    assert world_graph.bytes_per_edge() <= 200
    assert world_graph.memory_bytes() > 8 * world_graph.n_edges  # both CSR directions are counted


def test_pruning_caps_popular_pins():
    pins = np.r_[np.zeros(50, np.int64), np.arange(1, 51)]
    boards = np.r_[np.arange(50), np.arange(50)]
    g = PinBoardGraph.from_edges(pins, boards, prune=PruneOptions(max_pin_degree=10))
    assert g.pin_degree(0) == 10
    assert all(g.pin_degree(p) == 1 for p in range(1, 51))


def test_pruning_keeps_the_boards_matching_the_pin_topic_and_drops_diffuse_boards():
    # board 0: topic-0 pins; board 1: topic-1 pins plus pin 0; board 2: one pin of each of 6 topics
    pins = [0, 1, 2, 3, 0, 11, 12, 13, 20, 21, 22, 23, 24, 25]
    boards = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    topics = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 2, 3, 4, 5]
    opts = PruneOptions(max_pin_degree=1, max_board_entropy=1.0)
    g = PinBoardGraph.from_edges(pins, boards, topics=topics, prune=opts)
    assert g.boards_of(0) == [0]
    assert g.pins_of(2) == [] and g.pin_index(24) == -1
    with pytest.raises(InvalidInput, match="topics"):
        PinBoardGraph.from_edges(pins, boards, topics=topics[:3], prune=opts)


def test_pin_mask_allow_and_deny():
    g = small_graph()
    allow = g.pin_mask([BIG + 1, BIG + 3], allow=True)
    deny = g.pin_mask([BIG + 1], allow=False)
    assert allow.sum() == 2 and allow[g.pin_index(BIG + 3)] == 1
    assert deny.sum() == g.n_pins - 1 and deny[g.pin_index(BIG + 1)] == 0


def test_pin_degrees_reflect_updates():
    g = small_graph()
    g.add_edge(BIG + 1, BIG + 11)
    g.remove_edge(BIG + 2, BIG + 10)
    deg = g.pin_degrees()
    assert deg[g.pin_index(BIG + 1)] == 2 and deg[g.pin_index(BIG + 2)] == 1


def test_walks_in_threads_while_the_graph_changes():
    rng = np.random.default_rng(5)
    g = PinBoardGraph.from_edges(
        rng.integers(0, 2_000, 20_000), rng.integers(0, 400, 20_000), compact_min=500
    )
    errors: list[BaseException] = []

    def walker() -> None:
        try:
            for i in range(40):
                for pin, _ in related(g, int(i % 50), steps=5_000, seed=i):
                    assert pin >= 0
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=walker) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(1_500):  # enough churn to pass compact_min and force compactions mid-walk
        g.add_edge(10_000 + i, int(i % 400))
        if i % 7 == 0:
            g.remove_pin(int(rng.integers(100, 2_000)))
        if i % 11 == 0:
            g.remove_board(int(rng.integers(0, 400)))
    for t in threads:
        t.join()
    assert not errors
    assert g.pin_index(10_000 + 1_499) >= 0


def test_auto_compaction_can_be_left_to_the_caller():
    g = PinBoardGraph.from_edges(np.arange(10), np.zeros(10, np.int64), compact_min=1, auto_compact=False)
    g.add_edge(100, 0)
    g.add_edge(101, 0)
    assert g.needs_compaction() and g.view().dpin_adj.size == 2  # walks see the delta, no rebuild
    g.compact()
    assert not g.needs_compaction() and g.view().dpin_adj.size == 0 and len(g.pins_of(0)) == 12
