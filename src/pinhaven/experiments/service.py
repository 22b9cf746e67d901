"""A/B experiments: define, start, stop, bucket users, log exposures.

Bucketing is deterministic and stateless: bucket = SHA-256(salt ":" user id) mod 10 000, and each arm owns
a contiguous range of buckets proportional to its share. A user therefore always sees the same arm of an
experiment (on every host), and experiments with different salts split users independently.
At most one experiment runs per surface, unless every running one there is declared orthogonal (they
change different things, so their arms may be combined).

Arm settings (all optional):
    scorer       "hand-tuned" | "learned" (the active model) | "v<N>" (one registered model)
    weights      utility weights, e.g. "save=1,click=0.6,closeup=0.3,hide=-2"
    sources      {"als": false, "interests": true, ...}: candidate sources switched off / on
    ssd_theta    sliding-spectrum diversity strength in [0, 1]
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.errors import Conflict, InvalidInput, NotFound
from pinhaven.experiments.models import Experiment
from pinhaven.ranking.features import SOURCE_NAMES
from pinhaven.ranking.objectives import parse_weights

__all__ = [
    "BUCKETS",
    "SURFACES",
    "Arm",
    "RunningExperiment",
    "arm_for",
    "bucket_of",
    "create",
    "get_by_name_or_raise",
    "list_all",
    "parse_arm",
    "running",
    "start",
    "stop",
]

BUCKETS = 10_000
SURFACES = ("home",)  # surfaces whose ranking reads experiment settings today
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SCORER_RE = re.compile(r"^(hand-tuned|learned|v[0-9]{1,9})$")
CACHE_SECONDS = 5.0  # a start/stop reaches every process within this


@dataclass(frozen=True)
class Arm:
    name: str
    share: float
    settings: dict[str, Any]


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    name: str
    salt: str
    arms: tuple[Arm, ...]


def bucket_of(salt: str, user_id: int) -> int:
    """The user's bucket in [0, BUCKETS) for an experiment's salt."""
    digest = hashlib.sha256(f"{salt}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for(experiment: RunningExperiment, user_id: int) -> Arm:
    """The arm whose bucket range holds the user's bucket."""
    b = bucket_of(experiment.salt, user_id)
    total = sum(a.share for a in experiment.arms)
    edge = 0.0
    for arm in experiment.arms:
        edge += arm.share / total * BUCKETS
        if b < edge:
            return arm
    return experiment.arms[-1]


def _settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Validated arm settings (InvalidInput names the bad one)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "scorer":
            if not isinstance(value, str) or not SCORER_RE.match(value):
                raise InvalidInput("scorer must be hand-tuned, learned or v<N>", field="arms")
            out[key] = value
        elif key == "weights":
            try:
                parse_weights(str(value))
            except ValueError as exc:
                raise InvalidInput(f"weights: {exc}", field="arms") from None
            out[key] = str(value)
        elif key == "sources":
            if not isinstance(value, dict) or not all(
                k in SOURCE_NAMES and isinstance(v, bool) for k, v in value.items()
            ):
                raise InvalidInput(f"sources must map source names ({', '.join(SOURCE_NAMES)}) to true/false",
                                   field="arms")  # fmt: skip
            out[key] = dict(value)
        elif key == "ssd_theta":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0.0 <= float(value) <= 1.0
            ):
                raise InvalidInput("ssd_theta must be a number in [0, 1]", field="arms")
            out[key] = float(value)
        else:
            raise InvalidInput(
                f"unknown arm setting {key!r} (scorer, weights, sources, ssd_theta)", field="arms"
            )
    return out


def parse_arm(text: str) -> dict[str, Any]:
    """`name:share[:key=value;key=value...]` (CLI and admin form) → an arm; sources as `sources=-als,+interests`.

    e.g. `learned:50:scorer=learned;weights=save=1,hide=-3`."""
    parts = text.strip().split(":", 2)
    if len(parts) < 2:
        raise InvalidInput(f"{text!r}: expected name:share[:settings]", field="arms")
    name, share_text = parts[0].strip(), parts[1].strip()
    try:
        share = float(share_text)
    except ValueError:
        raise InvalidInput(f"{text!r}: share {share_text!r} is not a number", field="arms") from None
    settings: dict[str, Any] = {}
    for item in (p.strip() for p in (parts[2] if len(parts) == 3 else "").split(";")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"{item!r}: expected key=value", field="arms")
        key = key.strip()
        if key == "sources":
            toggles = [t.strip() for t in value.split(",") if t.strip()]
            if any(t[0] not in "+-" for t in toggles):
                raise InvalidInput("sources: expected +name or -name, comma-separated", field="arms")
            settings[key] = {t[1:]: t[0] == "+" for t in toggles}
        elif key == "ssd_theta":
            try:
                settings[key] = float(value)
            except ValueError:
                raise InvalidInput(f"ssd_theta {value!r} is not a number", field="arms") from None
        else:
            settings[key] = value.strip()
    return {"name": name, "share": share, "settings": settings}


