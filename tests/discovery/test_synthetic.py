"""The synthetic world: determinism, consistency of its arrays, skew, and the held-out split."""

from __future__ import annotations

import numpy as np
import pytest

from pinhaven.discovery.synthetic import (
    HoldoutSplit,
    SyntheticWorld,
    WorldConfig,
    generate_world,
    holdout_split,
)
from pinhaven.errors import InvalidInput

TINY = WorldConfig(users=300, pins=2_000, boards=600, saves=12_000, seed=1)


def test_same_config_same_world():
    a, b = generate_world(TINY), generate_world(TINY)
    for field in ("save_user", "save_pin", "save_board", "save_time", "pin_community", "pin_ids"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    c = generate_world(WorldConfig(users=300, pins=2_000, boards=600, saves=12_000, seed=2))
    assert not np.array_equal(a.save_pin, c.save_pin)


def test_world_arrays_are_consistent(world: SyntheticWorld):
    cfg = world.config
    assert 0.95 * cfg.saves <= world.n_saves <= cfg.saves
    assert np.all(np.diff(world.save_time) >= 0)  # time-ordered
    created = world.save_created
    assert np.array_equal(np.sort(world.save_pin[created]), np.arange(cfg.pins))  # one creation per pin
    creation_time = np.empty(cfg.pins, dtype=np.int64)
    creation_time[world.save_pin[created]] = world.save_time[created]
    assert np.all(world.save_time >= creation_time[world.save_pin])  # saved only once it exists
    assert np.array_equal(world.board_owner[world.save_board], world.save_user)  # users save to own boards
    assert np.array_equal(world.pin_creator, world.board_owner[world.pin_board])
    pairs = world.save_user * cfg.pins + world.save_pin
    assert np.unique(pairs).size == pairs.size  # one save per (user, pin)
    assert np.unique(world.pin_ids).size == cfg.pins and world.pin_ids.min() > 2**32


def test_saves_follow_communities_and_popularity_is_skewed(world: SyntheticWorld):
    extra = ~world.save_created
    same = world.pin_community[world.save_pin[extra]] == world.board_community[world.save_board[extra]]
    assert 0.85 <= same.mean() <= 0.97  # noise 0.1, and some noisy picks land in the same community
    saves_per_pin = np.sort(np.bincount(world.save_pin, minlength=world.config.pins))[::-1]
    assert saves_per_pin[: world.config.pins // 100].sum() > 0.1 * saves_per_pin.sum()


def test_holdout_keeps_each_users_last_saves(world: SyntheticWorld, split: HoldoutSplit):
    assert not np.any(split.train & split.test) and np.all(split.train | split.test)
    assert not np.any(world.save_created[split.test])
    for u in split.test_users[:50].tolist():
        mine = np.flatnonzero((world.save_user == u) & ~world.save_created)
        held = mine[split.test[mine]]
        assert held.size == 2
        assert world.save_time[held].min() >= world.save_time[mine[split.train[mine]]].max()


def test_users_with_few_saves_are_not_held_out():
    w = generate_world(TINY)
    split = holdout_split(w, per_user=2, min_train=1_000)
    assert not split.test.any()


def test_bad_world_config():
    with pytest.raises(InvalidInput):
        generate_world(WorldConfig(users=10, pins=100, boards=10, saves=50))
    with pytest.raises(InvalidInput, match="noise"):
        generate_world(WorldConfig(users=10, pins=10, boards=10, saves=50, noise=2.0))
