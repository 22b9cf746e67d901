"""Shared fixtures: one small synthetic world and the graph of its training saves."""

from __future__ import annotations

import pytest

from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.synthetic import (
    HoldoutSplit,
    SyntheticWorld,
    WorldConfig,
    generate_world,
    holdout_split,
)
from pinhaven.discovery.walks import warm_up


@pytest.fixture(scope="session")
def world() -> SyntheticWorld:
    return generate_world(
        WorldConfig(users=2_000, pins=20_000, boards=4_000, saves=150_000, communities=20, seed=7)
    )


@pytest.fixture(scope="session")
def split(world: SyntheticWorld) -> HoldoutSplit:
    return holdout_split(world, per_user=2, min_train=5)


@pytest.fixture(scope="session")
def world_graph(world: SyntheticWorld, split: HoldoutSplit) -> PinBoardGraph:
    warm_up()
    return PinBoardGraph.from_edges(*world.edges(split.train))