def _validated_arms(arms: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not 2 <= len(arms) <= 8:
        raise InvalidInput("an experiment needs 2 to 8 arms", field="arms")
    out, names = [], set()
    for arm in arms:
        name = arm.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name) or name in names:
            raise InvalidInput(
                f"arm name {name!r}: lower-case letters, digits, - and _, unique", field="arms"
            )
        names.add(name)
        share = arm.get("share")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < float(share) <= 100:
            raise InvalidInput(f"arm {name}: share must be in (0, 100]", field="arms")
        out.append(
            {"name": name, "share": float(share), "settings": _settings(dict(arm.get("settings") or {}))}
        )
    return out


def create(
    *, db: Session, name: str, arms: Sequence[dict[str, Any]], surface: str = "home", orthogonal: bool = False
) -> Experiment:
    """A new experiment in the draft state (nobody is bucketed until it starts)."""
    if not NAME_RE.match(name):
        raise InvalidInput("lower-case letters, digits, - and _ (up to 64)", field="name")
    if surface not in SURFACES:
        raise InvalidInput(f"must be one of {', '.join(SURFACES)}", field="surface")
    validated = _validated_arms(arms)
    if db.scalar(select(Experiment.id).where(Experiment.name == name)) is not None:
        raise Conflict(f"an experiment named {name!r} exists")
    experiment = Experiment(
        name=name,
        surface=surface,
        salt=secrets.token_hex(8),
        state="draft",
        orthogonal=orthogonal,
        arms=validated,
    )
    db.add(experiment)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"an experiment named {name!r} exists") from None
    return experiment


def get_by_name_or_raise(*, db: Session, name: str) -> Experiment:
    found = db.scalar(select(Experiment).where(Experiment.name == name))
    if found is None:
        raise NotFound(f"no experiment named {name!r}")
    return found


def list_all(*, db: Session) -> list[Experiment]:
    return list(db.scalars(select(Experiment).order_by(Experiment.id.desc())))


def start(*, db: Session, name: str) -> Experiment:
    """Start bucketing users; refused while a non-orthogonal experiment runs on the same surface."""
    experiment = get_by_name_or_raise(db=db, name=name)
    if experiment.state == "running":
        raise Conflict(f"{name} is already running")
    if experiment.state == "stopped":
        raise Conflict(f"{name} was stopped; create a new experiment (its exposures would mix two periods)")
    others = list(
        db.scalars(
            select(Experiment).where(
                Experiment.surface == experiment.surface,
                Experiment.state == "running",
                Experiment.id != experiment.id,
            )
        )
    )
    if others and not (experiment.orthogonal and all(o.orthogonal for o in others)):
        names = ", ".join(o.name for o in others)
        raise Conflict(f"{names} already runs on {experiment.surface}; stop it or declare both orthogonal")
    experiment.state = "running"
    experiment.started_at = utcnow()
    db.flush()
    return experiment


def stop(*, db: Session, name: str) -> Experiment:
    experiment = get_by_name_or_raise(db=db, name=name)
    if experiment.state != "running":
        raise Conflict(f"{name} is not running")
    experiment.state = "stopped"
    experiment.stopped_at = utcnow()
    db.flush()
    return experiment


class _RunningCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded: dict[str, tuple[float, tuple[RunningExperiment, ...]]] = {}


def running(ctx: AppContext, *, surface: str) -> tuple[RunningExperiment, ...]:
    """The experiments running on a surface (read at most every CACHE_SECONDS per process)."""
    cache: _RunningCache = ctx.services.setdefault("experiments.running", _RunningCache())
    now = time.monotonic()
    with cache.lock:
        found = cache.loaded.get(surface)
        if found is not None and now - found[0] < CACHE_SECONDS:
            return found[1]
    with ctx.read_sessions() as db:
        rows = db.scalars(
            select(Experiment)
            .where(Experiment.surface == surface, Experiment.state == "running")
            .order_by(Experiment.id)
        )
        value = tuple(
            RunningExperiment(
                e.id,
                e.name,
                e.salt,
                tuple(Arm(a["name"], float(a["share"]), dict(a.get("settings") or {})) for a in e.arms),
            )
            for e in rows
        )
    with cache.lock:
        cache.loaded[surface] = (now, value)
    return value


def forget_cache(ctx: AppContext) -> None:
    """Re-read running experiments on the next request (this process just started or stopped one)."""
    ctx.services.pop("experiments.running", None)
