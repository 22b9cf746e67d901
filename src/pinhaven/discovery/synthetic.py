"""A deterministic synthetic Pinterest-like world for benchmarks and tests of discovery.

Users belong to 1-3 interest communities (community sizes themselves skewed); each board belongs to
its owner and to one of the owner's communities; each pin belongs to a community, is created by the
owner of one of that community's boards, and has a power-law (Zipf) popularity within its community.
A save picks an active user, one of their boards, then a pin of the board's community by popularity
(or, with probability `noise`, any pin by global popularity). Saves happen after the pin's creation.
`holdout_split` keeps each user's last saves apart for offline evaluation.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pinhaven.errors import InvalidInput

__all__ = ["HoldoutSplit", "SyntheticWorld", "WorldConfig", "generate_world", "holdout_split"]

I64 = npt.NDArray[np.int64]
DAY = 86_400


@dataclass(frozen=True)
class WorldConfig:
    """Size and shape of a synthetic world; `saves` counts every save including each pin's creation."""

    users: int = 5_000
    pins: int = 50_000
    boards: int = 10_000
    saves: int = 500_000
    communities: int | None = None  # default: one per ~250 users, at least 8
    zipf: float = 1.0  # pin popularity ~ rank^-zipf within a community
    noise: float = 0.1  # share of saves that ignore the board's community
    max_interests: int = 3
    horizon_days: int = 365
    seed: int = 0

    @property
    def n_communities(self) -> int:
        return self.communities if self.communities is not None else max(8, self.users // 250)


@dataclass(frozen=True)
class SyntheticWorld:
    """Save events (dense user/pin/board numbers, time-ordered) plus ground truth about communities."""

    config: WorldConfig
    save_user: I64
    save_pin: I64
    save_board: I64
    save_time: I64  # unix-like seconds from 0
    save_created: npt.NDArray[np.bool_]  # True for the event that created the pin
    board_owner: I64
    board_community: I64
    pin_community: I64
    pin_creator: I64
    pin_board: I64  # the board the pin was created on
    pin_ids: I64  # external 64-bit id of each dense pin
    board_ids: I64

    @property
    def n_saves(self) -> int:
        return int(self.save_pin.size)

    def edges(self, mask: npt.NDArray[np.bool_] | None = None) -> tuple[I64, I64]:
        """External (pin_id, board_id) of the saves selected by `mask` (all when None)."""
        pins, boards = (self.save_pin, self.save_board) if mask is None else (
            self.save_pin[mask], self.save_board[mask])  # fmt: skip
        return self.pin_ids[pins], self.board_ids[boards]


@dataclass(frozen=True)
class HoldoutSplit:
    """Masks over the world's saves: training events and each evaluated user's last saves."""

    train: npt.NDArray[np.bool_]
    test: npt.NDArray[np.bool_]
    test_users: I64  # users with held-out saves, ascending


def _fake_ids(n: int, rng: np.random.Generator, base: int) -> I64:
    """Strictly increasing 64-bit ids with snowflake-like gaps."""
    return base + np.cumsum(rng.integers(1, 1 << 20, n, dtype=np.int64))


def _zipf_cdf(groups: I64, n_groups: int, exponent: float, rng: np.random.Generator) -> tuple[I64, I64]:
    """Items sorted by group and a cdf that runs from g to g + 1 inside group g (for searchsorted)."""
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(groups.size) - np.repeat(starts, sizes) + 1  # rank inside the group
    weight = rank.astype(np.float64) ** -exponent
    # Shuffle which item gets which rank, within each group.
    key = groups[order] * 2.0 + rng.random(groups.size)
    order = order[np.argsort(key, kind="stable")]
    cum = np.cumsum(weight)
    group_total = np.add.reduceat(weight, starts[sizes > 0]) if groups.size else np.zeros(0)
    totals = np.zeros(n_groups)
    totals[sizes > 0] = group_total
    before = np.concatenate([[0.0], np.cumsum(totals)[:-1]])
    g = groups[order]
    cdf = g + (cum - before[g]) / totals[g]
    return order, cdf


def generate_world(config: WorldConfig) -> SyntheticWorld:
    """Generate a world deterministically from `config` (same config, same arrays)."""
    c = config
    if min(c.users, c.pins, c.boards) < 1 or c.saves < c.pins:
        raise InvalidInput("need users, pins, boards >= 1 and saves >= pins", field="config")
    if not 0.0 <= c.noise <= 1.0:
        raise InvalidInput(f"must be within [0, 1], got {c.noise}", field="noise")
    rng = np.random.default_rng(c.seed)
    k = c.n_communities
    horizon = c.horizon_days * DAY

    # Users: a primary community (popular communities attract more people) and up to two more.
    community_weight = np.arange(1, k + 1, dtype=np.float64) ** -0.5
    primary = rng.choice(k, size=c.users, p=community_weight / community_weight.sum())
    n_interests = rng.integers(1, c.max_interests + 1, c.users)
    interests = (primary[:, None] + rng.integers(0, k, (c.users, c.max_interests))) % k
    interests[:, 0] = primary
    activity = rng.lognormal(0.0, 1.0, c.users)

    # Boards: everyone gets one while boards last, active users get the rest.
    first = rng.permutation(c.users)[: min(c.users, c.boards)]
    extra = rng.choice(c.users, size=c.boards - first.size, p=activity / activity.sum())
    board_owner = np.concatenate([first, extra]).astype(np.int64)
    pick = (rng.random(c.boards) * n_interests[board_owner]).astype(np.int64)
    board_community = interests[board_owner, pick].astype(np.int64)

    # Pins: community in proportion to its boards; created on one of that community's boards.
    boards_per_comm = np.bincount(board_community, minlength=k)
    pin_community = rng.choice(k, size=c.pins, p=boards_per_comm / boards_per_comm.sum()).astype(np.int64)
    comm_boards = np.argsort(board_community, kind="stable")
    comm_start = np.concatenate([[0], np.cumsum(boards_per_comm)[:-1]])
    offs = (rng.random(c.pins) * boards_per_comm[pin_community]).astype(np.int64)
    pin_board = comm_boards[comm_start[pin_community] + offs].astype(np.int64)
    pin_creator = board_owner[pin_board]
    created_at = rng.integers(0, horizon, c.pins)

    # Saves: user by activity, one of their boards, a pin of that board's community by popularity.
    # Repeated (user, pin) draws are dropped below, so draw more and trim to the requested count.
    n_wanted = c.saves - c.pins
    n = int(n_wanted * 2) + 100
    owners_sorted = np.argsort(board_owner, kind="stable")
    user_nboards = np.bincount(board_owner, minlength=c.users)
    user_start = np.concatenate([[0], np.cumsum(user_nboards)[:-1]])
    act = activity * (user_nboards > 0)
    users = rng.choice(c.users, size=n, p=act / act.sum())
    boards = owners_sorted[user_start[users] + (rng.random(n) * user_nboards[users]).astype(np.int64)]
    order, cdf = _zipf_cdf(pin_community, k, c.zipf, rng)
    target = board_community[boards].astype(np.float64)
    noisy = rng.random(n) < c.noise
    # A noisy save lands in a community chosen by its share of pins, then by popularity inside it.
    target[noisy] = pin_community[rng.integers(0, c.pins, int(noisy.sum()))]
    pos = np.searchsorted(cdf, target + rng.random(n) * (1 - 1e-12), side="right")
    pins = order[np.minimum(pos, c.pins - 1)]
    times = created_at[pins] + (rng.random(n) * (horizon - created_at[pins])).astype(np.int64)

    all_user = np.concatenate([pin_creator, users])
    all_pin = np.concatenate([np.arange(c.pins), pins])
    all_board = np.concatenate([pin_board, boards])
    all_time = np.concatenate([created_at, times])
    created = np.concatenate([np.ones(c.pins, bool), np.zeros(n, bool)])
    # One save per (user, pin): the earliest, which for the creator is the creation.
    key = all_user * np.int64(c.pins) + all_pin
    first_ev = np.lexsort((~created, all_time, key))
    keep = first_ev[np.concatenate([[True], np.diff(key[first_ev]) != 0])]
    extra_saves = np.flatnonzero(~created[keep])
    if extra_saves.size > n_wanted:
        drop = rng.choice(extra_saves, size=extra_saves.size - n_wanted, replace=False)
        keep = np.delete(keep, drop)
    keep = keep[np.lexsort((keep, all_time[keep]))]
    return SyntheticWorld(
        config=c,
        save_user=all_user[keep].astype(np.int64),
        save_pin=all_pin[keep].astype(np.int64),
        save_board=all_board[keep].astype(np.int64),
        save_time=all_time[keep].astype(np.int64),
        save_created=created[keep],
        board_owner=board_owner,
        board_community=board_community,
        pin_community=pin_community,
        pin_creator=pin_creator.astype(np.int64),
        pin_board=pin_board,
        pin_ids=_fake_ids(c.pins, rng, 1 << 58),
        board_ids=_fake_ids(c.boards, rng, 1 << 59),
    )


def holdout_split(world: SyntheticWorld, *, per_user: int = 2, min_train: int = 5) -> HoldoutSplit:
    """Hold out each user's last `per_user` saves (not creations) if `min_train` saves remain."""
    if per_user < 1 or min_train < 1:
        raise InvalidInput("per_user and min_train must be >= 1", field="holdout")
    saves = np.flatnonzero(~world.save_created)
    order = saves[np.lexsort((world.save_time[saves], world.save_user[saves]))]
    users = world.save_user[order]
    counts = np.bincount(users, minlength=world.config.users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    from_end = counts[users] - 1 - (np.arange(order.size) - starts[users])
    held = (from_end < per_user) & (counts[users] >= per_user + min_train)
    test = np.zeros(world.n_saves, dtype=bool)
    test[order[held]] = True
    return HoldoutSplit(train=~test, test=test, test_users=np.unique(world.save_user[test]))


def main() -> None:
    """Print a summary of a generated world (for a quick look at its shape)."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name, default in (("users", 5000), ("pins", 50_000), ("boards", 10_000), ("saves", 500_000)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    world = generate_world(WorldConfig(args.users, args.pins, args.boards, args.saves, seed=args.seed))
    deg = np.bincount(world.save_pin, minlength=args.pins)
    print(
        f"saves={world.n_saves} communities={world.config.n_communities} "
        f"pin saves: max={deg.max()} p50={np.median(deg):.0f} p99={np.percentile(deg, 99):.0f}"
    )


if __name__ == "__main__":
    main()
