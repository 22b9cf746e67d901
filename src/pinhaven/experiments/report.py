"""An experiment's report: per-arm metrics per exposed user with 95% confidence intervals, each arm against
the first (control), and a sample-ratio-mismatch check.

Unit of analysis: the user (bucketing is per user, so users are the independent samples). For every user
exposed to an arm, from their first exposure until the experiment stopped (or now):
    saves, close-ups and hides per user   counts of those events
    session depth                          mean impressions per exposed feed session
    latency                                mean ranking time of their exposed sessions (ms)
Intervals: Student t for each arm's mean; Welch's t for the difference to control (unequal variances).
SRM: chi-square goodness of fit of users per arm against the configured shares; p < 0.001 flags it (the
split is broken: the metrics cannot be trusted).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.events.models import EngagementEvent
from pinhaven.experiments.models import Experiment, Exposure
from pinhaven.experiments.service import get_by_name_or_raise

__all__ = [
    "METRICS",
    "SRM_ALPHA",
    "ArmReport",
    "Interval",
    "Report",
    "diff_interval",
    "mean_interval",
    "report",
    "srm",
]

METRICS = ("saves", "closeups", "hides", "session_depth", "latency_ms")
SRM_ALPHA = 0.001
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int


@dataclass
class ArmReport:
    name: str
    share: float
    users: int
    sessions: int
    metrics: dict[str, Interval] = field(default_factory=dict)
    vs_control: dict[str, Interval] = field(default_factory=dict)  # difference to the first arm


@dataclass
class Report:
    experiment: str
    state: str
    arms: list[ArmReport]
    srm_p: float | None  # None: fewer than two arms with users
    srm: bool  # True: sample ratio mismatch detected


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and its Student-t confidence interval (a single value: the interval is the value itself)."""
    n = len(values)
    if n == 0:
        return Interval(0.0, 0.0, 0.0, 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Interval(mean, mean, mean, 1)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(var / n)
    return Interval(mean, mean - half, mean + half, n)


def diff_interval(
    control: Sequence[float], treatment: Sequence[float], confidence: float = CONFIDENCE
) -> Interval:
    """Difference of means (treatment - control) with Welch's t interval."""
    na, nb = len(control), len(treatment)
    if na < 2 or nb < 2:
        return Interval(0.0, float("nan"), float("nan"), na + nb)
    ma, mb = math.fsum(control) / na, math.fsum(treatment) / nb
    va = math.fsum((v - ma) ** 2 for v in control) / (na - 1)
    vb = math.fsum((v - mb) ** 2 for v in treatment) / (nb - 1)
    se2 = va / na + vb / nb
    if se2 == 0:
        return Interval(mb - ma, mb - ma, mb - ma, na + nb)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(se2)
    return Interval(mb - ma, mb - ma - half, mb - ma + half, na + nb)


def srm(observed: Sequence[int], shares: Sequence[float]) -> float | None:
    """p-value of the chi-square test of users per arm against the shares (None when it cannot be run)."""
    total = sum(observed)
    if total == 0 or len(observed) < 2:
        return None
    expected = [total * s / sum(shares) for s in shares]
    return float(stats.chisquare(list(observed), expected).pvalue)


def _per_user(db: Session, experiment: Experiment, end: datetime) -> dict[str, dict[int, dict[str, float]]]:
    """arm -> user -> metric values."""
    exposures = db.execute(
        select(Exposure.arm, Exposure.user_id, Exposure.session_id, Exposure.latency_ms, Exposure.at)
        .where(Exposure.experiment_id == experiment.id)
    ).all()  # fmt: skip
    arm_of: dict[int, str] = {}
    first: dict[int, datetime] = {}
    sessions: dict[int, list[int]] = defaultdict(list)
    latency: dict[int, list[float]] = defaultdict(list)
    for arm, user_id, session_id, ms, at in exposures:
        arm_of.setdefault(user_id, arm)  # a user's arm never changes (deterministic buckets)
        first[user_id] = min(first.get(user_id, at), at)
        sessions[user_id].append(session_id)
        latency[user_id].append(float(ms))
    users = sorted(arm_of)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    depth: dict[str, int] = defaultdict(int)  # impressions per exposed session
    exposed = {str(s) for u in users for s in sessions[u]}
    start = min(first.values(), default=end)
    for i in range(0, len(users), 500):  # by user (indexed), never by request id (not indexed)
        rows = db.execute(
            select(EngagementEvent.user_id, EngagementEvent.type, EngagementEvent.at, EngagementEvent.request_id)
            .where(EngagementEvent.user_id.in_(users[i : i + 500]), EngagementEvent.at >= start,
                   EngagementEvent.at <= end,
                   EngagementEvent.type.in_(("save", "closeup", "hide", "impression")))
        )  # fmt: skip
        for user_id, kind, at, request_id in rows:
            if kind == "impression":
                if request_id in exposed:
                    depth[request_id] += 1
            elif at >= first[user_id]:
                counts[user_id][kind] += 1
    out: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
    for u in users:
        out[arm_of[u]][u] = {
            "saves": counts[u]["save"],
            "closeups": counts[u]["closeup"],
            "hides": counts[u]["hide"],
            "session_depth": sum(depth.get(str(s), 0) for s in sessions[u]) / len(sessions[u]),
            "latency_ms": sum(latency[u]) / len(latency[u]),
            "sessions": len(sessions[u]),
        }
    return out


def report(*, db: Session, name: str, now: datetime | None = None) -> Report:
    """The report of the experiment called `name` (running or stopped)."""
    experiment = get_by_name_or_raise(db=db, name=name)
    end = experiment.stopped_at or now or utcnow()
    per_user = _per_user(db, experiment, end)
    arms: list[ArmReport] = []
    control: dict[int, dict[str, float]] | None = None
    for arm in experiment.arms:
        values = per_user.get(arm["name"], {})
        item = ArmReport(
            arm["name"], float(arm["share"]), len(values), int(sum(v["sessions"] for v in values.values()))
        )
        for metric in METRICS:
            item.metrics[metric] = mean_interval([v[metric] for v in values.values()])
            if control is not None:
                item.vs_control[metric] = diff_interval(
                    [v[metric] for v in control.values()], [v[metric] for v in values.values()]
                )
        if control is None:
            control = values
        arms.append(item)
    p = srm([a.users for a in arms], [a.share for a in arms])
    return Report(experiment.name, experiment.state, arms, p, p is not None and p < SRM_ALPHA)
