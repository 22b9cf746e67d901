"""Feed candidates: recency-weighted query pins, walk candidates, popularity, and feed quality."""

from __future__ import annotations

import numpy as np
import pytest

from pinhaven.discovery.candidates import DAY, Action, PopularityIndex, recency_weights, walk_candidates
from pinhaven.discovery.evaluation import hit_rate
from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.synthetic import HoldoutSplit, SyntheticWorld
from pinhaven.errors import InvalidInput


def test_recent_actions_weigh_more_and_repeats_add_up():
    now = 100 * DAY
    weights = recency_weights(
        [Action(1, now), Action(2, now - 14 * DAY), Action(3, now - 1 * DAY), Action(3, now - 1 * DAY)],
        now=now,
        half_life=14 * DAY,
    )
    assert weights[1] == pytest.approx(1.0)
    assert weights[2] == pytest.approx(0.5)
    assert weights[3] > weights[1]


def test_only_the_heaviest_query_pins_are_kept():
    acts = [Action(pin, float(pin)) for pin in range(50)]
    weights = recency_weights(acts, max_queries=5, half_life=10.0)
    assert set(weights) == {45, 46, 47, 48, 49}


@pytest.mark.parametrize(
    ("acts", "kwargs", "field"),
    [([Action(1, 0.0, weight=-1.0)], {}, "actions"), ([], {"half_life": 0.0}, "half_life"),
     ([], {"max_queries": 0}, "max_queries")],
)  # fmt: skip
def test_bad_recency_input(acts, kwargs, field):
    with pytest.raises(InvalidInput) as err:
        recency_weights(acts, **kwargs)
    assert err.value.field == field


def test_walk_candidates_leave_out_the_actions_and_excluded_pins():
    g = PinBoardGraph.from_edges([1, 2, 3, 4, 5], [10, 10, 10, 20, 20])
    got = walk_candidates(g, [Action(1, 0.0)], exclude=[3], steps=2_000)
    assert [pin for pin, _ in got] == [2]
    assert walk_candidates(g, []) == []


def test_popularity_ranks_by_boards_and_skips_excluded():
    g = PinBoardGraph.from_edges([1, 1, 1, 2, 2, 3, 4], [10, 11, 12, 10, 11, 10, 12])
    pop = PopularityIndex.from_graph(g)
    assert pop.top(3) == [(1, 3.0), (2, 2.0), (3, 1.0)]
    assert [pin for pin, _ in pop.top(2, exclude=[1])] == [2, 3]
    g.remove_pin(1)
    assert PopularityIndex.from_graph(g).top(1) == [(2, 2.0)]


def test_walk_feed_beats_popularity_on_held_out_saves(
    world: SyntheticWorld, split: HoldoutSplit, world_graph: PinBoardGraph
):
    rng = np.random.default_rng(0)
    test_users = np.unique(world.save_user[split.test])
    users = rng.choice(test_users, 120, replace=False)
    train = np.flatnonzero(split.train)
    pop = PopularityIndex.from_graph(world_graph)
    walk_recs, pop_recs, truth = [], [], []
    for u in users.tolist():
        mine = train[world.save_user[train] == u]
        mine = mine[np.argsort(world.save_time[mine], kind="stable")]
        saved = set(world.pin_ids[world.save_pin[mine]].tolist())
        acts = [Action(int(world.pin_ids[world.save_pin[e]]), float(world.save_time[e])) for e in mine[-20:]]
        walk_recs.append(
            [p for p, _ in walk_candidates(world_graph, acts, top_k=50, steps=30_000, exclude=saved)]
        )
        pop_recs.append([p for p, _ in pop.top(50, exclude=saved)])
        held = split.test & (world.save_user == u)
        truth.append(set(world.pin_ids[world.save_pin[held]].tolist()))
    walk_hits, pop_hits = hit_rate(walk_recs, truth), hit_rate(pop_recs, truth)
    assert walk_hits >= 3 * pop_hits, (walk_hits, pop_hits)  # measured: 0.22 vs 0.05
    assert walk_hits > 0.08
