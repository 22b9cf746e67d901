"""Tables of the experiments domain: A/B experiments and their exposures.

An experiment splits the users of one surface into arms by a hash of (salt, user id); each arm carries
ranking settings (scorer, utility weights, sources on/off, SSD θ). An exposure is written once per feed
session that an experiment's arm ranked, so the report counts exactly who saw which arm and how often.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class Experiment(IdMixin, Base):
    """An A/B experiment: arms (name, share of traffic, settings) on one surface."""

    __tablename__ = "experiments"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    surface: Mapped[str] = mapped_column(String(16))
    salt: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | running | stopped
    orthogonal: Mapped[bool] = mapped_column(Boolean, default=False)  # may run beside others on its surface
    # [{"name": "control", "share": 50, "settings": {"scorer": "hand-tuned", ...}}, ...]
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Exposure(Base):
    """A user was served one feed session ranked by an arm (one row per session and experiment)."""

    __tablename__ = "experiment_exposures"
    __table_args__ = (Index("ix_experiment_exposures_experiment_id_user_id", "experiment_id", "user_id"),)

    experiment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    arm: Mapped[str] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)  # ranking time of the session
    at: Mapped[datetime] = mapped_column(default=utcnow)
