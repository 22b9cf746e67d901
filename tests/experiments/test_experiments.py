"""A/B experiments: stable, even bucketing; one exposure per feed session; intervals and SRM done right."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from scipy import stats
from sqlalchemy import select
from tests.discovery_service.helpers import World, ids
from tests.factories import Account, make_account

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import Conflict, InvalidInput
from pinhaven.experiments import report as reports
from pinhaven.experiments import service
from pinhaven.experiments.models import Exposure
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.serving import plan

ARMS = [
    {"name": "control", "share": 50, "settings": {"scorer": "hand-tuned"}},
    {"name": "learned", "share": 50, "settings": {"scorer": "learned", "weights": "save=1,hide=-3"}},
]


def _running(name: str, salt: str, shares: list[float]) -> service.RunningExperiment:
    arms = tuple(service.Arm(f"a{i}", s, {}) for i, s in enumerate(shares))
    return service.RunningExperiment(1, name, salt, arms)


def test_buckets_are_stable_and_even_by_chi_square() -> None:
    users = range(10**15, 10**15 + 20_000)
    for shares in ([50, 50], [50, 25, 25], [10, 90]):
        experiment = _running("e", "salt-1", shares)
        counts = Counter(service.arm_for(experiment, u).name for u in users)
        expected = [len(users) * s / sum(shares) for s in shares]
        assert stats.chisquare([counts[f"a{i}"] for i in range(len(shares))], expected).pvalue > 0.001
    experiment = _running("e", "salt-1", [50, 50])
    assert all(service.arm_for(experiment, u) == service.arm_for(experiment, u) for u in list(users)[:500])
    # Another experiment's salt splits the same users independently of this one.
    other = _running("f", "salt-2", [50, 50])
    table = Counter((service.arm_for(experiment, u).name, service.arm_for(other, u).name) for u in users)
    observed = [[table[("a0", "a0")], table[("a0", "a1")]], [table[("a1", "a0")], table[("a1", "a1")]]]
    assert stats.chi2_contingency(observed).pvalue > 0.001


def test_confidence_intervals_match_a_worked_example() -> None:
    # mean 3, s = 1.5811, t(0.975, 4) = 2.7764: half-width 2.7764 * 1.5811 / sqrt(5) = 1.9632
    found = reports.mean_interval([1, 2, 3, 4, 5])
    assert found.estimate == 3 and found.n == 5
    assert found.low == pytest.approx(1.0368, abs=1e-4) and found.high == pytest.approx(4.9632, abs=1e-4)
    control, treatment = [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    diff = reports.diff_interval(control, treatment)
    welch = stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.95)
    assert diff.estimate == pytest.approx(4.0)
    assert (diff.low, diff.high) == (pytest.approx(welch.low), pytest.approx(welch.high))
    # Welch by hand: se² = 2.5/5 + 14/6 = 2.8333, df = se⁴ / (0.5²/4 + 2.3333²/5) = 6.972, t = 2.3665
    assert diff.high - diff.estimate == pytest.approx(2.3665 * math.sqrt(2.8333), abs=2e-3)


def test_sample_ratio_mismatch_is_flagged() -> None:
    assert reports.srm([5000, 5000], [50, 50]) == pytest.approx(1.0)
    assert reports.srm([5000, 2500, 2500], [50, 25, 25]) == pytest.approx(1.0)
    p = reports.srm([5300, 4700], [50, 50])
    assert p is not None and p < reports.SRM_ALPHA
    assert reports.srm([0, 0], [50, 50]) is None


def test_arms_are_validated(ctx: AppContext) -> None:
    with session_scope(ctx.sessions) as db:
        for bad in (
            [ARMS[0]],
            [ARMS[0], {"name": "x", "share": 50, "settings": {"scorer": "magic"}}],
            [ARMS[0], {"name": "x", "share": 0, "settings": {}}],
            [ARMS[0], {"name": "control", "share": 50, "settings": {}}],
            [ARMS[0], {"name": "x", "share": 50, "settings": {"sources": {"nope": False}}}],
            [ARMS[0], {"name": "x", "share": 50, "settings": {"weights": "save=0"}}],
            [ARMS[0], {"name": "x", "share": 50, "settings": {"ssd_theta": 2}}],
        ):
            with pytest.raises(InvalidInput):
                service.create(db=db, name="bad", arms=bad)
    assert service.parse_arm("b:25:scorer=v3;sources=-als,+interests;ssd_theta=0.5") == {
        "name": "b", "share": 25.0,
        "settings": {"scorer": "v3", "sources": {"als": False, "interests": True}, "ssd_theta": 0.5},
    }  # fmt: skip
    with pytest.raises(InvalidInput):
        service.parse_arm("b")


def test_one_running_experiment_per_surface_unless_orthogonal(ctx: AppContext) -> None:
    with session_scope(ctx.sessions) as db:
        service.create(db=db, name="first", arms=ARMS)
        service.create(db=db, name="second", arms=ARMS)
        service.start(db=db, name="first")
        with pytest.raises(Conflict, match="first already runs"):
            service.start(db=db, name="second")
        with pytest.raises(Conflict):
            service.create(db=db, name="first", arms=ARMS)
        service.stop(db=db, name="first")
        service.start(db=db, name="second")
        with pytest.raises(Conflict, match="was stopped"):
            service.start(db=db, name="first")
        service.stop(db=db, name="second")
        service.create(db=db, name="colour", arms=ARMS, orthogonal=True)
        service.create(db=db, name="weights", arms=ARMS, orthogonal=True)
        service.start(db=db, name="colour")
        service.start(db=db, name="weights")


def test_exposures_are_logged_once_per_session_with_the_arm_and_the_report_counts_them(
    ctx: AppContext, alice: Account, bob: Account
) -> None:
    world = World(ctx)
    board = world.board(alice, "Things")
    for i in range(30):
        world.pin(alice, board, f"p{i}")
    with session_scope(ctx.sessions) as db:
        service.create(db=db, name="ranker", arms=ARMS)
        service.start(db=db, name="ranker")
    service.forget_cache(ctx)
    users = [bob] + [make_account(ctx, f"user{i}") for i in range(7)]
    sessions = {}
    for who in users:
        first = world.feed(who, page_size=5)
        world.feed(who, page_size=5, bookmark=first.bookmark)  # same session: no second exposure
        world.feed(who, page_size=5, bookmark=first.bookmark)
        sessions[who.user.id] = first
    again = world.feed(bob, page_size=5)  # a new session (first page again): a second exposure
    with session_scope(ctx.read_sessions) as db:
        rows = db.execute(select(Exposure.user_id, Exposure.session_id, Exposure.arm)).all()
        arms = {u: a for u, _, a in rows}
        logged = {r.id: r.arm for r in db.scalars(select(FeatureLog))}
    assert Counter(u for u, _, _ in rows) == {**{u.user.id: 1 for u in users}, bob.user.id: 2}
    assert {s for _, s, _ in rows} == {int(p.request_id or 0) for p in [*sessions.values(), again]}
    experiment = service.running(ctx, surface="home")[0]
    for who in users:  # the logged arm is the user's bucket, and the plan applies its settings
        arm = service.arm_for(experiment, who.user.id)
        assert arms[who.user.id] == arm.name
        assert logged[int(sessions[who.user.id].request_id or 0)] == f"ranker/{arm.name}"
        assert plan(ctx, user_id=who.user.id).scorer == arm.settings["scorer"]
    # bob saves one pin he saw, closes up on two: his arm's report counts them for him
    mine = world.board(bob, "Mine")
    shown = ids(sessions[bob.user.id].items)
    world.save(bob, shown[0], mine)
    world.events(bob, [{"type": "closeup", "pin_id": str(p), "surface": "home"} for p in shown[:2]])
    world.events(bob, [{"type": "impression", "pin_id": str(p), "surface": "home", "position": i,
                        "request_id": sessions[bob.user.id].request_id} for i, p in enumerate(shown)])  # fmt: skip
    with session_scope(ctx.read_sessions) as db:
        found = reports.report(db=db, name="ranker")
    by_arm = {a.name: a for a in found.arms}
    assert (
        sum(a.users for a in found.arms) == len(users)
        and sum(a.sessions for a in found.arms) == len(users) + 1
    )
    bobs = by_arm[arms[bob.user.id]]
    n = bobs.users
    assert bobs.metrics["saves"].estimate == pytest.approx(1 / n)
    assert bobs.metrics["closeups"].estimate == pytest.approx(2 / n)
    assert bobs.metrics["session_depth"].estimate == pytest.approx(len(shown) / 2 / n)
    assert found.srm_p is not None and not math.isnan(found.srm_p)
    assert "saves" in found.arms[1].vs_control


def test_an_arm_that_switches_a_source_off_ranks_without_its_candidates(
    ctx: AppContext, alice: Account, bob: Account
) -> None:
    from pinhaven.ranking.features import SOURCE_NAMES

    world = World(ctx)
    board = world.board(alice, "Things")
    for i in range(12):
        world.pin(alice, board, f"p{i}")
    arms = [{"name": "off", "share": 99, "settings": {"sources": {"fresh": False}}},
            {"name": "on", "share": 1, "settings": {}}]  # fmt: skip
    with session_scope(ctx.sessions) as db:
        service.create(db=db, name="fresh", arms=arms)
        service.start(db=db, name="fresh")
    service.forget_cache(ctx)
    experiment = service.running(ctx, surface="home")[0]
    users = [u for u in [bob, *(make_account(ctx, f"user{i}") for i in range(6))]
             if service.arm_for(experiment, u.user.id).name == "off"]  # fmt: skip
    assert users
    fresh_bit = 1 << SOURCE_NAMES.index("fresh")
    checked = 0
    for who in users:
        page = world.feed(who, page_size=5)
        if page.request_id is None:
            continue  # nothing else proposes these brand-new pins: an empty feed, no session
        checked += 1
        with session_scope(ctx.read_sessions) as db:
            row = db.get(FeatureLog, int(page.request_id))
            assert row is not None
        import numpy as np

        assert not (np.frombuffer(row.source_bits, dtype="<u2") & fresh_bit).any()
    assert checked  # popular pins still fill the feed: the sessions exist, without fresh candidates
